// Bad input never crashes verify and is never valid: garbage, truncated files, broken
// cross-references, encrypted files, /ByteRange past the end, negative or overlapping, huge
// /Contents, a CMS that is not a CMS. Each comes back with an indication and an error code.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectPdf } from '../../src/pdf/index.js';
import { openPkcs12KeySource, type KeySource } from '../../src/pki/index.js';
import { signPdf } from '../../src/signing/index.js';
import { verify, type VerifyReport } from '../../src/verify/index.js';
import { makeBrokenXref, makeEncrypted, makeNotPdf, makePdf, makeStartxrefOutOfRange, makeTruncated, makeXrefLoop } from '../fixtures/make-pdf.js';
import { samplePki } from '../fixtures/make-pki.js';
import { signCustom } from '../fixtures/make-signed.js';

const pki = samplePki();
let dir: string;
let signed: string;
let key: KeySource;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-verify-bad-'));
  key = await openPkcs12KeySource({ path: pki.p12.staffRsa, password: pki.password });
  await makePdf(join(dir, 'sheet.pdf'));
  signed = join(dir, 'signed.pdf');
  await signPdf({ input: join(dir, 'sheet.pdf'), output: signed, keySource: key });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function expectNotValid(report: VerifyReport): void {
  expect(report.verdict.indication).not.toBe('PASSED');
  expect(report.verdict.code).not.toBeNull();
  for (const signature of report.signatures) {
    expect(signature.indication).not.toBe('PASSED');
    expect(signature.subIndication).not.toBeNull();
  }
}

/** The signed file with its /ByteRange text replaced (same length). */
async function withByteRange(name: string, range: (a: number, b: number, c: number) => string): Promise<string> {
  const bytes = await readFile(signed);
  const [, a, b, c] = (await inspectPdf(signed)).signatures[0]!.byteRange as number[];
  const at = bytes.indexOf('/ByteRange [');
  const end = bytes.indexOf(']', at);
  const text = `/ByteRange [${range(a!, b!, c!)}]`;
  if (text.length > end + 1 - at) throw new Error('range text too long');
  Buffer.from(text.slice(0, -1).padEnd(end - at, ' ') + ']', 'latin1').copy(bytes, at);
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

describe('verify on bad input', () => {
  it.each([
    ['garbage', (p: string) => makeNotPdf(p), 'PDF_NOT_PDF'],
    ['a truncated file', (p: string) => makeTruncated(p), null],
    ['a file with broken cross-reference offsets', (p: string) => makeBrokenXref(p), null],
    ['startxref past the end', (p: string) => makeStartxrefOutOfRange(p), 'PDF_MALFORMED'],
    ['a /Prev loop', (p: string) => makeXrefLoop(p), 'PDF_XREF_LOOP'],
    ['an encrypted file', (p: string) => makeEncrypted(p), 'PDF_ENCRYPTED'],
  ])('reports %s with an indication and a code, without throwing', async (_label, make, code) => {
    const path = join(dir, `${_label.replace(/\W+/g, '-')}.pdf`);
    await make(path);
    const report = await verify(path);
    expectNotValid(report);
    if (code) expect(report.verdict.code).toBe(code);
  });

  it('reports an empty file', async () => {
    await writeFile(join(dir, 'empty.pdf'), '');
    expectNotValid(await verify(join(dir, 'empty.pdf')));
  });

  it('reports a signed file cut anywhere as not valid', async () => {
    const bytes = await readFile(signed);
    for (const keep of [100, bytes.length / 2, bytes.length - 300, bytes.length - 7, bytes.length - 1].map(Math.floor)) {
      const path = join(dir, `cut-${keep}.pdf`);
      await writeFile(path, bytes.subarray(0, keep));
      expectNotValid(await verify(path));
    }
  });

  it.each([
    ['past the end', (a: number, b: number, c: number) => `0 ${a} ${b} ${c + 1000}`],
    ['negative', (a: number, b: number, c: number) => `0 ${a} ${b} -${c}`],
    ['overlapping', (a: number, b: number, c: number) => `0 ${b} ${a} ${c}`],
    ['not starting at 0', (a: number, b: number, c: number) => `5 ${a - 5} ${b} ${c}`],
    ['of three numbers', (a: number, b: number) => `0 ${a} ${b}`],
  ])('gives FORMAT_FAILURE to a /ByteRange %s', async (label, range) => {
    const report = await verify(await withByteRange(`range-${label.replace(/\W+/g, '-')}.pdf`, range));
    expectNotValid(report);
    expect(report.signatures[0]).toMatchObject({ indication: 'FAILED', subIndication: 'FORMAT_FAILURE' });
    expect(report.signatures[0]!.errors[0]!.code).toBe('SIGNATURE_BYTE_RANGE_INVALID');
  });

  it('refuses a /Contents larger than the limit without reading it into the CMS parser', async () => {
    const path = join(dir, 'huge-contents.pdf');
    await signCustom({ input: join(dir, 'sheet.pdf'), output: path, keySource: key, reservedBytes: 5 * 1024 * 1024 });
    const report = await verify(path);
    expectNotValid(report);
    expect(report.signatures[0]!.errors.map((e) => e.code)).toContain('PDF_LIMIT_EXCEEDED');
  });

  it('gives FORMAT_FAILURE and CMS_MALFORMED to a /Contents that is DER but not a CMS', async () => {
    const bytes = await readFile(signed);
    const [, a] = (await inspectPdf(signed)).signatures[0]!.byteRange as number[];
    Buffer.from('020101', 'latin1').copy(bytes, a! + 1);
    const der = bytes.indexOf('>', a!);
    bytes.fill('0', a! + 7, der);
    const path = join(dir, 'not-cms.pdf');
    await writeFile(path, bytes);
    const report = await verify(path);
    expect(report.signatures[0]).toMatchObject({ indication: 'FAILED', subIndication: 'FORMAT_FAILURE' });
    expect(report.signatures[0]!.errors.map((e) => e.code)).toContain('CMS_MALFORMED');
  });

  it('says there is no signature in an unsigned sheet', async () => {
    const report = await verify(join(dir, 'sheet.pdf'));
    expect(report.verdict).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'NO_SIGNATURE_FOUND', code: 'SIGNATURE_NOT_FOUND' });
  });

  it('throws INPUT_NOT_FOUND for a missing file', async () => {
    await expect(verify(join(dir, 'missing.pdf'))).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND' });
  });
});
