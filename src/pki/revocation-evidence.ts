// Revocation evidence read back later (a /DSS, a CMS; ETSI EN 319 102-1 §5.2.5): a DER OCSP
// response or CRL judged offline with the online clients' authenticity checks (RFC 6960 §4.2.2.2,
// RFC 5280 §6.3), its freshness measured against the validation time instead of the clock.
import { createHash } from 'node:crypto';
import { checkCrl, isCrlOfIssuer, type CrlEvaluation } from './crl-client.js';
import { checkOcspResponse, decodeBasicResponse, matchesCertId, type OcspEvaluation } from './ocsp-client.js';
import { RevocationSourceError, type CertificateStatus, type RevocationFailureKind, type RevocationReason } from './revocation-data.js';
import { parseX509, type ParsedCertificate } from './x509.js';

export interface RevocationEvidenceOptions {
  /** The time the status must hold at: a proven or claimed signing time, a time-stamp's time. */
  validationTime: Date;
  /** The current time; nothing may be issued after it (beyond the skew). Default: now. */
  currentTime?: Date;
  /** Default 5 minutes. */
  clockSkewMs?: number;
  /** How long evidence without nextUpdate counts as current after its thisUpdate; default 1 hour. */
  maxAgeWithoutNextUpdateMs?: number;
  /** CRLs that may settle the status of a delegated OCSP responder lacking id-pkix-ocsp-nocheck. */
  crls?: readonly Buffer[];
  /** The responder's own status was established already (an answer a RevocationChecker just accepted). */
  isResponderChecked?: boolean;
}

/** Evidence that authentically answers for the certificate and covers the validation time. */
export interface UsableRevocationEvidence {
  isUsable: true;
  kind: 'ocsp' | 'crl';
  status: CertificateStatus;
  revocationTime: Date | null;
  revocationReason: RevocationReason | null;
  thisUpdate: Date;
  nextUpdate: Date | null;
  /** OCSP only. */
  producedAt: Date | null;
  /** A delegated OCSP responder's certificate, to keep with the evidence. */
  signerCertificates: Buffer[];
}

/** Evidence that cannot be used, and why. */
export interface UnusableRevocationEvidence {
  isUsable: false;
  kind: 'ocsp' | 'crl';
  failure: RevocationFailureKind;
  message: string;
  /** False when the evidence is about another certificate (another CA's CRL, another serial). */
  isAboutCertificate: boolean;
}

export type RevocationEvidenceCheck = UsableRevocationEvidence | UnusableRevocationEvidence;

const DEFAULTS = { clockSkewMs: 5 * 60_000, maxAgeWithoutNextUpdateMs: 60 * 60_000 };

function settings(options: RevocationEvidenceOptions): Required<Omit<RevocationEvidenceOptions, 'crls'>> & { crls: readonly Buffer[] } {
  return {
    isResponderChecked: options.isResponderChecked ?? false,
    validationTime: options.validationTime,
    currentTime: options.currentTime ?? new Date(),
    clockSkewMs: options.clockSkewMs ?? DEFAULTS.clockSkewMs,
    maxAgeWithoutNextUpdateMs: options.maxAgeWithoutNextUpdateMs ?? DEFAULTS.maxAgeWithoutNextUpdateMs,
    crls: options.crls ?? [],
  };
}

function unusable(kind: 'ocsp' | 'crl', error: unknown): UnusableRevocationEvidence {
  if (error instanceof RevocationSourceError) return { isUsable: false, kind, failure: error.kind, message: error.message, isAboutCertificate: true };
  return { isUsable: false, kind, failure: 'invalid', message: `${kind.toUpperCase()}: ${error instanceof Error ? error.message : String(error)}`, isAboutCertificate: true };
}

function aboutAnother(kind: 'ocsp' | 'crl', message: string): UnusableRevocationEvidence {
  return { isUsable: false, kind, failure: 'not-applicable', message, isAboutCertificate: false };
}

/**
 * The freshness rule for kept evidence (docs/verify-report.md, "Revocation"); raises
 * RevocationSourceError when the answer does not settle the status at the validation time T.
 * It settles 'good' at T when issued at or after T (a certificate not revoked at thisUpdate was
 * not revoked at T) or current at T (thisUpdate ≤ T ≤ nextUpdate), but not when issued after the
 * certificate expired (CAs may drop expired certificates, RFC 5280 §3.3) unless ExpiredCertsOnCRL
 * or archiveCutoff covers it. A 'revoked' answer stays true whenever it was issued. Nothing may
 * claim to be issued after the current time.
 */
