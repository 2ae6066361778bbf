// Certification path building and validation (RFC 5280 §6.1, RFC 4158 for building): candidate
// issuers by name and key identifier, several paths tried depth-first without loops, each
// checked from the trust anchor down — signatures with node:crypto, algorithms and key sizes,
// basic constraints and path length, key usage, validity at a given time, and the end entity's
// purpose. Trust comes from reaching a configured anchor, never from an issuer's name.
import { MapsignError, type ErrorCode, type ErrorDetails } from '../errors.js';
import type { CertificateInfo } from './certificate.js';
import type { TrustStore } from './trust-store.js';
import { OID, isNameChained, isSignedBy, parseX509, type ParsedCertificate } from './x509.js';

/** What the end-entity certificate is used for. */
export type CertificatePurpose = 'document-signing' | 'timestamping' | 'ocsp-signing' | 'any';

export interface ValidateCertificatePathOptions {
  /** The end-entity certificate, DER. */
  certificate: Buffer;
  /** Untrusted certificates that may complete the path: the signature's, the key file's. */
  intermediates?: Buffer[];
  trustStore: TrustStore;
  /** Time at which every certificate of the path must be valid; default now. */
  at?: Date;
  /** Default 'document-signing'. */
  purpose?: CertificatePurpose;
  /** Most certificates in a path, anchor included; default 8. */
  maxDepth?: number;
}

export interface CertificatePath {
  /** DER, end entity first, trust anchor last. */
  certificates: Buffer[];
  /** The facts of each, in the same order. */
  infos: CertificateInfo[];
  /** How many candidate paths were examined before this one was accepted (1 = the first). */
  pathsTried: number;
}

const DEFAULT_MAX_DEPTH = 8;
/** Bound on the candidate paths examined, so a pool full of cross-certificates cannot stall us. */
const MAX_PATHS = 32;

interface PathFailure {
  code: ErrorCode;
  message: string;
  details: ErrorDetails;
}

function fail(code: ErrorCode, cert: ParsedCertificate, position: number, reason: string, message: string, extra: ErrorDetails = {}): PathFailure {
  return {
    code,
    message,
    details: { reason, subject: cert.info.subject, serialNumber: cert.info.serialNumber, position, ...extra },
  };
}

function byPreference(at: Date): (a: ParsedCertificate, b: ParsedCertificate) => number {
  const isCurrent = (c: ParsedCertificate): number => (c.info.notBefore <= at && at <= c.info.notAfter ? 0 : 1);
  return (a, b) => isCurrent(a) - isCurrent(b) || b.info.notAfter.getTime() - a.info.notAfter.getTime();
}

/**
 * Candidate paths from `target` to an anchor, depth-first, anchors before longer paths. A
 * certificate already on the path is never added again, so cross-certified loops end.
 */
async function* buildPaths(
  path: ParsedCertificate[],
  store: TrustStore,
  extra: readonly ParsedCertificate[],
  at: Date,
  maxDepth: number,
): AsyncGenerator<ParsedCertificate[]> {
  const current = path[path.length - 1] as ParsedCertificate;
  if (store.isAnchor(current)) {
    yield path;
    return;
  }
  const onPath = new Set(path.map((c) => c.fingerprint));
  const notOnPath = (c: ParsedCertificate): boolean => !onPath.has(c.fingerprint);
  for (const anchor of store.findAnchorIssuers(current).filter(notOnPath).sort(byPreference(at))) yield [...path, anchor];
  if (path.length + 1 >= maxDepth) return;
  let candidates = store.findIntermediateIssuers(current, extra).filter((c) => notOnPath(c) && !store.isAnchor(c));
  if (candidates.length === 0) candidates = (await store.fetchCaIssuers(current)).filter(notOnPath);
  for (const candidate of candidates.sort(byPreference(at))) yield* buildPaths([...path, candidate], store, extra, at, maxDepth);
}

