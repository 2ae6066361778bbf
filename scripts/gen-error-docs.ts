// Writes docs/errors.md from the code table in src/errors.ts (a unit test keeps them in step).
import { writeFileSync } from 'node:fs';
import { ERROR_CODES } from '../src/errors.js';

const lines = [
  '# Error codes',
  '',
  'Every error mapsign raises carries one of these stable codes. The table is generated from',
  '`src/errors.ts` by `npm run docs:errors`; a test fails when the two differ.',
  '',
  '| code | HTTP | exit | retryable | tóm tắt |',
  '|---|---|---|---|---|',
];
for (const [code, spec] of Object.entries(ERROR_CODES)) {
  lines.push(`| \`${code}\` | ${spec.http} | ${spec.exit} | ${spec.retryable ? 'yes' : 'no'} | ${spec.summaryVi} |`);
}
writeFileSync(new URL('../docs/errors.md', import.meta.url), `${lines.join('\n')}\n`);
