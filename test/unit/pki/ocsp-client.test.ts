// OCSP request building and response checking (RFC 6960) against responses that `openssl ocsp`
// makes offline (-reqin/-respout) from the sample PKI's index: who signed, for which certificate,
// with which nonce, and how fresh.
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOcspRequest, evaluateOcspResponse, type EvaluateOcspOptions } from '../../../src/pki/ocsp-client.js';
import { RevocationSourceError } from '../../../src/pki/revocation-data.js';
import { parseX509, type ParsedCertificate } from '../../../src/pki/x509.js';
import { samplePki } from '../../fixtures/make-pki.js';
import { CA_EXTENSIONS, issueCertificate, makeCertWorkspace, makeOcspRequest, makeOcspResponse, readDer, type CertWorkspace } from '../../support/pki-services.js';

const pki = samplePki();
let ws: CertWorkspace;
let issuer: ParsedCertificate;
let staffRsa: ParsedCertificate;
let revoked: ParsedCertificate;

beforeAll(async () => {
  ws = await makeCertWorkspace('mapsign-ocsp-');
  issuer = parseX509(await readDer(pki.issuingCa));
  staffRsa = parseX509(await readDer(pki.pem.staffRsa));
  revoked = parseX509(await readDer(pki.pem.revoked));
});

afterAll(async () => {
  await ws.cleanup();
});

function respond(request: Buffer, signer: { cert: string; key: string } = { cert: pki.pem.ocspResponder, key: pki.ocspResponderKey }, nextUpdateMinutes = 5): Promise<Buffer> {
  return makeOcspResponse(ws, { request, index: pki.index, ca: pki.issuingCa, signerCert: signer.cert, signerKey: signer.key, nextUpdateMinutes });
}

function options(cert: ParsedCertificate, extra: Partial<EvaluateOcspOptions> = {}): EvaluateOcspOptions {
  return { cert, issuer, now: new Date(), clockSkewMs: 60_000, maxAgeWithoutNextUpdateMs: 3_600_000, ...extra };
}

