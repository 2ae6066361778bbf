// Stage 1: refuse a signer certificate that cannot make a valid signature at the signing time:
// outside its validity, or whose key usage forbids signing (RFC 5280 §4.2.1.3). With trust
// configured, also a path to the configured roots (RFC 5280 §6.1) and the revocation status of
// every certificate of it, hard-fail by default (RFC 6960, RFC 5280 §6.3).

import { MapsignError } from '../errors.js';
import {
  describeCertificate,
  resolveTrustStore,
  validateCertificate,
  type CertificateInfo,
  type RevocationChecker,
  type RevocationPolicy,
  type TrustOptions,
} from '../pki/index.js';

export interface CheckSignerOptions {
  /** Roots (and intermediates) to validate the signer's path against; without it only validity and key usage are checked. */
  trust?: TrustOptions;
  /** Only with `trust`: 'hard-fail' (default), 'soft-fail' or 'off'; share `checker` to share its cache. */
  revocation?: { policy?: RevocationPolicy; checker?: RevocationChecker };
}

/** What the path and revocation checks found, JSON-safe. */
export interface SignerTrustResult {
  /** Subjects, issuers, serials and expiry, signer first, trust anchor last. */
  chain: Array<{ subject: string; issuer: string; serialNumber: string; notAfter: string }>;
  revocationPolicy: RevocationPolicy;
  revocation: Array<{
    subject: string;
    serialNumber: string;
    status: 'good' | 'revoked' | 'unknown';
    source: 'ocsp' | 'crl' | null;
    thisUpdate: string | null;
    nextUpdate: string | null;
    producedAt: string | null;
  }>;
  warnings: string[];
}

export interface CheckSignerResult {
  subject: string;
  issuer: string;
  serialNumber: string;
  commonName: string | null;
  organization: string | null;
  notAfter: string;
  /** Present when trust was configured. */
  trust?: SignerTrustResult;
}

function checkValidityAndUsage(info: CertificateInfo, at: Date): void {
  const details = { subject: info.subject, serialNumber: info.serialNumber };
  if (at < info.notBefore) {
    throw new MapsignError('CERT_NOT_YET_VALID', `certificate of ${info.subject} is valid only from ${info.notBefore.toISOString()}`, {
      details: { ...details, notBefore: info.notBefore.toISOString() },
    });
  }
  if (at > info.notAfter) {
    throw new MapsignError('CERT_EXPIRED', `certificate of ${info.subject} expired on ${info.notAfter.toISOString()}`, {
      details: { ...details, notAfter: info.notAfter.toISOString() },
    });
  }
  if (info.keyUsage !== null && !info.keyUsage.includes('digitalSignature') && !info.keyUsage.includes('nonRepudiation')) {
    throw new MapsignError('KEY_USAGE_NOT_ALLOWED', `certificate of ${info.subject} does not allow signing (key usage: ${info.keyUsage.join(', ') || 'none'})`, {
      details: { ...details, keyUsage: info.keyUsage },
    });
  }
}

async function checkTrust(certificateChain: Buffer[], at: Date, options: CheckSignerOptions & { trust: TrustOptions }): Promise<SignerTrustResult> {
  const policy = options.revocation?.policy ?? 'hard-fail';
  const result = await validateCertificate({
    certificate: certificateChain[0] as Buffer,
    // The key file's own chain only helps build the path; trust comes from the configured roots.
    intermediates: certificateChain.slice(1),
    trustStore: await resolveTrustStore(options.trust),
    at,
    purpose: 'document-signing',
    revocation: { policy, checker: options.revocation?.checker },
  });
  const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);
  return {
    chain: result.path.infos.map((info) => ({ subject: info.subject, issuer: info.issuer, serialNumber: info.serialNumber, notAfter: info.notAfter.toISOString() })),
    revocationPolicy: policy,
    revocation: result.revocation.map((status) => ({
      subject: status.subject,
      serialNumber: status.serialNumber,
      status: status.status,
      source: status.source,
      thisUpdate: iso(status.thisUpdate),
      nextUpdate: iso(status.nextUpdate),
      producedAt: iso(status.producedAt),
    })),
    warnings: result.warnings,
  };
}

export async function checkSigner(certificateChain: Buffer[], at: Date, options: CheckSignerOptions = {}): Promise<CheckSignerResult> {
  const signer = certificateChain[0];
  if (!signer) throw new MapsignError('KEY_MALFORMED', 'the key source holds no certificate');
  const info: CertificateInfo = describeCertificate(signer);
  checkValidityAndUsage(info, at);
  if (options.trust === undefined && options.revocation?.policy !== undefined && options.revocation.policy !== 'off') {
    throw new MapsignError('USAGE_INVALID', `revocation checking (${options.revocation.policy}) needs trust roots to validate the signer's path against`);
  }
  const trust = options.trust === undefined ? undefined : await checkTrust(certificateChain, at, { ...options, trust: options.trust });
  return {
    subject: info.subject,
    issuer: info.issuer,
    serialNumber: info.serialNumber,
    commonName: info.commonName ?? null,
    organization: info.organization ?? null,
    notAfter: info.notAfter.toISOString(),
    ...(trust === undefined ? {} : { trust }),
  };
}
