// Stage 1: refuse a signer certificate that cannot make a valid signature at the signing time:
// outside its validity, or whose key usage forbids signing (RFC 5280 §4.2.1.3). Path validation
// and revocation belong to the trust issue and plug in here.

import { MapsignError } from '../errors.js';
import { describeCertificate, type CertificateInfo } from '../pki/index.js';

export interface CheckSignerResult {
  subject: string;
  issuer: string;
  serialNumber: string;
  commonName: string | null;
  organization: string | null;
  notAfter: string;
}

export function checkSigner(certificateChain: Buffer[], at: Date): CheckSignerResult {
  const signer = certificateChain[0];
  if (!signer) throw new MapsignError('KEY_MALFORMED', 'the key source holds no certificate');
  const info: CertificateInfo = describeCertificate(signer);
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
  return {
    subject: info.subject,
    issuer: info.issuer,
    serialNumber: info.serialNumber,
    commonName: info.commonName ?? null,
    organization: info.organization ?? null,
    notAfter: info.notAfter.toISOString(),
  };
}
