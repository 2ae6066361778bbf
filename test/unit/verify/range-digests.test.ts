// The digests a process remembers of the files it signed or read (pdf/range-digests.ts): a
// verification right after signing answers from them, and no change to the file, however soon
// after the signature, is ever hidden by them.

import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fileStampOf, forgetDigests, markWrittenFile, recallDigest, rememberDigest } from '../../../src/pdf/index.js';
import { openPkcs12KeySource, type KeySource } from '../../../src/pki/index.js';
import { signPdf } from '../../../src/signing/index.js';
import { verify } from '../../../src/verify/index.js';
import { hashRanges } from '../../../src/verify/hash-pass.js';
import { makePdf } from '../../fixtures/make-pdf.js';
import { samplePki } from '../../fixtures/make-pki.js';

const pki = samplePki();
let dir: string;
let sheet: string;
let key: KeySource;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-range-digests-'));
  sheet = join(dir, 'sheet.pdf');
  await makePdf(sheet);
  key = await openPkcs12KeySource({ path: pki.p12.departmentSeal, password: pki.password });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => forgetDigests());

async function flipByte(path: string, position: number): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, position);
    byte[0] = byte[0]! ^ 0x01;
    await handle.write(byte, 0, 1, position);
  } finally {
    await handle.close();
  }
}

describe('remembered digests', () => {
  it('let the verification of a sheet this process just signed answer without reading it again', async () => {
    const output = join(dir, 'signed-remembered.pdf');
    const result = await signPdf({ input: sheet, output, keySource: key, reason: 'memo' });
    const stamp = fileStampOf(await stat(output, { bigint: true }))!;
    const [, a, b, c] = result.byteRange;
    expect(recallDigest(stamp, { algorithm: 'sha256', a, b, end: b + c })).toBeDefined();
    expect(recallDigest(stamp, { algorithm: 'sha256', a: result.size, b: result.size, end: result.size })?.toString('hex')).toBe(result.sha256);
    const report = await verify(output);
    expect(report.signatures[0]?.integrity.isDigestValid).toBe(true);
    expect(report.signatures[0]?.integrity.isSignatureValid).toBe(true);
    expect(report.file.sha256).toBe(result.sha256);
  });

  it('never hide a byte changed in the signed range right after signing, within the same clock tick', async () => {
    for (let round = 0; round < 5; round++) {
      const output = join(dir, `signed-tampered-${round}.pdf`);
      const result = await signPdf({ input: sheet, output, keySource: key, reason: 'memo' });
      // At once: without the stamp signPdf gives the file, this write could keep its mtime.
      await flipByte(output, Math.floor(result.byteRange[1] / 2));
      const report = await verify(output);
      expect(report.signatures[0]?.integrity.isDigestValid).toBe(false);
      expect(report.file.sha256).not.toBe(result.sha256);
    }
  });

  it('are found only for the same file with the same size and mtime', async () => {
    const path = join(dir, 'data.bin');
    const data = randomBytes(100_000);
    await writeFile(path, data);
    const stamp = await markWrittenFile(path);
    expect(stamp).not.toBeNull();
    const range = { algorithm: 'sha256', a: data.length, b: data.length, end: data.length };
    const planted = Buffer.alloc(32, 7);
    rememberDigest(stamp!, range, planted);
    // What is remembered is what is answered: the file is not read.
    expect((await hashRanges(path, [range]))[0]).toEqual(planted);
    // Written to once more, at once: the file is read again.
    await flipByte(path, 10);
    data[10] = data[10]! ^ 0x01;
    expect((await hashRanges(path, [range]))[0]).toEqual(createHash('sha256').update(data).digest());
  });

  it('are kept for a file only read once its last change is some seconds old', async () => {
    const path = join(dir, 'read.bin');
    const data = randomBytes(50_000);
    await writeFile(path, data);
    const range = { algorithm: 'sha256', a: data.length, b: data.length, end: data.length };
    await hashRanges(path, [range]);
    expect(recallDigest(fileStampOf(await stat(path, { bigint: true }))!, range)).toBeUndefined();
    const old = new Date(Date.now() - 60_000);
    await utimes(path, old, old);
    const expected = createHash('sha256').update(data).digest();
    expect((await hashRanges(path, [range]))[0]).toEqual(expected);
    expect(recallDigest(fileStampOf(await stat(path, { bigint: true }))!, range)).toEqual(expected);
  });
});
