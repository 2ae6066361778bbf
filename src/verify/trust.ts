// The trust hook: the X.509 certificate validation building block of ETSI EN 319 102-1 §5.2.6,
// behind one function type. The default checks nothing and says so (INDETERMINATE /
// NO_CERTIFICATE_CHAIN_FOUND). `createBasicTrustValidator` builds a path to PEM roots with
// node:crypto (issuer name, signature, CA flag, validity at the signing time) and checks no
// revocation; pki-trust.ts plugs the pki module's path validation and revocation into the same hook.

import { X509Certificate } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MapsignError, fromSystemError } from '../errors.js';
import { describeCertificate, readX509Certificate } from '../pki/index.js';
import type { Indication, RevocationSource, SubIndication } from './types.js';

/** What a certificate is validated for: a document signature or a time-stamp token. */
export type CertificatePurpose = 'signature' | 'timestamp';

export interface CertificateValidationRequest {
  purpose: CertificatePurpose;
  /** DER of the certificate that made the signature or the time-stamp. */
  signerCertificate: Buffer;
  /** DER certificates that may help build the path: those of the CMS, of the token and of the /DSS. */
  certificates: Buffer[];
  /** DER OCSP responses and CRLs of the /DSS, for validators that use them. */
  ocsps: Buffer[];
  crls: Buffer[];
  /** DER OCSP responses and CRLs carried by the CMS itself (adbe-revocationInfoArchival, SignedData crls). */
  cmsOcsps?: Buffer[];
  cmsCrls?: Buffer[];
  /**
   * When the certificate must have been valid: for a signer, the signature time-stamp's time, else
   * /M, else now; for a TSA, the time in its token.
   */
  validationTime: Date;
  /** Whether `validationTime` is proven by a time-stamp (a proof of existence) or only claimed. */
  isValidationTimeProven: boolean;
  /** The signer's own claimed time (/M), when it differs from a proven `validationTime`. */
  claimedTime?: Date | null;
  /** The current time of the validation (EN 319 102-1 "current time"). */
  currentTime: Date;
}

/** The revocation status of one certificate of the chain (every one but the trust anchor). */
export interface RevocationCheck {
  subject: string;
  serialNumber: string;
  status: 'good' | 'revoked' | 'unknown';
  source: RevocationSource | null;
  /** 'ocsp' or 'crl': what the evidence is (for 'cms', which can hold either). */
  kind: 'ocsp' | 'crl' | null;
  /** When the evidence was issued (thisUpdate), when it was current until, and (OCSP) signed. */
  thisUpdate: Date | null;
  nextUpdate: Date | null;
  producedAt: Date | null;
  revocationTime: Date | null;
  revocationReason: string | null;
  /** What settled the status, or why nothing did. */
  message: string;
}

export interface CertificateValidationResult {
  indication: Indication;
  subIndication: SubIndication | null;
  /** DER, signer first, trust anchor last; empty when no path was found. */
  chain: Buffer[];
  revocation: 'good' | 'revoked' | 'unknown' | 'not-checked';
  /** Names the validator in the report. */
  validator: string;
  message: string;
  /** Per certificate of the chain but the anchor, when the validator checked revocation. */
  revocationChecks?: RevocationCheck[];
  /** The time the chain was validated at (the request's `validationTime`). */
  validationTime?: Date;
  /** What a soft-fail policy let through, for the report's warnings. */
  warnings?: string[];
}

/** Validates one certificate at a time; never throws for a bad certificate, only for its own failures. */
export type CertificateValidator = (request: CertificateValidationRequest) => Promise<CertificateValidationResult>;

/** The default: no trust anchors configured, so no chain to one can be found (EN 319 102-1 §5.2.6.4). */
export const trustNotChecked: CertificateValidator = async () => ({
  indication: 'INDETERMINATE',
  subIndication: 'NO_CERTIFICATE_CHAIN_FOUND',
  chain: [],
  revocation: 'not-checked',
  validator: 'none',
  message: 'trust was not checked: no trust anchors were given',
});

const TIME_STAMPING = '1.3.6.1.5.5.7.3.8';
const MAX_PATH = 10;

/** Reads every PEM (or DER) certificate in `dir`: *.pem, *.crt, *.cer. */
export async function loadTrustAnchors(dir: string): Promise<X509Certificate[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw fromSystemError(error, dir);
  }
  const anchors: X509Certificate[] = [];
  for (const name of names.filter((n) => /\.(pem|crt|cer)$/i.test(n)).sort()) {
    const bytes = await readFile(join(dir, name)).catch((error: unknown) => {
      throw fromSystemError(error, join(dir, name));
    });
    const text = bytes.toString('latin1');
    const blocks = text.includes('-----BEGIN CERTIFICATE-----') ? [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => m[0]) : [bytes];
    for (const block of blocks) {
      try {
        anchors.push(new X509Certificate(block));
      } catch {
        // Not a certificate (a key, a CRL): skip it.
      }
    }
  }
  if (anchors.length === 0) throw new MapsignError('CONFIG_INVALID', `no certificates found in trust folder ${dir}`, { details: { dir } });
  return anchors;
}

