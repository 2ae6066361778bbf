// OCSP responses and CRLs judged as kept evidence (a /DSS), offline: the same authenticity checks
// as the online clients, freshness against the validation time instead of the clock, and the
// choice among a pool. Responses are made by `openssl ocsp` from the sample PKI's index.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCrlEvidence, checkOcspEvidence, selectRevocationEvidence } from '../../../src/pki/index.js';
import { samplePki } from '../../fixtures/make-pki.js';
import { issueCertificate, makeCertWorkspace, makeOcspRequest, makeOcspResponse, readDer, type CertWorkspace } from '../../support/pki-services.js';

const pki = samplePki();
const DAY = 86_400_000;
let ws: CertWorkspace;
let issuer: Buffer;
let staffRsa: Buffer;
let staffEc: Buffer;
let revoked: Buffer;
let goodResponse: Buffer;
let revokedResponse: Buffer;
let crl: Buffer;
let rootCrl: Buffer;

beforeAll(async () => {
  ws = await makeCertWorkspace('mapsign-evidence-');
  issuer = await readDer(pki.issuingCa);
  staffRsa = await readDer(pki.pem.staffRsa);
  staffEc = await readDer(pki.pem.staffEc);
  revoked = await readDer(pki.pem.revoked);
  const respond = async (cert: string): Promise<Buffer> =>
    makeOcspResponse(ws, { request: await makeOcspRequest(ws, { issuer: pki.issuingCa, cert }), index: pki.index, ca: pki.issuingCa, signerCert: pki.pem.ocspResponder, signerKey: pki.ocspResponderKey, nextUpdateMinutes: 5 });
  goodResponse = await respond(pki.pem.staffRsa);
  revokedResponse = await respond(pki.pem.revoked);
  crl = await readFile(pki.crlDer);
  rootCrl = await readFile(pki.rootCrlDer);
});

afterAll(async () => {
  await ws.cleanup();
});

describe('checkOcspEvidence', () => {
  it('settles good at a time before the response was issued, long after its nextUpdate has passed', () => {
    const later = new Date(Date.now() + 30 * DAY);
    const check = checkOcspEvidence(goodResponse, staffRsa, issuer, { validationTime: new Date(Date.now() - DAY), currentTime: later });
    expect(check).toMatchObject({ isUsable: true, kind: 'ocsp', status: 'good' });
    if (check.isUsable) {
      expect(check.producedAt).not.toBeNull();
      expect(check.signerCertificates).toHaveLength(1);
    }
  });

  it('says nothing about a time after its window: stale', () => {
    const later = new Date(Date.now() + DAY);
    const check = checkOcspEvidence(goodResponse, staffRsa, issuer, { validationTime: later, currentTime: later });
    expect(check).toMatchObject({ isUsable: false, failure: 'stale', isAboutCertificate: true });
  });

  it('keeps a revocation true whenever it is read', () => {
    const later = new Date(Date.now() + 365 * DAY);
    const check = checkOcspEvidence(revokedResponse, revoked, issuer, { validationTime: later, currentTime: later });
    expect(check).toMatchObject({ isUsable: true, status: 'revoked', revocationReason: 'keyCompromise' });
  });

  it('marks a response about another certificate as not about this one', () => {
    const check = checkOcspEvidence(goodResponse, staffEc, issuer, { validationTime: new Date() });
    expect(check).toMatchObject({ isUsable: false, failure: 'not-applicable', isAboutCertificate: false });
  });

  it('refuses a response issued after the current time', () => {
    const before = new Date(Date.now() - DAY);
    const check = checkOcspEvidence(goodResponse, staffRsa, issuer, { validationTime: before, currentTime: before });
    expect(check).toMatchObject({ isUsable: false, failure: 'invalid' });
    if (!check.isUsable) expect(check.message).toMatch(/future/);
  });

  it('refuses a response whose signature was altered', () => {
    const altered = Buffer.from(goodResponse);
    altered[altered.length - 300] = altered[altered.length - 300]! ^ 0xff;
    const check = checkOcspEvidence(altered, staffRsa, issuer, { validationTime: new Date() });
    expect(check.isUsable).toBe(false);
  });

  it('wants a CRL showing a delegated responder without ocsp-nocheck unrevoked', async () => {
    const responder = await issueCertificate(ws, {
      name: 'checked-responder',
      subject: '/CN=Responder Without Nocheck',
      issuer: { cert: pki.issuingCa, key: pki.issuingCaKey },
      extensions: ['basicConstraints = critical, CA:FALSE', 'keyUsage = critical, digitalSignature', 'extendedKeyUsage = OCSPSigning'],
    });
    const response = await makeOcspResponse(ws, {
      request: await makeOcspRequest(ws, { issuer: pki.issuingCa, cert: pki.pem.staffRsa }),
      index: pki.index,
      ca: pki.issuingCa,
      signerCert: responder.cert,
      signerKey: responder.key,
      nextUpdateMinutes: 5,
    });
    const without = checkOcspEvidence(response, staffRsa, issuer, { validationTime: new Date() });
    expect(without).toMatchObject({ isUsable: false, failure: 'invalid' });
    if (!without.isUsable) expect(without.message).toMatch(/responder .* unrevoked/);
    expect(checkOcspEvidence(response, staffRsa, issuer, { validationTime: new Date(), crls: [crl] })).toMatchObject({ isUsable: true, status: 'good' });
  });
});

describe('checkCrlEvidence', () => {
  it('reads good and revoked from the issuing CA’s CRL', () => {
    expect(checkCrlEvidence(crl, staffRsa, issuer, { validationTime: new Date() })).toMatchObject({ isUsable: true, kind: 'crl', status: 'good' });
    expect(checkCrlEvidence(crl, revoked, issuer, { validationTime: new Date() })).toMatchObject({ isUsable: true, status: 'revoked', revocationReason: 'keyCompromise' });
  });

  it('marks another CA’s CRL as not about the certificate', () => {
    expect(checkCrlEvidence(rootCrl, staffRsa, issuer, { validationTime: new Date() })).toMatchObject({ isUsable: false, isAboutCertificate: false });
  });
});

describe('selectRevocationEvidence', () => {
  it('lets a revocation win over a good answer and names the evidence chosen', () => {
    const pool = [
      { der: goodResponse, kind: 'ocsp' as const, label: 'a' },
      { der: crl, kind: 'crl' as const, label: 'b' },
      { der: revokedResponse, kind: 'ocsp' as const, label: 'c' },
    ];
    const forRevoked = selectRevocationEvidence(pool, revoked, issuer, { validationTime: new Date() });
    expect(forRevoked.status).toBe('revoked');
    expect(['b', 'c']).toContain(forRevoked.chosen?.label);
    const forStaff = selectRevocationEvidence(pool, staffRsa, issuer, { validationTime: new Date() });
    expect(forStaff.status).toBe('good');
    expect(forStaff.rejected).toEqual([]);
  });

  it('is unknown when the pool holds nothing about the certificate', () => {
    const selection = selectRevocationEvidence([{ der: goodResponse, kind: 'ocsp', label: 'x' }], staffEc, issuer, { validationTime: new Date() });
    expect(selection).toMatchObject({ status: 'unknown', chosen: null, rejected: [] });
  });
});