/** Signatures, algorithms and keys, from the anchor down (the anchor's own self-signature is not checked). */
function checkSignatures(path: ParsedCertificate[]): PathFailure | undefined {
  for (let i = path.length - 1; i >= 0; i--) {
    const cert = path[i] as ParsedCertificate;
    if (cert.publicKeyFacts.isWeak) {
      return fail('CERT_WEAK_ALGORITHM', cert, i, 'weak-key', `certificate of ${cert.info.subject} has a ${cert.publicKeyFacts.description} key, below what is accepted`, {
        key: cert.publicKeyFacts.description,
      });
    }
    const issuer = path[i + 1];
    if (issuer === undefined) continue;
    if (cert.signatureAlgorithm.isWeak) {
      return fail('CERT_WEAK_ALGORITHM', cert, i, 'weak-signature-algorithm', `certificate of ${cert.info.subject} is signed with ${cert.signatureAlgorithm.name}, which is no longer accepted`, {
        algorithm: cert.signatureAlgorithm.name,
      });
    }
    if (!isNameChained(cert, issuer)) {
      return fail('CERT_UNTRUSTED', cert, i, 'name-chaining', `the issuer name of ${cert.info.subject} is not the subject of ${issuer.info.subject}`);
    }
    if (!isSignedBy(cert, issuer)) {
      return fail('CERT_UNTRUSTED', cert, i, 'bad-signature', `the signature on the certificate of ${cert.info.subject} does not verify with the key of ${issuer.info.subject}`, {
        issuer: issuer.info.subject,
      });
    }
  }
  return undefined;
}

/** Basic constraints, CA key usage, path length (RFC 5280 §6.1.4 (k)–(n)) and critical extensions. */
function checkConstraints(path: ParsedCertificate[]): PathFailure | undefined {
  let remaining = Number.POSITIVE_INFINITY;
  for (let i = path.length - 1; i >= 0; i--) {
    const cert = path[i] as ParsedCertificate;
    if (cert.unprocessedCriticalExtensions.length > 0) {
      return fail('CERT_UNTRUSTED', cert, i, 'unsupported-critical-extension', `certificate of ${cert.info.subject} has critical extensions we do not process: ${cert.unprocessedCriticalExtensions.join(', ')}`, {
        extensions: cert.unprocessedCriticalExtensions,
      });
    }
    if (i === 0) break;
    const isAnchor = i === path.length - 1;
    // A v1 anchor (no extensions) is a CA by configuration; every other issuer must say so.
    const isV1Anchor = isAnchor && !cert.hasBasicConstraints && (cert.cert.extensions ?? []).length === 0;
    if (!cert.info.isCa && !isV1Anchor) {
      return fail('CERT_UNTRUSTED', cert, i, 'not-a-ca', `certificate of ${cert.info.subject} issued another certificate but is not a CA (basicConstraints)`);
    }
    if (cert.info.keyUsage !== null && !cert.info.keyUsage.includes('keyCertSign')) {
      return fail('CERT_UNTRUSTED', cert, i, 'ca-key-usage', `CA certificate of ${cert.info.subject} lacks the keyCertSign key usage`, {
        keyUsage: cert.info.keyUsage,
      });
    }
    if (!isAnchor && !cert.isSelfIssued) {
      if (remaining <= 0) {
        return fail('CERT_UNTRUSTED', cert, i, 'path-length', `certificate of ${cert.info.subject} exceeds the path length allowed by the CAs above it`);
      }
      remaining -= 1;
    }
    if (cert.pathLenConstraint !== null) remaining = Math.min(remaining, cert.pathLenConstraint);
  }
  return undefined;
}

function checkValidity(path: ParsedCertificate[], at: Date): PathFailure | undefined {
  for (const [i, cert] of path.entries()) {
    const { notBefore, notAfter, subject } = cert.info;
    if (at < notBefore) {
      return fail('CERT_NOT_YET_VALID', cert, i, 'not-yet-valid', `certificate of ${subject} is valid only from ${notBefore.toISOString()}`, {
        notBefore: notBefore.toISOString(),
        at: at.toISOString(),
      });
    }
    if (at > notAfter) {
      return fail('CERT_EXPIRED', cert, i, 'expired', `certificate of ${subject} expired on ${notAfter.toISOString()}`, {
        notAfter: notAfter.toISOString(),
        at: at.toISOString(),
      });
    }
  }
  return undefined;
}

