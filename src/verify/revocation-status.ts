// The revocation status of every certificate of a validated path at the validation time (ETSI EN
// 319 102-1 §5.2.5, §5.2.6): from what the document carries first — its /DSS, then the CMS —
// and only when that settles nothing, from the OCSP responders and CRLs the certificates name,
// if going online is allowed. Every answer, kept or fetched, is judged against the validation
// time by the pki module's rule, so an archived sheet validates offline from its /DSS alone.

import {
  checkCrlEvidence,
  checkOcspEvidence,
  describeCertificate,
  selectRevocationEvidence,
  type RevocationChecker,
  type RevocationEvidenceCandidate,
  type RevocationEvidenceOptions,
  type UsableRevocationEvidence,
} from '../pki/index.js';
import type { RevocationCheck } from './trust.js';
import type { RevocationSource } from './types.js';

export interface PathRevocationOptions {
  validationTime: Date;
  currentTime: Date;
  /** Evidence in the /DSS and in the CMS. */
  dssOcsps: Buffer[];
  dssCrls: Buffer[];
  cmsOcsps: Buffer[];
  cmsCrls: Buffer[];
  /** Asked when the document's evidence settles nothing; null never to go online. */
  online: RevocationChecker | null;
  clockSkewMs?: number;
  maxAgeWithoutNextUpdateMs?: number;
}

function fromEvidence(certificate: Buffer, source: RevocationSource, evidence: UsableRevocationEvidence): RevocationCheck {
  const info = describeCertificate(certificate);
  const when = evidence.kind === 'ocsp' ? `OCSP response of ${evidence.thisUpdate.toISOString()}` : `CRL of ${evidence.thisUpdate.toISOString()}`;
  const status = evidence.status === 'unknown' ? 'unknown' : evidence.status;
  const what = status === 'revoked' ? `revoked on ${evidence.revocationTime?.toISOString() ?? '?'} (${evidence.revocationReason ?? 'unspecified'})` : status;
  return {
    subject: info.subject,
    serialNumber: info.serialNumber,
    status,
    source,
    kind: evidence.kind,
    thisUpdate: evidence.thisUpdate,
    nextUpdate: evidence.nextUpdate,
    producedAt: evidence.producedAt,
    revocationTime: evidence.revocationTime,
    revocationReason: evidence.revocationReason,
    message: `${what}, per the ${when} (${source})`,
  };
}

function unknownStatus(certificate: Buffer, reasons: string[]): RevocationCheck {
  const info = describeCertificate(certificate);
  return {
    subject: info.subject,
    serialNumber: info.serialNumber,
    status: 'unknown',
    source: null,
    kind: null,
    thisUpdate: null,
    nextUpdate: null,
    producedAt: null,
    revocationTime: null,
    revocationReason: null,
    message: reasons.length > 0 ? reasons.join('; ') : 'no revocation data',
  };
}

async function checkOnline(certificate: Buffer, issuer: Buffer, checker: RevocationChecker, evidenceOptions: RevocationEvidenceOptions, reasons: string[]): Promise<RevocationCheck | null> {
  const fetched = await checker.checkCertificate(certificate, issuer);
  reasons.push(...fetched.failures.filter((f) => f.kind !== 'not-applicable').map((f) => `online ${f.source}${f.url ? ` ${f.url}` : ''}: ${f.message}`));
  const options = { ...evidenceOptions, isResponderChecked: true };
  if (fetched.ocspResponse) {
    const check = checkOcspEvidence(fetched.ocspResponse, certificate, issuer, options);
    if (check.isUsable && check.status !== 'unknown') return fromEvidence(certificate, 'online-ocsp', check);
    if (!check.isUsable) reasons.push(`online-ocsp: ${check.message}`);
  }
  if (fetched.crl) {
    const check = checkCrlEvidence(fetched.crl, certificate, issuer, options);
    if (check.isUsable) return fromEvidence(certificate, 'online-crl', check);
    reasons.push(`online-crl: ${check.message}`);
  }
  if (fetched.failures.length === 0 && !fetched.ocspResponse && !fetched.crl) reasons.push('online: the certificate names no OCSP responder and no CRL');
  return null;
}

/**
 * The status of each certificate of `path` (DER, end entity first, trust anchor last; the anchor
 * is not checked) at `options.validationTime`: the document's evidence first, online second.
 */
export async function checkPathRevocation(path: readonly Buffer[], options: PathRevocationOptions): Promise<RevocationCheck[]> {
  const candidates: Array<RevocationEvidenceCandidate<RevocationSource>> = [
    ...options.dssOcsps.map((der) => ({ der, kind: 'ocsp' as const, label: 'dss-ocsp' as const })),
    ...options.dssCrls.map((der) => ({ der, kind: 'crl' as const, label: 'dss-crl' as const })),
    ...options.cmsOcsps.map((der) => ({ der, kind: 'ocsp' as const, label: 'cms' as const })),
    ...options.cmsCrls.map((der) => ({ der, kind: 'crl' as const, label: 'cms' as const })),
  ];
  const evidenceOptions: RevocationEvidenceOptions = {
    validationTime: options.validationTime,
    currentTime: options.currentTime,
    clockSkewMs: options.clockSkewMs,
    maxAgeWithoutNextUpdateMs: options.maxAgeWithoutNextUpdateMs,
    crls: [...options.dssCrls, ...options.cmsCrls],
  };
  const checks: RevocationCheck[] = [];
  for (let i = 0; i + 1 < path.length; i++) {
    const certificate = path[i]!;
    const issuer = path[i + 1]!;
    const selection = selectRevocationEvidence(candidates, certificate, issuer, evidenceOptions);
    if (selection.chosen && selection.status !== 'unknown') {
      checks.push(fromEvidence(certificate, selection.chosen.label, selection.chosen));
      continue;
    }
    const reasons = selection.rejected.map((r) => `${r.label}: ${r.message}`);
    if (candidates.length === 0 || reasons.length === 0) reasons.push(options.online ? 'the document carries no revocation data for it' : 'the document carries no revocation data for it, and going online is not allowed');
    const online = options.online ? await checkOnline(certificate, issuer, options.online, evidenceOptions, reasons) : null;
    checks.push(online ?? unknownStatus(certificate, reasons));
  }
  return checks;
}
