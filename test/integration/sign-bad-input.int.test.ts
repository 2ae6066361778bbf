// Every bad input gets its typed error and leaves no output file (and no temporary file) behind.

import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../src/errors.js';
import { openPkcs12KeySource, type KeySource } from '../../src/pki/index.js';
import { signPdf } from '../../src/signing/index.js';
import {
  makeBrokenXref,
  makeEncrypted,
  makeNotPdf,
  makeObjectStreamBomb,
  makePdf,
  makeStartxrefOutOfRange,
  makeTruncated,
  makeXrefLoop,
} from '../fixtures/make-pdf.js';
import { samplePki } from '../fixtures/make-pki.js';

const pki = samplePki();
let dir: string;
let staffRsa: KeySource;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-bad-'));
  staffRsa = await openPkcs12KeySource({ path: pki.p12.staffRsa, password: pki.password });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function expectRefusedWithoutOutput(input: string, code: ErrorCode, keySource: KeySource = staffRsa): Promise<void> {
  const outDir = await mkdtemp(join(dir, 'out-'));
  const output = join(outDir, 'signed.pdf');
  await expect(signPdf({ input, output, keySource })).rejects.toMatchObject({ code });
  expect(await readdir(outDir)).toEqual([]);
}

describe('signPdf on bad input', () => {
  it('refuses a file that is not a PDF with PDF_NOT_PDF', async () => {
    await expectRefusedWithoutOutput(await makeNotPdf(join(dir, 'not.pdf')), 'PDF_NOT_PDF');
  });

  it('refuses a truncated sheet with PDF_TRUNCATED', async () => {
    await expectRefusedWithoutOutput(await makeTruncated(join(dir, 'truncated.pdf')), 'PDF_TRUNCATED');
  });

  it('refuses a cross-reference table whose offsets are wrong with PDF_MALFORMED', async () => {
    await expectRefusedWithoutOutput(await makeBrokenXref(join(dir, 'broken-offsets.pdf'), 'offsets'), 'PDF_MALFORMED');
  });

  it('refuses a startxref that points into image data with PDF_MALFORMED', async () => {
    await expectRefusedWithoutOutput(await makeBrokenXref(join(dir, 'broken-startxref.pdf'), 'startxref'), 'PDF_MALFORMED');
  });

  it('refuses a startxref past the end of the file with PDF_MALFORMED', async () => {
    await expectRefusedWithoutOutput(await makeStartxrefOutOfRange(join(dir, 'startxref-out.pdf')), 'PDF_MALFORMED');
  });

  it('refuses cross-reference sections whose /Prev form a loop with PDF_XREF_LOOP', async () => {
    await expectRefusedWithoutOutput(await makeXrefLoop(join(dir, 'loop.pdf')), 'PDF_XREF_LOOP');
  });

  it('refuses an object stream that inflates past its limit with PDF_LIMIT_EXCEEDED, in bounded memory', async () => {
    const input = await makeObjectStreamBomb(join(dir, 'bomb.pdf'));
    const before = process.memoryUsage().rss;
    await expectRefusedWithoutOutput(input, 'PDF_LIMIT_EXCEEDED');
    expect(process.memoryUsage().rss - before).toBeLessThan(512 * 1024 * 1024);
  });

  it('refuses an encrypted sheet with PDF_ENCRYPTED', async () => {
    await expectRefusedWithoutOutput(await makeEncrypted(join(dir, 'encrypted.pdf')), 'PDF_ENCRYPTED');
  });

  it('refuses a missing input with INPUT_NOT_FOUND', async () => {
    await expectRefusedWithoutOutput(join(dir, 'does-not-exist.pdf'), 'INPUT_NOT_FOUND');
  });

  it('refuses a page number past the last page with PDF_PAGE_NOT_FOUND', async () => {
    const input = join(dir, 'one-page.pdf');
    await makePdf(input);
    const outDir = await mkdtemp(join(dir, 'out-'));
    await expect(signPdf({ input, output: join(outDir, 'x.pdf'), keySource: staffRsa, pageNumber: 2 })).rejects.toMatchObject({
      code: 'PDF_PAGE_NOT_FOUND',
    });
    expect(await readdir(outDir)).toEqual([]);
  });
});

describe('signPdf with an unusable key', () => {
  it('refuses a wrong PKCS#12 password with KEY_PASSWORD_WRONG', async () => {
    await expect(openPkcs12KeySource({ path: pki.p12.staffRsa, password: 'wrong' })).rejects.toMatchObject({ code: 'KEY_PASSWORD_WRONG' });
  });

  it('refuses a certificate without signing key usage with KEY_USAGE_NOT_ALLOWED and writes nothing', async () => {
    const input = join(dir, 'usage.pdf');
    await makePdf(input);
    const keySource = await openPkcs12KeySource({ path: pki.p12.noSigningUsage, password: pki.password });
    await expectRefusedWithoutOutput(input, 'KEY_USAGE_NOT_ALLOWED', keySource);
  });

  it('refuses an expired certificate with CERT_EXPIRED and writes nothing', async () => {
    const input = join(dir, 'expired.pdf');
    await makePdf(input);
    const keySource = await openPkcs12KeySource({ path: pki.p12.expired, password: pki.password });
    await expectRefusedWithoutOutput(input, 'CERT_EXPIRED', keySource);
  });
});
