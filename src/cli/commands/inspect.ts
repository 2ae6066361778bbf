// `mapsign inspect FILE`: revisions, signature fields and byte ranges of a PDF.

import type { Command } from 'commander';
import { inspectPdf } from '../../pdf/index.js';
import { formatBytes } from '../output.js';

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('list the revisions, signature fields and byte ranges of a PDF')
    .argument('<file>', 'the PDF to inspect')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, options: { json?: boolean }) => {
      const result = await inspectPdf(file);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      const lines = [`${result.path}: PDF ${result.version}, ${formatBytes(result.size)}, ${result.pageCount} page(s)`, `revisions: ${result.revisions.length}`];
      result.revisions.forEach((r, i) => lines.push(`  ${i + 1}. ${r.kind}${r.hybrid ? ' (hybrid)' : ''} at ${r.xrefOffset}, ${r.entries} entries`));
      lines.push(`signatures: ${result.signatures.length}`);
      for (const s of result.signatures) {
        lines.push(`  ${s.field}: ${s.subFilter ?? '?'} ${s.signingTime ?? ''}${s.name ? ` by ${s.name}` : ''}`);
        lines.push(`    ByteRange [${s.byteRange?.join(' ') ?? '?'}]${s.coversWholeFile ? ' (whole file)' : ''}, /Contents ${s.contentsBytes} bytes`);
      }
      if (result.emptySignatureFields.length > 0) lines.push(`empty signature fields: ${result.emptySignatureFields.join(', ')}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
