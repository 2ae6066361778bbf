// `mapsign extend FILE [-o OUT] --tsa URL`: bring a signed sheet to PAdES B-LTA with a /DSS and a
// new document time-stamp, leaving every earlier signature untouched.

import type { Command } from 'commander';
import { Option } from 'commander';
import { MapsignError } from '../../errors.js';
import { REVOCATION_POLICIES, createRevocationChecker, decodeCertificates, type RevocationPolicy } from '../../pki/index.js';
import { createTsaClient, extendPdf } from '../../signing/index.js';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createProgressBar, formatBytes } from '../output.js';

interface ExtendCommandOptions {
  output?: string;
  tsa?: string;
  trust?: string;
  revocation: RevocationPolicy;
  fsync: boolean;
  json?: boolean;
}

async function readCertificates(path: string | undefined): Promise<Buffer[]> {
  if (!path) return [];
  const entries = await readdir(path).catch(() => null);
  const files = entries === null ? [path] : entries.map((entry) => join(path, entry));
  const found: Buffer[] = [];
  for (const file of files) {
    try {
      found.push(...decodeCertificates(await readFile(file)));
    } catch {
      // Files that hold no certificate are not roots: skip them.
    }
  }
  return found;
}

export function registerExtend(program: Command): void {
  program
    .command('extend')
    .description('add validation data (/DSS) and a document time-stamp to a signed PDF: PAdES B-LTA')
    .argument('<file>', 'the signed PDF')
    .option('-o, --output <file>', 'where to write the result (default: replace FILE)')
    .option('--tsa <url>', 'RFC 3161 time-stamping authority (default: $TSA_URL)')
    .option('--trust <dir>', 'roots that complete the chains put into the /DSS (default: $TRUST_DIR)')
    .addOption(new Option('--revocation <policy>', 'when a status cannot be fetched: refuse (hard-fail) or go on (soft-fail)').choices([...REVOCATION_POLICIES]).default('hard-fail'))
    .option('--no-fsync', 'do not force the output to disk before renaming it')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, options: ExtendCommandOptions) => {
      const tsaUrl = options.tsa ?? process.env['TSA_URL'];
      if (!tsaUrl) throw new MapsignError('USAGE_INVALID', 'a document time-stamp needs a TSA: --tsa URL or TSA_URL');
      const progress = createProgressBar('extending');
      const result = await extendPdf({
        input: file,
        output: options.output ?? file,
        overwrite: options.output === undefined,
        timestamper: createTsaClient({ url: tsaUrl }),
        validation: { checker: createRevocationChecker(), policy: options.revocation },
        extraCertificates: await readCertificates(options.trust ?? process.env['TRUST_DIR']),
        durable: options.fsync,
        onProgress: progress.update,
      }).finally(() => progress.finish());
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ ok: true, ...result }, null, 2)}\n`);
        return;
      }
      process.stdout.write(
        [
          `extended ${file} -> ${result.output}: PAdES ${result.level}`,
          `  signatures          ${result.signatures}`,
          `  validation data     ${result.isDssExtended ? 'added to /DSS' : 'already in /DSS'}`,
          `  document time-stamp ${result.documentTimestampTime} (${result.documentTimestampField})`,
          `  size                ${formatBytes(result.size)}`,
          `  sha256              ${result.sha256}`,
        ].join('\n') + '\n',
      );
    });
}
