// Memory does not grow with the sheet: a 1 GiB sheet signs in the same peak RSS as a 64 MiB one,
// and under the 150 MB budget of the signing engine issue. Each signing runs in its own process.

import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePdf } from '../fixtures/make-pdf.js';
import { samplePki } from '../fixtures/make-pki.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pki = samplePki();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-mem-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function signInChild(sizeMiB: number): Promise<number> {
  const input = join(dir, `sheet-${sizeMiB}.pdf`);
  const output = join(dir, `sheet-${sizeMiB}-signed.pdf`);
  await makePdf(input, { pageSize: 'A0', sizeMiB });
  const { stdout } = await promisify(execFile)('node', ['--import', 'tsx', join(root, 'test/support/sign-child.ts'), input, output, pki.p12.staffRsa], {
    cwd: root,
    env: { ...process.env, SIGN_CHILD_PASSWORD: pki.password },
    encoding: 'utf8',
  });
  await rm(input);
  await rm(output);
  return (JSON.parse(stdout) as { peakRssMiB: number }).peakRssMiB;
}

describe('signPdf memory [slow]', () => {
  it('signs a 1 GiB sheet within 150 MB of peak RSS, no more than a 64 MiB sheet needs', async () => {
    const small = await signInChild(64);
    const large = await signInChild(1024);
    expect(large).toBeLessThan(150);
    expect(large - small).toBeLessThan(16);
  });
});
