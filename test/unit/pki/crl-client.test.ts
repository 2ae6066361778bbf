// CRL checking (RFC 5280 §6.3) against the sample PKI's committed CRLs and CRLs that `openssl ca
// -gencrl` makes with chosen dates: issuer, signature, freshness and the serial lookup.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCrlBytes, evaluateCrl, type EvaluateCrlOptions } from '../../../src/pki/crl-client.js';
import { RevocationSourceError } from '../../../src/pki/revocation-data.js';
import { parseX509, type ParsedCertificate } from '../../../src/pki/x509.js';
import { samplePki } from '../../fixtures/make-pki.js';
import { makeCertWorkspace, makeCrl, readDer, type CertWorkspace } from '../../support/pki-services.js';

const pki = samplePki();
let ws: CertWorkspace;
let issuer: ParsedCertificate;
let root: ParsedCertificate;
let staffRsa: ParsedCertificate;
let revoked: ParsedCertificate;
let crl: Buffer;

beforeAll(async () => {
  ws = await makeCertWorkspace('mapsign-crl-');
  issuer = parseX509(await readDer(pki.issuingCa));
  root = parseX509(await readDer(pki.rootCa));
  staffRsa = parseX509(await readDer(pki.pem.staffRsa));
  revoked = parseX509(await readDer(pki.pem.revoked));
  crl = await readFile(pki.crlDer);
});

afterAll(async () => {
  await ws.cleanup();
});

function options(cert: ParsedCertificate, extra: Partial<EvaluateCrlOptions> = {}): EvaluateCrlOptions {
  return { cert, issuer, now: new Date(), clockSkewMs: 60_000, maxAgeWithoutNextUpdateMs: 3_600_000, ...extra };
}

function catchError(run: () => unknown): RevocationSourceError {
  try {
    run();
  } catch (error) {
    if (error instanceof RevocationSourceError) return error;
    throw error;
  }
  throw new Error('expected a RevocationSourceError');
}

describe('evaluateCrl', () => {
  it('finds a certificate that is not listed good', () => {
    expect(evaluateCrl(crl, options(staffRsa))).toMatchObject({ status: 'good', revocationTime: null });
  });

  it('finds the revoked certificate with its date and reason keyCompromise', () => {
    const result = evaluateCrl(crl, options(revoked));
    expect(result.status).toBe('revoked');
    expect(result.revocationReason).toBe('keyCompromise');
    expect(result.revocationTime).toBeInstanceOf(Date);
    expect(result.nextUpdate!.getTime()).toBeGreaterThan(Date.now());
  });

  it('refuses the CRL of another CA', async () => {
    const rootCrl = await readFile(pki.rootCrlDer);
    expect(catchError(() => evaluateCrl(rootCrl, options(staffRsa))).message).toMatch(/another CA/);
    // …but that CRL is the right one for the issuing CA itself.
    expect(evaluateCrl(rootCrl, { ...options(issuer), issuer: root }).status).toBe('good');
  });

  it('refuses a CRL whose signature was altered', () => {
    const tampered = Buffer.from(crl);
    tampered[tampered.length - 10] = (tampered[tampered.length - 10] ?? 0) ^ 0x01;
    const error = catchError(() => evaluateCrl(tampered, options(staffRsa)));
    expect(error.kind).toBe('invalid');
    expect(error.message).toMatch(/does not verify/);
  });

  it('calls a CRL whose nextUpdate has passed stale', async () => {
    const stale = await makeCrl(ws, {
      caCert: pki.issuingCa,
      caKey: pki.issuingCaKey,
      index: pki.index,
      lastUpdate: new Date(Date.now() - 2 * 86_400_000),
      nextUpdate: new Date(Date.now() - 86_400_000),
    });
    expect(catchError(() => evaluateCrl(stale, options(staffRsa))).kind).toBe('stale');
  });

  it('refuses a CRL issued in the future', async () => {
    const future = await makeCrl(ws, {
      caCert: pki.issuingCa,
      caKey: pki.issuingCaKey,
      lastUpdate: new Date(Date.now() + 86_400_000),
      nextUpdate: new Date(Date.now() + 2 * 86_400_000),
    });
    expect(catchError(() => evaluateCrl(future, options(staffRsa))).message).toMatch(/in the future/);
  });

  it('refuses bytes that are not a CRL', () => {
    expect(catchError(() => evaluateCrl(Buffer.from('not a crl at all'), options(staffRsa))).message).toMatch(/not a CRL/);
  });
});

describe('decodeCrlBytes', () => {
  it('accepts the PEM form some servers send and returns the DER', async () => {
    expect(decodeCrlBytes(await readFile(pki.crl)).equals(crl)).toBe(true);
    expect(decodeCrlBytes(crl)).toBe(crl);
  });
});