function checkCoverage(
  what: string,
  cert: ParsedCertificate,
  evaluation: { status: CertificateStatus; thisUpdate: Date; nextUpdate: Date | null },
  keepsExpiredSince: Date | null,
  s: ReturnType<typeof settings>,
): void {
  const { thisUpdate, nextUpdate } = evaluation;
  const skew = s.clockSkewMs;
  if (thisUpdate.getTime() > s.currentTime.getTime() + skew) {
    throw new RevocationSourceError('invalid', `${what} has thisUpdate ${thisUpdate.toISOString()}, in the future`);
  }
  // A revocation is final (certificateHold aside, which a later 'good' answer supersedes).
  if (evaluation.status === 'revoked') return;
  const t = s.validationTime.getTime();
  const isIssuedAfter = thisUpdate.getTime() >= t - skew;
  const isCurrentAt = nextUpdate !== null ? thisUpdate.getTime() <= t + skew && t <= nextUpdate.getTime() + skew : t - thisUpdate.getTime() <= s.maxAgeWithoutNextUpdateMs + skew;
  if (!isIssuedAfter && !isCurrentAt) {
    const until = nextUpdate ? `current until ${nextUpdate.toISOString()}` : 'without nextUpdate';
    throw new RevocationSourceError('stale', `${what} was issued ${thisUpdate.toISOString()} (${until}), so it says nothing about ${s.validationTime.toISOString()}`);
  }
  const notAfter = cert.info.notAfter.getTime();
  const isAfterExpiry = thisUpdate.getTime() > notAfter + skew;
  const isArchived = keepsExpiredSince !== null && keepsExpiredSince.getTime() <= notAfter;
  if (isAfterExpiry && !isArchived) {
    throw new RevocationSourceError(
      'not-applicable',
      `${what} was issued ${thisUpdate.toISOString()}, after the certificate of ${cert.info.subject} expired (${cert.info.notAfter.toISOString()}): an expired certificate may no longer be listed`,
    );
  }
}

/** Whether a DER OCSPResponse holds a SingleResponse for `cert` issued by `issuer`. */
function isOcspAbout(der: Buffer, cert: ParsedCertificate, issuer: ParsedCertificate): boolean {
  try {
    return decodeBasicResponse(der).tbsResponseData.responses.some((single) => matchesCertId(single.certID, cert, issuer));
  } catch {
    return false;
  }
}

/**
 * A delegated responder without id-pkix-ocsp-nocheck must itself be unrevoked when it answered
 * (RFC 6960 §4.2.2.2.1): a CRL of the same CA among `crls` must say so at producedAt.
 */
function checkArchivedResponder(evaluation: OcspEvaluation, issuer: ParsedCertificate, s: ReturnType<typeof settings>): void {
  const responder = evaluation.responder;
  if (responder === null || responder.hasOcspNoCheck || s.isResponderChecked) return;
  for (const crl of s.crls) {
    if (!isCrlOfIssuer(crl, responder)) continue;
    try {
      const status = checkCrl(crl, responder, issuer);
      checkCoverage('CRL', responder, status, status.expiredCertsOnCrl, { ...s, validationTime: evaluation.producedAt });
      if (status.status === 'good' || (status.revocationTime !== null && status.revocationTime > evaluation.producedAt)) return;
    } catch {
      // Try the next CRL.
    }
  }
  throw new RevocationSourceError('invalid', `OCSP: no CRL shows that the responder ${responder.info.subject} was unrevoked when it answered`);
}

function toParsed(value: Buffer | ParsedCertificate): ParsedCertificate {
  return Buffer.isBuffer(value) ? parseX509(value) : value;
}

/**
 * Judges a DER OCSPResponse kept as evidence (a /DSS, a CMS, an earlier fetch) for `certificate`
 * issued by `issuer` at `options.validationTime`. Never throws: an answer that cannot be used
 * comes back with `isUsable: false`, `failure: 'not-applicable'` when it is about another
 * certificate.
 */
export function checkOcspEvidence(der: Buffer, certificate: Buffer | ParsedCertificate, issuer: Buffer | ParsedCertificate, options: RevocationEvidenceOptions): RevocationEvidenceCheck {
  const s = settings(options);
  try {
    const cert = toParsed(certificate);
    const ca = toParsed(issuer);
    if (!isOcspAbout(der, cert, ca)) return aboutAnother('ocsp', `OCSP: the response does not answer for the certificate with serial ${cert.info.serialNumber}`);
    const evaluation = checkOcspResponse(der, { cert, issuer: ca, responderValidAt: 'producedAt', clockSkewMs: s.clockSkewMs });
    if (evaluation.producedAt.getTime() > s.currentTime.getTime() + s.clockSkewMs) {
      throw new RevocationSourceError('invalid', `OCSP response was produced ${evaluation.producedAt.toISOString()}, in the future`);
    }
    checkArchivedResponder(evaluation, ca, s);
    checkCoverage('OCSP response', cert, evaluation, evaluation.archiveCutoff, s);
    return {
      isUsable: true,
      kind: 'ocsp',
      status: evaluation.status,
      revocationTime: evaluation.revocationTime,
      revocationReason: evaluation.revocationReason,
      thisUpdate: evaluation.thisUpdate,
      nextUpdate: evaluation.nextUpdate,
      producedAt: evaluation.producedAt,
      signerCertificates: evaluation.responder ? [evaluation.responder.der] : [],
    };
  } catch (error) {
    return unusable('ocsp', error);
  }
}

