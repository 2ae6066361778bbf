// `mapsign sign IN.pdf -o OUT.pdf --p12 FILE --password-env VAR`: one PAdES B-B signature,
// appended as an incremental update.

import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { MapsignError, fromSystemError } from '../../errors.js';
import { openPkcs12KeySource, readTrustConfig, REVOCATION_POLICIES, type RevocationPolicy } from '../../pki/index.js';
import { createTsaClient, signPdf, type PadesLevel } from '../../signing/index.js';
import { createProgressBar, formatBytes } from '../output.js';

interface SignCommandOptions {
  output: string;
  p12: string;
  passwordEnv?: string;
  passwordFile?: string;
  page?: string;
  field?: string;
  reason?: string;
  location?: string;
  contact?: string;
  hash: 'sha256' | 'sha384' | 'sha512';
  pss?: boolean;
  force?: boolean;
  fsync: boolean;
  json?: boolean;
  trust?: string;
  revocation?: RevocationPolicy;
  level?: PadesLevel;
  tsa?: string;
  onTsaFailure: 'fail' | 'lower';
}

async function readPassword(options: SignCommandOptions): Promise<string> {
  if (options.passwordEnv && options.passwordFile) {
    throw new MapsignError('USAGE_INVALID', 'give either --password-env or --password-file, not both');
  }
  if (options.passwordEnv) {
    const value = process.env[options.passwordEnv];
    if (value === undefined) throw new MapsignError('USAGE_INVALID', `environment variable ${options.passwordEnv} is not set`);
    return value;
  }
  if (options.passwordFile) {
    const content = await readFile(options.passwordFile, 'utf8').catch((error: unknown) => {
      throw fromSystemError(error, options.passwordFile!);
    });
    return content.replace(/\r?\n$/, '');
  }
  throw new MapsignError('USAGE_INVALID', 'the PKCS#12 password is needed: --password-env VAR or --password-file FILE');
}

function parsePage(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(value)) throw new MapsignError('USAGE_INVALID', `--page must be a page number from 1, not "${value}"`);
  return Number(value);
}

export function registerSign(program: Command): void {
  program
    .command('sign')
    .description('sign a PDF sheet (PAdES B-B), appending an incremental update')
    .argument('<input>', 'the PDF to sign')
    .requiredOption('-o, --output <file>', 'where to write the signed PDF')
    .requiredOption('--p12 <file>', 'PKCS#12 file with the signing key and certificate chain')
    .option('--password-env <var>', 'environment variable holding the PKCS#12 password')
    .option('--password-file <file>', 'file holding the PKCS#12 password')
    .option('--page <n>', 'page for the signature widget (default: last page)')
    .option('--field <name>', 'signature field name (default: SignatureN; an empty signature field of that name is filled)')
    .option('--reason <text>', 'reason for signing')
    .option('--location <text>', 'location of signing')
    .option('--contact <text>', 'contact information of the signer')
    .addOption(new Option('--hash <alg>', 'digest algorithm').choices(['sha256', 'sha384', 'sha512']).default('sha256'))
    .option('--pss', 'sign with RSA-PSS instead of PKCS#1 v1.5 (RSA keys)')
    .option('-f, --force', 'overwrite the output file if it exists')
    .option('--no-fsync', 'do not force the output to disk before renaming it (faster, not crash-safe)')
    .option('--json', 'print the result as JSON')
    .option('--trust <dir>', 'validate the signer against the roots in this folder or PEM bundle, and check revocation (default: $TRUST_DIR)')
    .addOption(new Option('--revocation <policy>', 'with --trust: refuse when revocation cannot be checked (hard-fail, default), tolerate it (soft-fail), or skip it (off)').choices([...REVOCATION_POLICIES]))
    .addOption(new Option('--level <level>', 'PAdES level (default: B-B, or B-T with --tsa)').choices(['B-B', 'B-T', 'B-LT', 'B-LTA']))
    .option('--tsa <url>', 'RFC 3161 time-stamping authority for B-T and above (default: $TSA_URL)')
    .addOption(new Option('--on-tsa-failure <policy>', 'when the TSA cannot be reached: fail, or sign at B-B and say so').choices(['fail', 'lower']).default('fail'))
    .action(async (input: string, options: SignCommandOptions) => {
      const tsaUrl = options.tsa ?? process.env['TSA_URL'];
      const password = await readPassword(options);
      const keySource = await openPkcs12KeySource({ path: options.p12, password, scheme: options.pss ? 'rsa-pss' : undefined });
      const trustConfig = readTrustConfig(process.env, { trust: options.trust });
      const progress = createProgressBar('signing');
      const result = await signPdf({
        input,
        output: options.output,
        keySource,
        hashAlgorithm: options.hash,
        pageNumber: parsePage(options.page),
        fieldName: options.field,
        reason: options.reason,
        location: options.location,
        contactInfo: options.contact,
        overwrite: options.force === true,
        durable: options.fsync,
        onProgress: progress.update,
        trust: trustConfig ?? undefined,
        revocation: options.revocation ? { policy: options.revocation } : undefined,
        level: options.level,
        timestamp: tsaUrl ? { timestamper: createTsaClient({ url: tsaUrl }), onUnavailable: options.onTsaFailure } : undefined,
      }).finally(() => progress.finish());
      for (const warning of result.signer.trust?.warnings ?? []) process.stderr.write(`mapsign: warning: ${warning}\n`);
      if (result.loweredBecause) process.stderr.write(`mapsign: warning: signed at PAdES B-B only: ${result.loweredBecause}\n`);
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ ok: true, ...result }, null, 2)}\n`);
        return;
      }
      process.stdout.write(
        [
          `signed ${input} -> ${result.output}`,
          `  field     ${result.fieldName} (page ${result.pageNumber})`,
          `  signer    ${result.signer.subject}`,
          `  issuer    ${result.signer.issuer}`,
          `  level     PAdES ${result.level}, ${result.hashAlgorithm}${result.timestampTime ? `, time-stamped ${result.timestampTime}` : ''}`,
          `  size      ${formatBytes(result.size)}`,
          `  sha256    ${result.sha256}`,
        ].join('\n') + '\n',
      );
    });
}