function expectInvalid(run: () => unknown, kind: string, message: RegExp): void {
  let error: unknown;
  try {
    run();
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(RevocationSourceError);
  expect((error as RevocationSourceError).kind).toBe(kind);
  expect((error as Error).message).toMatch(message);
}

describe('evaluateOcspResponse', () => {
  it('reads good from a delegated responder’s answer to our request, nonce echoed', async () => {
    const request = buildOcspRequest(staffRsa, issuer);
    const result = evaluateOcspResponse(await respond(request.der), options(staffRsa, { nonce: request.nonce }));
    expect(result.status).toBe('good');
    expect(result.responder?.info.commonName).toBe('Mapsign Sample OCSP Responder');
    expect(result.nextUpdate!.getTime() - result.thisUpdate.getTime()).toBe(5 * 60_000);
  });

  it('reads revoked with its time and reason keyCompromise', async () => {
    const request = buildOcspRequest(revoked, issuer);
    const result = evaluateOcspResponse(await respond(request.der), options(revoked, { nonce: request.nonce }));
    expect(result.status).toBe('revoked');
    expect(result.revocationReason).toBe('keyCompromise');
    expect(result.revocationTime).toBeInstanceOf(Date);
  });

  it('accepts an answer signed by the issuing CA itself', async () => {
    const request = buildOcspRequest(staffRsa, issuer);
    const result = evaluateOcspResponse(await respond(request.der, { cert: pki.issuingCa, key: pki.issuingCaKey }), options(staffRsa, { nonce: request.nonce }));
    expect(result).toMatchObject({ status: 'good', responder: null });
  });

  it('refuses an answer signed by a certificate of the CA without id-kp-OCSPSigning (the TSA)', async () => {
    const request = buildOcspRequest(staffRsa, issuer);
    const der = await respond(request.der, { cert: pki.pem.tsa, key: pki.tsaKey });
    expectInvalid(() => evaluateOcspResponse(der, options(staffRsa, { nonce: request.nonce })), 'invalid', /OCSPSigning/);
  });

  it('refuses an answer from a responder certified by another CA', async () => {
    const otherCa = await issueCertificate(ws, { name: 'other-ca', subject: '/CN=Other CA', extensions: CA_EXTENSIONS });
    const rogue = await issueCertificate(ws, {
      name: 'rogue-responder',
      subject: '/CN=Rogue Responder',
      issuer: { cert: otherCa.cert, key: otherCa.key },
      extensions: ['keyUsage = critical, digitalSignature', 'extendedKeyUsage = OCSPSigning'],
    });
    const request = buildOcspRequest(staffRsa, issuer);
    const der = await respond(request.der, { cert: rogue.cert, key: rogue.key });
    expectInvalid(() => evaluateOcspResponse(der, options(staffRsa, { nonce: request.nonce })), 'invalid', /not certified by/);
  });

  it('refuses an answer carrying another nonce than the request', async () => {
    const request = buildOcspRequest(staffRsa, issuer);
    const der = await respond(request.der);
    expectInvalid(() => evaluateOcspResponse(der, options(staffRsa, { nonce: Buffer.alloc(32, 7) })), 'invalid', /nonce/);
  });

  it('refuses an answer about another certificate', async () => {
    const other = await makeOcspRequest(ws, { issuer: pki.issuingCa, cert: pki.pem.staffEc });
    const der = await respond(other);
    expectInvalid(() => evaluateOcspResponse(der, options(staffRsa)), 'invalid', /does not answer for the certificate/);
  });

  it('calls an answer stale once its nextUpdate has passed (beyond the clock skew)', async () => {
    const request = buildOcspRequest(staffRsa, issuer);
    const der = await respond(request.der, undefined, 1);
    const later = new Date(Date.now() + 10 * 60_000);
    expectInvalid(() => evaluateOcspResponse(der, options(staffRsa, { now: later })), 'stale', /stale/);
  });

  it('refuses an answer whose signature was altered', async () => {
    const request = buildOcspRequest(staffRsa, issuer);
    const der = Buffer.from(await respond(request.der));
    const response = pkijs.OCSPResponse.fromBER(der);
    const basic = pkijs.BasicOCSPResponse.fromBER(response.responseBytes!.response.valueBlock.valueHexView);
    const signature = Buffer.from(basic.signature.valueBlock.valueHexView);
    const at = der.indexOf(signature) + signature.length / 2;
    der[at] = (der[at] ?? 0) ^ 0xff;
    expectInvalid(() => evaluateOcspResponse(der, options(staffRsa, { nonce: request.nonce })), 'invalid', /does not verify/);
  });

  it('refuses bytes that are not an OCSP response', () => {
    expectInvalid(() => evaluateOcspResponse(Buffer.from('<html>proxy error</html>'), options(staffRsa)), 'invalid', /not an OCSPResponse/);
  });

  it('treats tryLater as the responder being unavailable', () => {
    // OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED tryLater(3) }
    expectInvalid(() => evaluateOcspResponse(Buffer.from([0x30, 0x03, 0x0a, 0x01, 0x03]), options(staffRsa)), 'unavailable', /tryLater/);
  });
});

describe('buildOcspRequest', () => {
  it('makes a request openssl reads, with a fresh 32-byte nonce each time', async () => {
    const first = buildOcspRequest(staffRsa, issuer);
    const second = buildOcspRequest(staffRsa, issuer);
    expect(first.nonce).toHaveLength(32);
    expect(first.nonce.equals(second.nonce)).toBe(false);
    // openssl answers it from the index: the CertID names staff-rsa.
    const result = evaluateOcspResponse(await respond(first.der), options(staffRsa, { nonce: first.nonce }));
    expect(result.status).toBe('good');
  });
});