const SIGNING_USAGES = ['digitalSignature', 'nonRepudiation'] as const;

/** The end entity's key usage and extended key usage for `purpose` (RFC 5280 §4.2.1.3, §4.2.1.12). */
export function checkPurpose(cert: ParsedCertificate, purpose: CertificatePurpose): PathFailure | undefined {
  if (purpose === 'any') return undefined;
  const { keyUsage, extendedKeyUsage, subject } = cert.info;
  const allowedUsages: readonly string[] = purpose === 'ocsp-signing' ? ['digitalSignature'] : SIGNING_USAGES;
  if (keyUsage !== null && !keyUsage.some((usage) => allowedUsages.includes(usage))) {
    return fail('KEY_USAGE_NOT_ALLOWED', cert, 0, 'key-usage', `certificate of ${subject} does not allow signing (key usage: ${keyUsage.join(', ') || 'none'})`, {
      keyUsage,
    });
  }
  const requiredEku = purpose === 'timestamping' ? OID.kpTimeStamping : purpose === 'ocsp-signing' ? OID.kpOcspSigning : null;
  if (requiredEku !== null && !(extendedKeyUsage ?? []).includes(requiredEku)) {
    return fail('KEY_USAGE_NOT_ALLOWED', cert, 0, 'extended-key-usage', `certificate of ${subject} lacks the extended key usage ${requiredEku} needed for ${purpose}`, {
      extendedKeyUsage: extendedKeyUsage ?? [],
    });
  }
  return undefined;
}

/** Every check on one candidate path; the first failure, or undefined when the path is valid. */
export function checkPath(path: ParsedCertificate[], at: Date, purpose: CertificatePurpose): PathFailure | undefined {
  return checkSignatures(path) ?? checkConstraints(path) ?? checkValidity(path, at) ?? checkPurpose(path[0] as ParsedCertificate, purpose);
}

/** A validated path, with the parsed certificates kept for revocation checking. */
export interface ParsedPath {
  certificates: ParsedCertificate[];
  pathsTried: number;
}

/** As {@link validateCertificatePath}, keeping the parsed certificates. */
export async function validateParsedPath(options: ValidateCertificatePathOptions): Promise<ParsedPath> {
  const target = parseX509(options.certificate);
  const extra = (options.intermediates ?? []).map(parseX509);
  const at = options.at ?? new Date();
  const purpose = options.purpose ?? 'document-signing';
  let firstFailure: PathFailure | undefined;
  let tried = 0;
  for await (const path of buildPaths([target], options.trustStore, extra, at, options.maxDepth ?? DEFAULT_MAX_DEPTH)) {
    tried += 1;
    const failure = checkPath(path, at, purpose);
    if (failure === undefined) return { certificates: path, pathsTried: tried };
    firstFailure ??= failure;
    if (tried >= MAX_PATHS) break;
  }
  if (firstFailure !== undefined) {
    throw new MapsignError(firstFailure.code, firstFailure.message, { details: { ...firstFailure.details, pathsTried: tried } });
  }
  throw new MapsignError('CERT_UNTRUSTED', `no path from the certificate of ${target.info.subject} to a configured trust root (issuer ${target.info.issuer})`, {
    details: { reason: 'no-path', subject: target.info.subject, issuer: target.info.issuer, serialNumber: target.info.serialNumber, position: 0 },
  });
}

/**
 * Builds a path from `certificate` to an anchor of the trust store and validates it at `at`.
 * Raises the failure of the first candidate path when none is valid.
 */
export async function validateCertificatePath(options: ValidateCertificatePathOptions): Promise<CertificatePath> {
  const path = await validateParsedPath(options);
  return {
    certificates: path.certificates.map((c) => c.der),
    infos: path.certificates.map((c) => c.info),
    pathsTried: path.pathsTried,
  };
}
