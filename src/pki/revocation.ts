// Revocation status of each certificate of a path: OCSP first (RFC 6960), CRL second (RFC 5280
// §6.3), answers cached until their nextUpdate. Each status keeps the raw DER it rests on, so a
// B-LT signature can put the same OCSP responses and CRLs into the PDF's /DSS.
import { createHash } from 'node:crypto';
import { MapsignError } from '../errors.js';
import { evaluateCrl, fetchCrl, type CrlEvaluation } from './crl-client.js';
import { FetchError, parseHttpUrl } from './http-fetch.js';
import { buildOcspRequest, evaluateOcspResponse, fetchOcspResponse, recheckOcspEvaluation, type OcspEvaluation } from './ocsp-client.js';
import { MemoryRevocationCache, type RevocationCache } from './revocation-cache.js';
import { RevocationSourceError, type CertificateStatus, type RevocationFailureKind, type RevocationReason } from './revocation-data.js';
import { parseX509, type ParsedCertificate } from './x509.js';

/** Per use: refuse when the status cannot be established ('hard-fail', for signing), tolerate it ('soft-fail'), or skip ('off'). */
export type RevocationPolicy = 'hard-fail' | 'soft-fail' | 'off';

export const REVOCATION_POLICIES: readonly RevocationPolicy[] = ['hard-fail', 'soft-fail', 'off'];

export interface RevocationCheckerOptions {
  /** Deadline of each fetch; default 5000 ms. */
  timeoutMs?: number;
  /** Largest OCSP response accepted; default 64 KiB. */
  maxOcspResponseBytes?: number;
  /** Largest CRL accepted; default 32 MiB. */
  maxCrlBytes?: number;
  /** Clock difference tolerated with responders and CRL issuers; default 5 minutes. */
  clockSkewMs?: number;
  /** How old an OCSP response or CRL without nextUpdate may be; default 1 hour. Such answers are not cached. */
  maxAgeWithoutNextUpdateMs?: number;
  /** Default: a new in-memory cache. Share one checker (or one cache) to share answers. */
  cache?: RevocationCache;
  /** The current time; tests move it. Default `() => new Date()`. */
  clock?: () => Date;
  /** Maps a URL written in a certificate to the one fetched (local mirrors, tests on free ports). */
  rewriteUrl?: (url: string, kind: 'ocsp' | 'crl') => string;
  /** Sources in the order tried; default ['ocsp', 'crl']. */
  sources?: Array<'ocsp' | 'crl'>;
}

/** One source that was tried and could not settle the status. */
export interface RevocationFailure {
  source: 'ocsp' | 'crl';
  url: string | null;
  kind: RevocationFailureKind;
  message: string;
}

/** The revocation status of one certificate and the evidence for it. */
export interface RevocationStatus {
  subject: string;
  serialNumber: string;
  /** Subject of the issuer whose OCSP responder or CRL was asked. */
  issuer: string;
  status: CertificateStatus;
  /** Where the status comes from; null when no source answered. */
  source: 'ocsp' | 'crl' | null;
  url: string | null;
  revocationTime: Date | null;
  revocationReason: RevocationReason | null;
  /** OCSP only. */
  producedAt: Date | null;
  thisUpdate: Date | null;
  nextUpdate: Date | null;
  isFromCache: boolean;
  /** DER of the whole OCSPResponse (source 'ocsp'), for /DSS /OCSPs. */
  ocspResponse: Buffer | null;
  /** DER of the CertificateList (source 'crl'), for /DSS /CRLs. */
  crl: Buffer | null;
  /** Certificates needed to verify the evidence beyond the path: a delegated OCSP responder's. */
  signerCertificates: Buffer[];
  /** Sources tried before (or instead of) the one that answered. */
  failures: RevocationFailure[];
}

const DEFAULTS = {
  timeoutMs: 5_000,
  maxOcspResponseBytes: 64 * 1024,
  maxCrlBytes: 32 * 1024 * 1024,
  clockSkewMs: 5 * 60_000,
  maxAgeWithoutNextUpdateMs: 60 * 60_000,
};

type Evidence =
  | { source: 'ocsp'; url: string; der: Buffer; evaluation: OcspEvaluation; isFromCache: boolean }
  | { source: 'crl'; url: string; der: Buffer; evaluation: CrlEvaluation; isFromCache: boolean };

function describeFailure(error: unknown): { kind: RevocationFailureKind; message: string } {
  if (error instanceof RevocationSourceError) return { kind: error.kind, message: error.message };
  if (error instanceof FetchError) return { kind: 'unavailable', message: error.message };
  return { kind: 'invalid', message: error instanceof Error ? error.message : String(error) };
}

