// Each incremental update renews the changing half of the file identifier (ISO 32000-2 §14.4)
// and keeps the permanent half, so two signatures of the same bytes at the same second by the
// same key still give two different files.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPkcs12KeySource, type KeySource } from '../../../src/pki/index.js';
import { signPdf } from '../../../src/signing/index.js';
import { makePdf } from '../../fixtures/make-pdf.js';
import { samplePki } from '../../fixtures/make-pki.js';

const pki = samplePki();
let dir: string;
let key: KeySource;
const signingTime = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-incremental-id-'));
  key = await openPkcs12KeySource({ path: pki.p12.departmentSeal, password: pki.password });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The /ID pairs of every trailer in the file, oldest first, as lower-case hex. */
async function identifiers(path: string): Promise<Array<[string, string]>> {
  const text = (await readFile(path)).toString('latin1');
  return [...text.matchAll(/\/ID\s*\[\s*<([0-9A-Fa-f]*)>\s*<([0-9A-Fa-f]*)>\s*\]/g)].map((m) => [m[1]!.toLowerCase(), m[2]!.toLowerCase()]);
}

describe('the file identifier of a signed revision', () => {
  it('keeps the permanent half and renews the changing half, so identical signings give different files', async () => {
    const input = join(dir, 'with-id.pdf');
    await makePdf(input);
    const [original] = await identifiers(input);
    const first = await signPdf({ input, output: join(dir, 'a.pdf'), keySource: key, signingTime });
    const second = await signPdf({ input, output: join(dir, 'b.pdf'), keySource: key, signingTime });
    expect(first.sha256).not.toBe(second.sha256);
    const [a, b] = [(await identifiers(join(dir, 'a.pdf'))).at(-1)!, (await identifiers(join(dir, 'b.pdf'))).at(-1)!];
    expect(a[0]).toBe(original![0]);
    expect(b[0]).toBe(original![0]);
    expect(a[1]).not.toBe(original![1]);
    expect(a[1]).not.toBe(b[1]);
  });

  it('is given to a file that had none', async () => {
    const input = join(dir, 'without-id.pdf');
    await makePdf(input, { withInfo: false });
    expect(await identifiers(input)).toEqual([]);
    await signPdf({ input, output: join(dir, 'c.pdf'), keySource: key, signingTime });
    const ids = await identifiers(join(dir, 'c.pdf'));
    expect(ids).toHaveLength(1);
    expect(ids[0]![0]).toMatch(/^[0-9a-f]{32}$/);
  });
});
