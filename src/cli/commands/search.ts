// `mapsign search "…"`: searches the archive; Vietnamese typed with or without diacritics,
// exact keys ("tờ 25 thửa 112", dossier codes, serials, hashes), filters, sort and pages.

import { Option, type Command } from 'commander';
import { DOCUMENT_KINDS, SEARCH_SORTS, SHEET_STATUSES, type SearchResult } from '../../archive/index.js';
import { MapsignError } from '../../errors.js';
import { withArchive } from './archive.js';

interface SearchCommandOptions {
  commune?: string;
  kind?: string;
  status?: string;
  signer?: string;
  from?: string;
  to?: string;
  sort?: string;
  order?: string;
  limit?: string;
  cursor?: string;
  json?: boolean;
}

function describe(result: SearchResult): string {
  const lines = result.items.map((sheet) => {
    const m = sheet.metadata;
    const parcels = m.parcelNumbers.length > 0 ? ` thửa ${m.parcelNumbers.join(', ')}` : '';
    const signers = sheet.signatures.map((s) => s.signerName ?? '?').join(', ');
    return `${String(sheet.id).padStart(8)}  ${m.dossierCode}  tờ ${m.sheetNumber}${parcels}  ${m.commune}, ${m.province}  [${sheet.status}]  ${sheet.signedAt ?? ''}  ${signers}`;
  });
  if (lines.length === 0) lines.push('no sheet found');
  if (result.nextCursor) lines.push(`more: --cursor ${result.nextCursor}`);
  return lines.join('\n');
}

export function registerSearch(program: Command): void {
  program
    .command('search')
    .description('search the archive (free text folded for Vietnamese, exact keys, filters)')
    .argument('[text]', 'words and keys, e.g. "vung tau", "to 25 thua 112", a dossier code', '')
    .option('--commune <name>', 'commune or ward, with or without "Phường"/"Xã"')
    .addOption(new Option('--kind <kind>', 'document kind').choices([...DOCUMENT_KINDS]))
    .addOption(new Option('--status <status>', 'archive status').choices([...SHEET_STATUSES]))
    .option('--signer <words>', "words of a signer's name or organisation")
    .option('--from <date>', 'signed on or after this day (YYYY-MM-DD, Vietnam time) or ISO time')
    .option('--to <date>', 'signed on or before this day or ISO time')
    .addOption(new Option('--sort <key>', 'sort order').choices([...SEARCH_SORTS]))
    .addOption(new Option('--order <order>', 'ascending or descending').choices(['asc', 'desc']))
    .option('--limit <n>', 'results per page, 1 to 100 (default 20)')
    .option('--cursor <cursor>', 'the cursor printed after the previous page')
    .option('--json', 'print the result as JSON')
    .action(async (text: string, options: SearchCommandOptions) => {
      if (options.limit !== undefined && !/^\d{1,3}$/.test(options.limit)) throw new MapsignError('USAGE_INVALID', `--limit must be a number from 1 to 100, not "${options.limit}"`);
      const result = await withArchive((archive) =>
        archive.search({
          text,
          commune: options.commune,
          documentKind: options.kind,
          status: options.status,
          signer: options.signer,
          from: options.from,
          to: options.to,
          sort: options.sort,
          order: options.order,
          limit: options.limit === undefined ? undefined : Number(options.limit),
          cursor: options.cursor,
        }),
      );
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ ok: true, ...result }, null, 2)}\n`);
        return;
      }
      process.stdout.write(`${describe(result)}\n`);
    });
}