function isWithin(cert: X509Certificate, at: Date): 'ok' | 'expired' | 'not-yet-valid' {
  if (at.getTime() > new Date(cert.validTo).getTime()) return 'expired';
  if (at.getTime() < new Date(cert.validFrom).getTime()) return 'not-yet-valid';
  return 'ok';
}

/**
 * A basic validator: a path from the signer through the given certificates to one of `anchors`,
 * each link checked by issuer name and signature, intermediates must be CAs, every certificate
 * valid at the validation time, the signer's key usage fit for the purpose. Revocation is not
 * checked ('not-checked' in the result).
 */
export function createBasicTrustValidator(anchors: X509Certificate[]): CertificateValidator {
  return async (request) => {
    const result = (indication: Indication, subIndication: SubIndication | null, chain: X509Certificate[], message: string): CertificateValidationResult => ({
      indication,
      subIndication,
      chain: chain.map((c) => c.raw),
      revocation: 'not-checked',
      validator: 'mapsign-basic-chain',
      message,
    });
    let signer: X509Certificate;
    try {
      signer = readX509Certificate(request.signerCertificate);
    } catch {
      return result('INDETERMINATE', 'NO_SIGNING_CERTIFICATE_FOUND', [], 'the signer certificate cannot be read');
    }
    const pool: X509Certificate[] = [];
    for (const der of request.certificates) {
      try {
        pool.push(readX509Certificate(der));
      } catch {
        // Unreadable extra certificates do not help build a path.
      }
    }
    const chain = [signer];
    let current = signer;
    let anchor: X509Certificate | undefined = anchors.find((a) => a.raw.equals(signer.raw));
    while (!anchor && chain.length < MAX_PATH) {
      const issuedBy = (c: X509Certificate): boolean => current.checkIssued(c) && current.verify(c.publicKey);
      anchor = anchors.find(issuedBy);
      if (anchor) {
        chain.push(anchor);
        break;
      }
      const next = pool.find((c) => !chain.some((x) => x.raw.equals(c.raw)) && c.ca && issuedBy(c));
      if (!next) return result('INDETERMINATE', 'NO_CERTIFICATE_CHAIN_FOUND', chain, `no path from ${signer.subject.replace(/\n/g, ', ')} to a trusted root`);
      chain.push(next);
      current = next;
    }
    if (!anchor) return result('INDETERMINATE', 'NO_CERTIFICATE_CHAIN_FOUND', chain, 'the certificate path is too long');
    for (const cert of chain) {
      const state = isWithin(cert, request.validationTime);
      if (state === 'ok') continue;
      const who = cert === signer ? 'the signer certificate' : `CA certificate ${cert.subject.replace(/\n/g, ', ')}`;
      const when = request.validationTime.toISOString();
      if (state === 'expired') {
        return request.isValidationTimeProven
          ? result('FAILED', 'EXPIRED', chain, `${who} had expired at ${when}, the proven signing time`)
          : result('INDETERMINATE', 'OUT_OF_BOUNDS_NO_POE', chain, `${who} had expired at ${when}, and no time-stamp proves an earlier signing time`);
      }
      return request.isValidationTimeProven
        ? result('FAILED', 'NOT_YET_VALID', chain, `${who} was not yet valid at ${when}, the proven signing time`)
        : result('INDETERMINATE', 'NOT_YET_VALID', chain, `${who} was not yet valid at ${when}, the claimed signing time`);
    }
    if (!request.isValidationTimeProven && isWithin(signer, request.currentTime) === 'expired') {
      return result('INDETERMINATE', 'OUT_OF_BOUNDS_NO_POE', chain, 'the signer certificate has expired and no time-stamp proves the signature was made before');
    }
    if (request.purpose === 'timestamp' && !(signer.keyUsage ?? []).includes(TIME_STAMPING)) {
      return result('INDETERMINATE', 'CHAIN_CONSTRAINTS_FAILURE', chain, 'the time-stamping certificate lacks the timeStamping extended key usage');
    }
    if (request.purpose === 'signature') {
      const keyUsage = describeCertificate(signer.raw).keyUsage;
      if (keyUsage !== null && !keyUsage.includes('digitalSignature') && !keyUsage.includes('nonRepudiation')) {
        return result('INDETERMINATE', 'CHAIN_CONSTRAINTS_FAILURE', chain, `the signer certificate's key usage (${keyUsage.join(', ')}) does not allow signing`);
      }
    }
    return result('PASSED', null, chain, `path to ${anchor.subject.replace(/\n/g, ', ')} checked at ${request.validationTime.toISOString()}; revocation not checked`);
  };
}
