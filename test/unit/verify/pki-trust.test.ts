// The pki trust hook on its own, against a small PKI made for it with chosen dates: a revoked
// signer, an expired one, a weak key, a certificate without signing usage, and CRLs issued at
// chosen times. Each ETSI EN 319 102-1 sub-indication the hook gives is pinned here.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTrustStore, describeCertificate, type TrustStore } from '../../../src/pki/index.js';
import { createPkiTrustValidator } from '../../../src/verify/pki-trust.js';
import type { CertificateValidationRequest } from '../../../src/verify/trust.js';
import { CA_EXTENSIONS, issueCertificate, makeCertWorkspace, makeCrl, SIGNER_EXTENSIONS, type CertWorkspace, type IssuedCertificate } from '../../support/pki-services.js';

const DAY = 86_400_000;
const now = new Date(Math.floor(Date.now() / 1000) * 1000);
const at = (offsetDays: number): Date => new Date(now.getTime() + offsetDays * DAY);
const stamp = (date: Date): string => date.toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
/** openssl's index keeps UTCTime: YYMMDDHHMMSSZ. */
const utc = (date: Date): string => stamp(date).slice(2);

let ws: CertWorkspace;
let store: TrustStore;
let otherStore: TrustStore;
let root: IssuedCertificate;
let good: IssuedCertificate;
let revoked: IssuedCertificate;
let expired: IssuedCertificate;
let weak: IssuedCertificate;
let noUsage: IssuedCertificate;
/** Issued now, lists `revoked` as revoked 30 days ago. */
let currentCrl: Buffer;
/** Issued while `expired` was still valid, 400 days ago, current for 10 days. */
let oldCrl: Buffer;
const revokedAt = at(-30);

beforeAll(async () => {
  ws = await makeCertWorkspace('mapsign-pki-trust-');
  root = await issueCertificate(ws, { name: 'root', subject: '/CN=Trust Test Root', extensions: CA_EXTENSIONS, startDate: stamp(at(-1000)), endDate: stamp(at(3000)) });
  const issuer = { cert: root.cert, key: root.key };
  const leaf = (name: string, from: number, to: number, extra: Partial<Parameters<typeof issueCertificate>[1]> = {}): Promise<IssuedCertificate> =>
    issueCertificate(ws, { name, subject: `/CN=${name}`, issuer, extensions: SIGNER_EXTENSIONS, startDate: stamp(at(from)), endDate: stamp(at(to)), ...extra });
  good = await leaf('good', -100, 300);
  revoked = await leaf('revoked', -100, 300);
  expired = await leaf('expired', -800, -365);
  weak = await leaf('weak', -100, 300, { key: 'rsa1024' });
  noUsage = await leaf('no-usage', -100, 300, { extensions: ['basicConstraints = critical, CA:FALSE', 'keyUsage = critical, keyEncipherment'] });
  const serial = (cert: IssuedCertificate): string => describeCertificate(cert.der).serialNumber.toUpperCase();
  const index = join(ws.dir, 'root-index.txt');
  await writeFile(index, `R\t${utc(at(300))}\t${utc(revokedAt)},keyCompromise\t${serial(revoked)}\tunknown\t/CN=revoked\n`);
  currentCrl = await makeCrl(ws, { caCert: root.cert, caKey: root.key, index, lastUpdate: at(-0.01), nextUpdate: at(1) });
  oldCrl = await makeCrl(ws, { caCert: root.cert, caKey: root.key, lastUpdate: at(-400), nextUpdate: at(-390) });
  store = createTrustStore({ roots: [root.der] });
  const other = await issueCertificate(ws, { name: 'other-root', subject: '/CN=Another Root', extensions: CA_EXTENSIONS });
  otherStore = createTrustStore({ roots: [other.der] });
});

afterAll(async () => {
  await ws?.cleanup();
});

function request(cert: IssuedCertificate, extra: Partial<CertificateValidationRequest> = {}): CertificateValidationRequest {
  return { purpose: 'signature', signerCertificate: cert.der, certificates: [], ocsps: [], crls: [], validationTime: at(-1), isValidationTimeProven: false, currentTime: now, ...extra };
}

const offline = (): ReturnType<typeof createPkiTrustValidator> => createPkiTrustValidator({ trustStore: store });

