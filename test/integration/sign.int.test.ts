// Signs generated large-format sheets of every structure and checks each output with verifiers we
// did not write: pdfsig, mutool, qpdf --check and openssl cms -verify.

import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSignedData } from '../../src/cms/index.js';
import { inspectPdf } from '../../src/pdf/index.js';
import { openPkcs12KeySource, type KeySource } from '../../src/pki/index.js';
import { signPdf } from '../../src/signing/index.js';
import { makePdf, type MakePdfOptions } from '../fixtures/make-pdf.js';
import { samplePki } from '../fixtures/make-pki.js';
import { mutoolShowTrailer, mutoolVerify, opensslVerifyAll, pdfsig, qpdfCheck, runCommand, trimDer } from '../support/verifiers.js';
import { readContents } from '../support/read-contents.js';

const pki = samplePki();
let dir: string;
let staffRsa: KeySource;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-sign-'));
  staffRsa = await openPkcs12KeySource({ path: pki.p12.staffRsa, password: pki.password });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function expectAllVerifiersAccept(path: string, expectedSignatures: number): Promise<void> {
  const sig = await pdfsig(path);
  expect(sig.signatures, sig.output).toHaveLength(expectedSignatures);
  for (const s of sig.signatures) expect(s.isValid, sig.output).toBe(true);
  expect(sig.signatures.at(-1)!.isTotalDocumentSigned, sig.output).toBe(true);
  const qpdf = await qpdfCheck(path);
  expect(qpdf.code, qpdf.stdout + qpdf.stderr).toBe(0);
  const mutool = await mutoolVerify(path);
  const mutoolSigned = mutool.signatures.filter((s) => s.isSigned);
  expect(mutoolSigned, mutool.output).toHaveLength(expectedSignatures);
  for (const s of mutoolSigned) expect(s.isDigestValid, mutool.output).toBe(true);
  const trailer = await mutoolShowTrailer(path);
  expect(trailer.code, trailer.stderr).toBe(0);
  expect(trailer.stderr).not.toMatch(/error|repair/i);
  const openssl = await opensslVerifyAll(path, pki.caChain, dir);
  expect(openssl).toHaveLength(expectedSignatures);
  for (const result of openssl) expect(result.code, result.stderr).toBe(0);
}

const structures: Array<[string, MakePdfOptions]> = [
  ['a classic cross-reference table', { pageSize: 'A1' }],
  ['cross-reference streams with object streams', { pageSize: 'A0', xref: 'stream' }],
  ['a hybrid-reference file', { pageSize: 'A1', hybrid: true }],
  ['a linearized file', { pageSize: 'A0', pages: 3, linearized: true }],
  ['an existing AcroForm with a text field', { acroForm: 'text-field' }],
  ['an indirect AcroForm and indirect page /Annots', { acroForm: 'text-field', acroFormIndirect: true, annotsIndirect: true }],
  ['a page with /Rotate 90', { pageSize: 'A0', rotate: 90 }],
  ['an inherited /MediaBox and /Rotate', { inheritedMediaBox: true, rotate: 270 }],
  ['a /UserUnit page with an offset /CropBox', { userUnit: 2, cropBoxOffset: true }],
  ['junk after %%EOF', { trailingJunk: true }],
  ['no end-of-line after the final %%EOF', { noFinalEol: true }],
  ['no /Info and no /ID', { withInfo: false }],
  ['an 8 MiB orthophoto on several pages', { pageSize: 'A0', pages: 2, sizeMiB: 8 }],
];

describe('signPdf over every file structure', () => {
  it.each(structures)('signs %s so that pdfsig, mutool, qpdf and openssl accept it', async (label, options) => {
    const input = join(dir, `${label.replace(/\W+/g, '-')}.pdf`);
    const output = `${input}.signed.pdf`;
    await makePdf(input, options);
    const result = await signPdf({ input, output, keySource: staffRsa, reason: 'Phê duyệt bản đồ', location: 'Đồng Nai' });
    expect(result.byteRange[0]).toBe(0);
    expect(result.byteRange[2] + result.byteRange[3]).toBe((await stat(output)).size);
    await expectAllVerifiersAccept(output, 1);
  });
});