/** Asks OCSP responders and CRL distribution points, with a cache shared by every check it makes. */
export class RevocationChecker {
  readonly #options: Required<Omit<RevocationCheckerOptions, 'rewriteUrl' | 'cache' | 'clock'>>;
  readonly #cache: RevocationCache;
  readonly #clock: () => Date;
  readonly #rewriteUrl: (url: string, kind: 'ocsp' | 'crl') => string;
  readonly #pendingCrls = new Map<string, Promise<Buffer>>();

  constructor(options: RevocationCheckerOptions = {}) {
    this.#options = {
      timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
      maxOcspResponseBytes: options.maxOcspResponseBytes ?? DEFAULTS.maxOcspResponseBytes,
      maxCrlBytes: options.maxCrlBytes ?? DEFAULTS.maxCrlBytes,
      clockSkewMs: options.clockSkewMs ?? DEFAULTS.clockSkewMs,
      maxAgeWithoutNextUpdateMs: options.maxAgeWithoutNextUpdateMs ?? DEFAULTS.maxAgeWithoutNextUpdateMs,
      sources: options.sources ?? ['ocsp', 'crl'],
    };
    this.#cache = options.cache ?? new MemoryRevocationCache();
    this.#clock = options.clock ?? (() => new Date());
    this.#rewriteUrl = options.rewriteUrl ?? ((url) => url);
  }

  /**
   * The status of `certificate` (DER) issued by `issuer` (DER). Never throws for an unreachable
   * or unacceptable source: the result is then 'unknown' with the reasons in `failures`.
   */
  async checkCertificate(certificate: Buffer, issuer: Buffer): Promise<RevocationStatus> {
    return this.checkParsed(parseX509(certificate), parseX509(issuer));
  }

  /** Statuses of every certificate of a path (end entity first, anchor last), except the anchor. */
  async checkPath(certificates: readonly Buffer[]): Promise<RevocationStatus[]> {
    const parsed = certificates.map(parseX509);
    return Promise.all(parsed.slice(0, -1).map((cert, i) => this.checkParsed(cert, parsed[i + 1] as ParsedCertificate)));
  }

  /** As {@link checkCertificate}, on parsed certificates. */
  async checkParsed(cert: ParsedCertificate, issuer: ParsedCertificate): Promise<RevocationStatus> {
    const failures: RevocationFailure[] = [];
    let unknownAnswer: Evidence | undefined;
    for (const source of this.#options.sources) {
      const evidence = source === 'ocsp' ? await this.#askOcsp(cert, issuer, failures) : await this.#askCrl(cert, issuer, failures);
      if (evidence === undefined) continue;
      if (evidence.evaluation.status !== 'unknown') return this.#describe(cert, issuer, evidence, failures);
      // An authorised "unknown" settles nothing: record it and let the CRL speak.
      unknownAnswer ??= evidence;
      failures.push({ source: evidence.source, url: evidence.url, kind: 'invalid', message: 'OCSP: the responder does not know the certificate (status unknown)' });
    }
    if (unknownAnswer !== undefined) return this.#describe(cert, issuer, unknownAnswer, failures);
    return {
      ...this.#identify(cert, issuer),
      status: 'unknown',
      source: null,
      url: null,
      revocationTime: null,
      revocationReason: null,
      producedAt: null,
      thisUpdate: null,
      nextUpdate: null,
      isFromCache: false,
      ocspResponse: null,
      crl: null,
      signerCertificates: [],
      failures,
    };
  }

  #identify(cert: ParsedCertificate, issuer: ParsedCertificate): Pick<RevocationStatus, 'subject' | 'serialNumber' | 'issuer'> {
    return { subject: cert.info.subject, serialNumber: cert.info.serialNumber, issuer: issuer.info.subject };
  }

  #describe(cert: ParsedCertificate, issuer: ParsedCertificate, evidence: Evidence, failures: RevocationFailure[]): RevocationStatus {
    const { evaluation } = evidence;
    return {
      ...this.#identify(cert, issuer),
      status: evaluation.status,
      source: evidence.source,
      url: evidence.url,
      revocationTime: evaluation.revocationTime,
      revocationReason: evaluation.revocationReason,
      producedAt: evidence.source === 'ocsp' ? evidence.evaluation.producedAt : null,
      thisUpdate: evaluation.thisUpdate,
      nextUpdate: evaluation.nextUpdate,
      isFromCache: evidence.isFromCache,
      ocspResponse: evidence.source === 'ocsp' ? evidence.der : null,
      crl: evidence.source === 'crl' ? evidence.der : null,
      signerCertificates: evidence.source === 'ocsp' && evidence.evaluation.responder ? [evidence.evaluation.responder.der] : [],
      failures,
    };
  }

  /**
   * OCSP answers this checker decoded and verified, by cache key: a cached answer read again needs
   * only the checks that depend on the time (a shared cache may be handed other bytes: those are
   * decoded and verified in full).
   */
  readonly #evaluations = new Map<string, { der: Buffer; evaluation: OcspEvaluation }>();

  #remember(key: string, der: Buffer, evaluation: OcspEvaluation): void {
    if (this.#evaluations.size >= 1024) this.#evaluations.clear();
    this.#evaluations.set(key, { der, evaluation });
  }

  #freshness(): { now: Date; clockSkewMs: number; maxAgeWithoutNextUpdateMs: number } {
    return { now: this.#clock(), clockSkewMs: this.#options.clockSkewMs, maxAgeWithoutNextUpdateMs: this.#options.maxAgeWithoutNextUpdateMs };
  }

  #target(url: string, kind: 'ocsp' | 'crl'): string {
    const target = this.#rewriteUrl(url, kind);
    parseHttpUrl(target);
    return target;
  }

  async #askOcsp(cert: ParsedCertificate, issuer: ParsedCertificate, failures: RevocationFailure[]): Promise<Evidence | undefined> {
    if (cert.ocspUrls.length === 0) {
      failures.push({ source: 'ocsp', url: null, kind: 'not-applicable', message: 'OCSP: the certificate names no responder' });
      return undefined;
    }
    const key = `ocsp|${createHash('sha1').update(issuer.subjectPublicKeyBits).digest('hex')}|${cert.info.serialNumber}`;
    const cached = await this.#cache.get(key);
    if (cached !== undefined && cached.expiresAt > this.#clock()) {
      try {
        const known = this.#evaluations.get(key);
        const evaluation =
          known !== undefined && known.der.equals(cached.der)
            ? recheckOcspEvaluation(known.evaluation, { issuer, ...this.#freshness() })
            : evaluateOcspResponse(cached.der, { cert, issuer, ...this.#freshness() });
        this.#remember(key, cached.der, evaluation);
        await this.#checkResponder(evaluation, issuer);
        return { source: 'ocsp', url: cached.url, der: cached.der, evaluation, isFromCache: true };
      } catch {
        // A cached answer that no longer passes (stale by now) is simply fetched again.
      }
    }
    for (const url of cert.ocspUrls) {
      try {
        const target = this.#target(url, 'ocsp');
        const request = buildOcspRequest(cert, issuer);
        const der = await fetchOcspResponse(target, request, { timeoutMs: this.#options.timeoutMs, maxBytes: this.#options.maxOcspResponseBytes });
        const evaluation = evaluateOcspResponse(der, { cert, issuer, nonce: request.nonce, ...this.#freshness() });
        this.#remember(key, der, evaluation);
        await this.#checkResponder(evaluation, issuer);
        if (evaluation.nextUpdate !== null && evaluation.status !== 'unknown') {
          await this.#cache.set(key, { kind: 'ocsp', der, url, expiresAt: evaluation.nextUpdate });
        }
        return { source: 'ocsp', url, der, evaluation, isFromCache: false };
      } catch (error) {
        failures.push({ source: 'ocsp', url, ...describeFailure(error) });
      }
    }
    return undefined;
  }

  /**
   * A delegated responder without id-pkix-ocsp-nocheck must itself be unrevoked (RFC 6960
   * §4.2.2.2.1); we ask its issuer's CRL, never OCSP, so the check cannot recurse.
   */
  async #checkResponder(evaluation: OcspEvaluation, issuer: ParsedCertificate): Promise<void> {
    const responder = evaluation.responder;
    if (responder === null || responder.hasOcspNoCheck) return;
    const failures: RevocationFailure[] = [];
    const evidence = await this.#askCrl(responder, issuer, failures);
    if (evidence === undefined || evidence.evaluation.status !== 'good') {
      throw new RevocationSourceError('invalid', `OCSP: the status of the responder ${responder.info.subject} is ${evidence ? evidence.evaluation.status : 'not available'}`);
    }
  }

  async #askCrl(cert: ParsedCertificate, issuer: ParsedCertificate, failures: RevocationFailure[]): Promise<Evidence | undefined> {
    if (cert.crlUrls.length === 0) {
      failures.push({ source: 'crl', url: null, kind: 'not-applicable', message: 'CRL: the certificate names no distribution point' });
      return undefined;
    }
    for (const url of cert.crlUrls) {
      const key = `crl|${url}`;
      const cached = await this.#cache.get(key);
      if (cached !== undefined && cached.expiresAt > this.#clock()) {
        try {
          return { source: 'crl', url, der: cached.der, evaluation: evaluateCrl(cached.der, { cert, issuer, ...this.#freshness() }), isFromCache: true };
        } catch {
          // Fetched again below.
        }
      }
      try {
        const der = await this.#fetchCrlOnce(this.#target(url, 'crl'));
        const evaluation = evaluateCrl(der, { cert, issuer, ...this.#freshness() });
        if (evaluation.nextUpdate !== null) await this.#cache.set(key, { kind: 'crl', der, url, expiresAt: evaluation.nextUpdate });
        return { source: 'crl', url, der, evaluation, isFromCache: false };
      } catch (error) {
        failures.push({ source: 'crl', url, ...describeFailure(error) });
      }
    }
    return undefined;
  }

  /** Concurrent checks of one path share one download of the same CRL. */
  #fetchCrlOnce(target: string): Promise<Buffer> {
    let pending = this.#pendingCrls.get(target);
    if (pending === undefined) {
      pending = fetchCrl(target, { timeoutMs: this.#options.timeoutMs, maxBytes: this.#options.maxCrlBytes }).finally(() => this.#pendingCrls.delete(target));
      this.#pendingCrls.set(target, pending);
    }
    return pending;
  }
}

/**
 * Applies a policy to the statuses of a path: CERT_REVOKED for a revoked certificate under any
 * policy but 'off'; REVOCATION_UNAVAILABLE for an unknown status under 'hard-fail'. Returns
 * warnings for what 'soft-fail' let through.
 */
export function enforceRevocationPolicy(statuses: readonly RevocationStatus[], policy: RevocationPolicy): string[] {
  if (policy === 'off') return [];
  const revoked = statuses.find((s) => s.status === 'revoked');
  if (revoked !== undefined) {
    const when = revoked.revocationTime ? ` on ${revoked.revocationTime.toISOString()}` : '';
    throw new MapsignError('CERT_REVOKED', `certificate of ${revoked.subject} was revoked${when} (${revoked.revocationReason ?? 'unspecified'}, per ${revoked.source})`, {
      details: {
        subject: revoked.subject,
        serialNumber: revoked.serialNumber,
        revocationTime: revoked.revocationTime?.toISOString() ?? null,
        revocationReason: revoked.revocationReason,
        source: revoked.source,
      },
    });
  }
  const unknown = statuses.filter((s) => s.status === 'unknown');
  if (unknown.length === 0) return [];
  const reasons = unknown.map((s) => `${s.subject}: ${s.failures.map((f) => f.message).join('; ') || 'no source'}`);
  if (policy === 'hard-fail') {
    const first = unknown[0] as RevocationStatus;
    throw new MapsignError('REVOCATION_UNAVAILABLE', `the revocation status of ${first.subject} could not be established: ${reasons[0] ?? ''}`, {
      details: { subject: first.subject, serialNumber: first.serialNumber, failures: first.failures.map((f) => `${f.source} ${f.url ?? '-'}: ${f.message}`) },
    });
  }
  return reasons.map((reason) => `revocation status unknown (soft-fail): ${reason}`);
}

/** Revocation evidence of a path in the shape the PDF's /DSS takes (ETSI EN 319 142-1 §5.4). */
export interface RevocationData {
  statuses: RevocationStatus[];
  /** DER OCSPResponses, without duplicates, for /DSS /OCSPs. */
  ocspResponses: Buffer[];
  /** DER CRLs, without duplicates, for /DSS /CRLs. */
  crls: Buffer[];
  /** The path's certificates and the delegated OCSP responders', without duplicates, for /DSS /Certs. */
  certificates: Buffer[];
}

function dedupeBuffers(buffers: Buffer[]): Buffer[] {
  const seen = new Set<string>();
  return buffers.filter((b) => {
    const key = createHash('sha256').update(b).digest('hex');
    return !seen.has(key) && seen.add(key) !== undefined;
  });
}

/** Gathers the statuses of a path and the DER they rest on, for a B-LT signature's /DSS. */
export async function collectRevocationData(certificates: readonly Buffer[], checker: RevocationChecker): Promise<RevocationData> {
  const statuses = await checker.checkPath(certificates);
  return {
    statuses,
    ocspResponses: dedupeBuffers(statuses.flatMap((s) => (s.ocspResponse ? [s.ocspResponse] : []))),
    crls: dedupeBuffers(statuses.flatMap((s) => (s.crl ? [s.crl] : []))),
    certificates: dedupeBuffers([...certificates, ...statuses.flatMap((s) => s.signerCertificates)]),
  };
}