describe('createPkiTrustValidator', () => {
  it('passes a signer whose status a /DSS CRL settles, reporting chain, source and times', async () => {
    const result = await offline()(request(good, { crls: [currentCrl] }));
    expect(result).toMatchObject({ indication: 'PASSED', subIndication: null, revocation: 'good', validator: 'mapsign-pki' });
    expect(result.chain).toEqual([good.der, root.der]);
    expect(result.revocationChecks).toHaveLength(1);
    expect(result.revocationChecks![0]).toMatchObject({ status: 'good', source: 'dss-crl', kind: 'crl' });
    expect(result.revocationChecks![0]!.thisUpdate!.getTime()).toBeGreaterThan(at(-1).getTime());
  });

  it('labels evidence found in the CMS as cms', async () => {
    const result = await offline()(request(good, { cmsCrls: [currentCrl] }));
    expect(result.revocationChecks![0]).toMatchObject({ status: 'good', source: 'cms', kind: 'crl' });
  });

  it('is INDETERMINATE/TRY_LATER under hard-fail when nothing settles the status, and says why', async () => {
    const result = await offline()(request(good));
    expect(result).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'TRY_LATER', revocation: 'unknown' });
    expect(result.message).toMatch(/no revocation data.*going online is not allowed/);
  });

  it('passes with a warning under soft-fail, and checks nothing under off', async () => {
    const soft = await createPkiTrustValidator({ trustStore: store, revocationPolicy: 'soft-fail' })(request(good));
    expect(soft).toMatchObject({ indication: 'PASSED', revocation: 'unknown' });
    expect(soft.warnings?.[0]).toMatch(/soft-fail/);
    const off = await createPkiTrustValidator({ trustStore: store, revocationPolicy: 'off' })(request(good));
    expect(off).toMatchObject({ indication: 'PASSED', revocation: 'not-checked', revocationChecks: [] });
  });

  it('fails with REVOKED when the certificate was revoked before the claimed signing time', async () => {
    const result = await offline()(request(revoked, { crls: [currentCrl] }));
    expect(result).toMatchObject({ indication: 'FAILED', subIndication: 'REVOKED', revocation: 'revoked' });
    expect(result.revocationChecks![0]!.revocationTime!.toISOString()).toBe(revokedAt.toISOString());
    expect(result.revocationChecks![0]!.revocationReason).toBe('keyCompromise');
  });

  it('is REVOKED_NO_POE when only the signer’s claim puts the signature before the revocation', async () => {
    const result = await offline()(request(revoked, { crls: [currentCrl], validationTime: at(-60) }));
    expect(result).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'REVOKED_NO_POE' });
  });

  it('passes, with a warning, when a time-stamp proves the signature older than the revocation', async () => {
    const result = await offline()(request(revoked, { crls: [currentCrl], validationTime: at(-60), isValidationTimeProven: true }));
    expect(result).toMatchObject({ indication: 'PASSED', revocation: 'revoked' });
    expect(result.warnings?.[0]).toMatch(/after the time-stamp/);
  });

  it('is REVOKED_NO_POE when the time-stamp comes after the revocation but the signer claims a time before it', async () => {
    const result = await offline()(request(revoked, { crls: [currentCrl], validationTime: at(-1), isValidationTimeProven: true, claimedTime: at(-60) }));
    expect(result).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'REVOKED_NO_POE' });
  });

  it('passes an expired signer whose time-stamp proves the signature made while valid, from a CRL of that time', async () => {
    const result = await offline()(request(expired, { crls: [oldCrl, currentCrl], validationTime: at(-401), isValidationTimeProven: true }));
    expect(result).toMatchObject({ indication: 'PASSED', revocation: 'good' });
    expect(result.revocationChecks![0]!.thisUpdate!.toISOString()).toBe(at(-400).toISOString());
  });

  it('does not take a CRL issued after the certificate expired as proof that it was not revoked', async () => {
    const result = await offline()(request(expired, { crls: [currentCrl], validationTime: at(-401), isValidationTimeProven: true }));
    expect(result).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'TRY_LATER' });
    expect(result.revocationChecks![0]!.message).toMatch(/after the certificate of .* expired/);
  });

  it('is OUT_OF_BOUNDS_NOT_REVOKED for an expired signer without a time-stamp but known not revoked, OUT_OF_BOUNDS_NO_POE otherwise', async () => {
    const known = await offline()(request(expired, { crls: [oldCrl], validationTime: at(-401) }));
    expect(known).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'OUT_OF_BOUNDS_NOT_REVOKED' });
    const unknown = await offline()(request(expired, { validationTime: at(-401) }));
    expect(unknown).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'OUT_OF_BOUNDS_NO_POE' });
  });

  it('fails with EXPIRED when a time-stamp proves the signature made after expiry, and is OUT_OF_BOUNDS_NO_POE when only claimed', async () => {
    const proven = await offline()(request(expired, { validationTime: at(-1), isValidationTimeProven: true }));
    expect(proven).toMatchObject({ indication: 'FAILED', subIndication: 'EXPIRED' });
    expect(proven.chain).toEqual([expired.der, root.der]);
    const claimed = await offline()(request(expired, { validationTime: at(-1) }));
    expect(claimed).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'OUT_OF_BOUNDS_NO_POE' });
  });

  it('ignores a CRL whose window ended before the validation time', async () => {
    const result = await offline()(request(good, { crls: [oldCrl], validationTime: at(-50) }));
    expect(result).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'TRY_LATER' });
    expect(result.revocationChecks![0]!.message).toMatch(/says nothing about/);
  });

  it('finds no chain to a root that is not configured', async () => {
    const result = await createPkiTrustValidator({ trustStore: otherStore })(request(good, { crls: [currentCrl] }));
    expect(result).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'NO_CERTIFICATE_CHAIN_FOUND', revocation: 'not-checked' });
  });

  it('refuses a 1024-bit RSA key as CRYPTO_CONSTRAINTS_FAILURE', async () => {
    const result = await offline()(request(weak, { crls: [currentCrl] }));
    expect(result).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'CRYPTO_CONSTRAINTS_FAILURE' });
  });

  it('refuses a key usage unfit for signing, and a signing certificate used as a TSA, as CHAIN_CONSTRAINTS_FAILURE', async () => {
    const usage = await offline()(request(noUsage, { crls: [currentCrl] }));
    expect(usage).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'CHAIN_CONSTRAINTS_FAILURE' });
    const tsa = await offline()(request(good, { crls: [currentCrl], purpose: 'timestamp', isValidationTimeProven: true }));
    expect(tsa).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'CHAIN_CONSTRAINTS_FAILURE' });
    expect(tsa.message).toMatch(/1\.3\.6\.1\.5\.5\.7\.3\.8|timestamping/);
  });

  it('skips unreadable certificates among the candidates instead of failing', async () => {
    const result = await offline()(request(good, { crls: [currentCrl], certificates: [Buffer.from('not a certificate')] }));
    expect(result.indication).toBe('PASSED');
  });
});
