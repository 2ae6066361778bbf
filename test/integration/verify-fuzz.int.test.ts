// Property: no single changed byte and no truncation of a signed sheet yields PASSED for its
// signature, except a byte inside a CA certificate that the CMS carries (the certificate set is
// unsigned by design, RFC 5652 §5.1, and the path is built from the trust anchors). Even the
// /Contents zero padding is checked: data hidden there makes the signature FAILED.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSignedData } from '../../src/cms/index.js';
import { inspectPdf } from '../../src/pdf/index.js';
import { openPkcs12KeySource } from '../../src/pki/index.js';
import { signPdf } from '../../src/signing/index.js';
import { createTrustValidatorFromCertificates, verify, type CertificateValidator } from '../../src/verify/index.js';
import { makePdf } from '../fixtures/make-pdf.js';
import { samplePki } from '../fixtures/make-pki.js';
import { readPemCertificates } from '../fixtures/make-signed.js';
import { trimDer } from '../support/verifiers.js';

const pki = samplePki();
let dir: string;
let original: Buffer;
let trust: CertificateValidator;
/** File ranges of the CA certificates inside /Contents (as hex digits). */
let unsignedCertificates: Array<[number, number]> = [];
let counter = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-verify-fuzz-'));
  await makePdf(join(dir, 'sheet.pdf'), { pageSize: 'A4' });
  await signPdf({ input: join(dir, 'sheet.pdf'), output: join(dir, 'signed.pdf'), keySource: await openPkcs12KeySource({ path: pki.p12.staffRsa, password: pki.password }) });
  original = await readFile(join(dir, 'signed.pdf'));
  trust = await createTrustValidatorFromCertificates(await readPemCertificates(pki.caChain));
  const [, a, b] = (await inspectPdf(join(dir, 'signed.pdf'))).signatures[0]!.byteRange as number[];
  const der = trimDer(Buffer.from(original.toString('latin1', a! + 1, b! - 1), 'hex'));
  const cms = parseSignedData(der);
  unsignedCertificates = cms.certificates
    .filter((c) => !c.equals(cms.signerCertificate!))
    .map((c) => {
      const at = der.indexOf(c);
      return [a! + 1 + 2 * at, a! + 1 + 2 * (at + c.length)];
    });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function indicationOf(bytes: Buffer): Promise<string> {
  const path = join(dir, `fuzz-${counter++}.pdf`);
  await writeFile(path, bytes);
  const report = await verify(path, { trust });
  await rm(path);
  return report.signatures[0]?.indication ?? 'NO_SIGNATURE';
}

describe('verify under random damage', () => {
  it('passes the untouched signed sheet', async () => {
    expect(await indicationOf(original)).toBe('PASSED');
  });

  it('never passes a signature after one byte changed outside the CA certificates the CMS carries', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: original.length - 1 }), fc.integer({ min: 1, max: 255 }), async (position, mask) => {
        const bytes = Buffer.from(original);
        bytes[position] = bytes[position]! ^ mask;
        const indication = await indicationOf(bytes);
        const isInUnsignedCertificate = unsignedCertificates.some(([start, end]) => position >= start && position < end);
        return indication !== 'PASSED' || isInUnsignedCertificate;
      }),
      { numRuns: 150 },
    );
  });

  it('never passes a signature of a truncated sheet', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: original.length - 1 }), async (length) => (await indicationOf(original.subarray(0, length))) !== 'PASSED'),
      { numRuns: 40 },
    );
  });

  it('never passes data hidden in the /Contents zero padding', async () => {
    const [, a, b] = (await inspectPdf(join(dir, 'signed.pdf'))).signatures[0]!.byteRange as number[];
    const hex = original.toString('latin1', a! + 1, b! - 1);
    const paddingStart = a! + 1 + hex.replace(/0+$/, '').length + 2;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: paddingStart, max: b! - 2 }), fc.constantFrom(...'123456789abcdef'), async (position, digit) => {
        const bytes = Buffer.from(original);
        bytes[position] = digit.charCodeAt(0);
        return (await indicationOf(bytes)) !== 'PASSED';
      }),
      { numRuns: 20 },
    );
  });
});