/**
 * Judges a DER CRL kept as evidence for `certificate` issued by `issuer` at
 * `options.validationTime`. Never throws; see {@link checkOcspEvidence}.
 */
export function checkCrlEvidence(der: Buffer, certificate: Buffer | ParsedCertificate, issuer: Buffer | ParsedCertificate, options: RevocationEvidenceOptions): RevocationEvidenceCheck {
  const s = settings(options);
  try {
    const cert = toParsed(certificate);
    const ca = toParsed(issuer);
    if (!isCrlOfIssuer(der, cert)) return aboutAnother('crl', `CRL: issued by another CA than ${cert.info.issuer}`);
    const evaluation: CrlEvaluation = checkCrl(der, cert, ca);
    checkCoverage('CRL', cert, evaluation, evaluation.expiredCertsOnCrl, s);
    return {
      isUsable: true,
      kind: 'crl',
      status: evaluation.status,
      revocationTime: evaluation.revocationTime,
      revocationReason: evaluation.revocationReason,
      thisUpdate: evaluation.thisUpdate,
      nextUpdate: evaluation.nextUpdate,
      producedAt: null,
      signerCertificates: [],
    };
  } catch (error) {
    return unusable('crl', error);
  }
}

/** One piece of kept evidence and a caller's label for where it came from. */
export interface RevocationEvidenceCandidate<L> {
  der: Buffer;
  kind: 'ocsp' | 'crl';
  label: L;
}

/** What a pool of evidence says about one certificate at the validation time. */
export interface RevocationEvidenceSelection<L> {
  /** 'good' or 'revoked' when settled; 'unknown' otherwise (including an authorised OCSP 'unknown'). */
  status: CertificateStatus;
  /** The evidence the status rests on. */
  chosen: (UsableRevocationEvidence & { label: L }) | null;
  /** Evidence about this certificate that could not be used, with why. */
  rejected: Array<UnusableRevocationEvidence & { label: L }>;
}

/**
 * Picks from `candidates` what settles the status of `certificate` at the validation time: a
 * revocation wins over any 'good' (the earliest revocation time; a certificateHold only when no
 * later 'good' lifts it); otherwise the latest 'good'. Evidence about other certificates is
 * ignored; evidence about this one that cannot be used is listed in `rejected`.
 */
export function selectRevocationEvidence<L>(
  candidates: ReadonlyArray<RevocationEvidenceCandidate<L>>,
  certificate: Buffer | ParsedCertificate,
  issuer: Buffer | ParsedCertificate,
  options: RevocationEvidenceOptions,
): RevocationEvidenceSelection<L> {
  const cert = toParsed(certificate);
  const ca = toParsed(issuer);
  const seen = new Set<string>();
  const usable: Array<UsableRevocationEvidence & { label: L }> = [];
  const rejected: Array<UnusableRevocationEvidence & { label: L }> = [];
  for (const candidate of candidates) {
    const key = `${candidate.kind}|${createHash('sha256').update(candidate.der).digest('hex')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const check = candidate.kind === 'ocsp' ? checkOcspEvidence(candidate.der, cert, ca, options) : checkCrlEvidence(candidate.der, cert, ca, options);
    if (check.isUsable) usable.push({ ...check, label: candidate.label });
    else if (check.isAboutCertificate) rejected.push({ ...check, label: candidate.label });
  }
  const byTime = (a: Date | null): number => a?.getTime() ?? 0;
  const goods = usable.filter((e) => e.status === 'good').sort((a, b) => byTime(b.thisUpdate) - byTime(a.thisUpdate));
  const latestGood = goods[0];
  const revocations = usable
    .filter((e) => e.status === 'revoked')
    .filter((e) => e.revocationReason !== 'certificateHold' || latestGood === undefined || latestGood.thisUpdate <= e.thisUpdate)
    .sort((a, b) => byTime(a.revocationTime) - byTime(b.revocationTime));
  const revoked = revocations[0];
  if (revoked) return { status: 'revoked', chosen: revoked, rejected };
  if (latestGood) return { status: 'good', chosen: latestGood, rejected };
  const unknown = usable.find((e) => e.status === 'unknown');
  if (unknown) rejected.push({ isUsable: false, kind: unknown.kind, failure: 'invalid', message: 'OCSP: the responder does not know the certificate (status unknown)', isAboutCertificate: true, label: unknown.label });
  return { status: 'unknown', chosen: null, rejected };
}
