// `mapsign audit verify`: walks the hash-chained audit log and names every edited, removed or
// reordered entry (exit 65, AUDIT_TAMPERED, when there is one).

import type { Command } from 'commander';
import { MapsignError } from '../../errors.js';
import { withArchive } from './archive.js';

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('the append-only, hash-chained audit log of the archive');
  audit
    .command('verify')
    .description('check that no audit entry was edited, removed or reordered')
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => {
      const result = await withArchive((archive) => archive.verifyAudit());
      if (!result.isIntact) {
        if (!options.json) for (const problem of result.problems) process.stderr.write(`  ${problem.kind}: ${problem.message}\n`);
        const first = result.problems[0]!;
        throw new MapsignError('AUDIT_TAMPERED', `the audit log was tampered with: ${first.message}${result.problems.length > 1 ? ` (and ${result.problems.length - 1} more)` : ''}`, {
          details: { entries: result.entries, problems: result.problems.map((p) => p.message), seqs: result.problems.map((p) => p.seq) },
        });
      }
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ ok: true, ...result }, null, 2)}\n`);
        return;
      }
      process.stdout.write(`audit log intact: ${result.entries} entries, head #${result.head.seq} ${result.head.hash}\n`);
    });
}
