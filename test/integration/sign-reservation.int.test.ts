// /Contents is reserved from an estimate; when the signature does not fit, the reservation grows
// and the pass is redone — the signature is never truncated.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPkcs12KeySource } from '../../src/pki/index.js';
import { signPdf, type Timestamper } from '../../src/signing/index.js';
import { makePdf } from '../fixtures/make-pdf.js';
import { samplePki } from '../fixtures/make-pki.js';
import { pdfsig, qpdfCheck } from '../support/verifiers.js';

const pki = samplePki();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-reserve-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A TSA stand-in whose "token" is 40 KB of DER, far over the 12 KB reserved for a time-stamp. */
const oversizedTimestamper: Timestamper = async () => ({
  token: Buffer.from(new asn1js.OctetString({ valueHex: new Uint8Array(40_000).fill(0x5a) }).toBER(false)),
  genTime: new Date(),
  serialNumber: '01',
  policy: '1.2.3',
  hashAlgorithm: 'sha256',
  messageImprint: Buffer.alloc(32),
  certificates: [],
  signerCertificate: null,
});

describe('signPdf reservation', () => {
  it('grows /Contents and redoes the pass when the signature does not fit the estimate', async () => {
    const input = join(dir, 'in.pdf');
    const output = join(dir, 'out.pdf');
    await makePdf(input, { sizeMiB: 2 });
    const keySource = await openPkcs12KeySource({ path: pki.p12.staffRsa, password: pki.password });
    const result = await signPdf({ input, output, keySource, timestamp: { timestamper: oversizedTimestamper, onUnavailable: 'fail' } });
    expect(result.attempts).toBe(2);
    expect(result.signatureBytes).toBeGreaterThan(40_000);
    expect(result.reservedBytes).toBeGreaterThanOrEqual(result.signatureBytes);
    const sig = await pdfsig(output);
    expect(sig.signatures[0]!.isValid, sig.output).toBe(true);
    expect(sig.signatures[0]!.isTotalDocumentSigned).toBe(true);
    expect((await qpdfCheck(output)).code).toBe(0);
  });
});