describe('signPdf with several signers', () => {
  it('keeps three signatures by three keys valid, each covering its own revision', async () => {
    const input = join(dir, 'three.pdf');
    await makePdf(input, { pageSize: 'A0', xref: 'stream' });
    const keys = [
      staffRsa,
      await openPkcs12KeySource({ path: pki.p12.staffEc, password: pki.password }),
      await openPkcs12KeySource({ path: pki.p12.departmentSeal, password: pki.password }),
    ];
    let current = input;
    for (const [i, keySource] of keys.entries()) {
      const next = join(dir, `three-${i + 1}.pdf`);
      await signPdf({ input: current, output: next, keySource, hashAlgorithm: i === 2 ? 'sha384' : 'sha256' });
      current = next;
    }
    await expectAllVerifiersAccept(current, 3);
    const info = await inspectPdf(current);
    expect(info.signatures.map((s) => s.field)).toEqual(['Signature1', 'Signature2', 'Signature3']);
    expect(info.revisions.length).toBeGreaterThanOrEqual(4);
    const names = (await pdfsig(current)).signatures.map((s) => s.commonName);
    expect(names).toEqual(['Nguyễn Văn An', expect.any(String), 'Sở Nông nghiệp và Môi trường tỉnh Đồng Nai']);
  });

  it('adds a signature after one made by mutool sign, leaving it valid', async () => {
    const input = join(dir, 'for-mutool.pdf');
    const mutoolSigned = join(dir, 'mutool-signed.pdf');
    const output = join(dir, 'mutool-then-mapsign.pdf');
    await makePdf(input, { acroForm: 'empty-signature-field' });
    const fields = await runCommand('mutool', ['sign', input]);
    const fieldNumber = /(\d+):/.exec(fields.stdout + fields.stderr)?.[1];
    expect(fieldNumber, fields.stdout + fields.stderr).toBeDefined();
    const signed = await runCommand('mutool', ['sign', '-s', pki.p12.departmentSeal, '-P', pki.password, '-o', mutoolSigned, input, fieldNumber!]);
    expect(signed.code, signed.stderr).toBe(0);
    await signPdf({ input: mutoolSigned, output, keySource: staffRsa });
    const sig = await pdfsig(output);
    expect(sig.signatures, sig.output).toHaveLength(2);
    expect(sig.signatures.every((s) => s.isValid), sig.output).toBe(true);
    expect(sig.signatures[1]!.isTotalDocumentSigned).toBe(true);
    await expectAllVerifiersAccept(output, 2);
  });

  it('fills an empty signature field named with --field instead of adding a new one', async () => {
    const input = join(dir, 'empty-field.pdf');
    const output = join(dir, 'empty-field-signed.pdf');
    await makePdf(input, { acroForm: 'empty-signature-field' });
    const result = await signPdf({ input, output, keySource: staffRsa, fieldName: 'Signature1' });
    expect(result.fieldName).toBe('Signature1');
    const info = await inspectPdf(output);
    expect(info.signatures.map((s) => s.field)).toEqual(['Signature1']);
    expect(info.emptySignatureFields).toEqual([]);
    await expectAllVerifiersAccept(output, 1);
  });
});

describe('the verifiers used by these tests', () => {
  it('reject a signed sheet in which one byte changed after signing', async () => {
    const input = join(dir, 'tamper.pdf');
    const output = join(dir, 'tamper-signed.pdf');
    await makePdf(input);
    await signPdf({ input, output, keySource: staffRsa });
    const handle = await open(output, 'r+');
    await handle.write(Buffer.from('%'), 0, 1, 200);
    await handle.close();
    expect((await pdfsig(output)).signatures[0]!.isValid).toBe(false);
    expect((await mutoolVerify(output)).signatures.find((s) => s.isSigned)!.isDigestValid).toBe(false);
    expect((await opensslVerifyAll(output, pki.caChain, dir))[0]!.code).not.toBe(0);
  });
});

describe('the PAdES B-B signature inside the file', () => {
  it('carries exactly content-type, message-digest and signing-certificate-v2, no signing-time, and the chain', async () => {
    const input = join(dir, 'attrs.pdf');
    const output = join(dir, 'attrs-signed.pdf');
    await makePdf(input);
    await signPdf({ input, output, keySource: staffRsa });
    const [der] = await readContents(output);
    const cms = parseSignedData(trimDer(der!));
    expect(cms.signerCount).toBe(1);
    expect(cms.isDetached).toBe(true);
    expect(cms.eContentType).toBe('1.2.840.113549.1.7.1');
    expect([...cms.signedAttributeOids].sort()).toEqual(['1.2.840.113549.1.9.16.2.47', '1.2.840.113549.1.9.3', '1.2.840.113549.1.9.4'].sort());
    expect(cms.signedAttributeOids).not.toContain('1.2.840.113549.1.9.5');
    expect(cms.certificates).toHaveLength(3);
    const info = await inspectPdf(output);
    expect(info.signatures[0]!.subFilter).toBe('ETSI.CAdES.detached');
    expect(info.signatures[0]!.signingTime).toMatch(/^D:\d{14}\+07'00'$/);
  });
});
