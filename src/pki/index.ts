// Public surface of the pki module: certificates and key sources (PKCS#12 now; PKCS#11 tokens
// and external two-phase signers fit the same KeySource interface), the trust store, path
// validation, revocation (OCSP, CRL, cache) and the development PKI services.
import type { X509Certificate } from 'node:crypto';
import * as certificate from './certificate.js';
import type * as keySource from './key-source.js';
import * as p12 from './p12-key-source.js';
import * as certificateCheck from './certificate-check.js';
import * as devServices from './dev-services.js';
import * as pathValidation from './path-validation.js';
import * as revocation from './revocation.js';
import * as revocationCache from './revocation-cache.js';
import type * as revocationData from './revocation-data.js';
import * as revocationEvidence from './revocation-evidence.js';
import * as trustConfig from './trust-config.js';
import * as trustStore from './trust-store.js';
import * as x509 from './x509.js';

/** Where the private key lives: 'pkcs12', 'pkcs11' or 'external'. */
export type KeySourceKind = keySource.KeySourceKind;

/** The hash of the signed attributes and the DER itself; external signers use only `digest`. */
export type SignatureRequest = keySource.SignatureRequest;

/**
 * A private key and its chain. PKCS#12 now; a PKCS#11 token and an external two-phase signer
 * (only `digest` leaves the service; the signature comes back later) fit without changing callers.
 */
export type KeySource = keySource.KeySource;

/** Input of {@link openPkcs12KeySource}. */
export type OpenPkcs12KeySourceOptions = p12.OpenPkcs12KeySourceOptions;

/**
 * Opens a PKCS#12 file (`path` or `data`) with its password. RSA keys sign with `scheme`
 * ('rsa-pkcs1' by default, or 'rsa-pss'); EC keys (P-256, P-384, P-521) with ECDSA. The chain is
 * the key's certificate, then its issuers up to the root as far as the file holds them.
 *
 * @throws MapsignError `KEY_PASSWORD_WRONG` when the password does not open the file,
 *   `KEY_MALFORMED` for garbage, no key, several keys or no certificate of the key,
 *   `KEY_UNSUPPORTED` for other key types (DSA, Ed25519, …) and unreadable algorithms,
 *   `INPUT_NOT_FOUND`/`IO_FAILED` when the file cannot be read.
 */
export function openPkcs12KeySource(options: OpenPkcs12KeySourceOptions): Promise<KeySource> {
  return p12.openPkcs12KeySource(options);
}

/** Names, serial, validity and usages of a certificate, for signer checks and reports. */
export type CertificateInfo = certificate.CertificateInfo;

/** A named KeyUsage bit (RFC 5280 §4.2.1.3). */
export type KeyUsageName = certificate.KeyUsageName;

/** Reads the facts of a DER certificate that signing and reports need. */
export function describeCertificate(der: Buffer): CertificateInfo {
  return certificate.describeCertificate(der);
}

/** node:crypto's X509Certificate of a DER certificate, shared per process (read it, never change it). */
export function readX509Certificate(der: Buffer): X509Certificate {
  return certificate.readX509Certificate(der);
}

// ---- Trust: roots, intermediates, path validation (issue 3) ---------------------------------

/** Roots (trust anchors) and untrusted intermediates; trust is reaching one of the roots. */
export type TrustStore = trustStore.TrustStore;

/** Input of {@link createTrustStore}: DER or PEM of the roots and intermediates. */
export type CreateTrustStoreOptions = trustStore.CreateTrustStoreOptions;

/** Input of {@link loadTrustStore}: files or folders of roots and intermediates. */
export type LoadTrustStoreOptions = trustStore.LoadTrustStoreOptions;

/** Fetching missing issuers from the AIA caIssuers URL (off by default), with its limits. */
export type CaIssuersOptions = trustStore.CaIssuersOptions;

/** Trust for one use (signing, checking): a loaded store, or the files of its roots. */
export type TrustOptions = trustConfig.TrustOptions;

/** Builds a trust store from certificates in memory. Only CA certificates become anchors. */
export function createTrustStore(options: CreateTrustStoreOptions): TrustStore {
  return trustStore.createTrustStore(options);
}

/**
 * Reads roots and intermediates from PEM bundles, DER files or folders of them (`.pem`, `.crt`,
 * `.cer`, `.der`, hashed `.0`; not recursive).
 *
 * @throws MapsignError `CONFIG_INVALID` when the roots hold no CA certificate or a file cannot be
 *   read as certificates, `INPUT_NOT_FOUND` when a path does not exist.
 */
export function loadTrustStore(options: LoadTrustStoreOptions): Promise<TrustStore> {
  return trustStore.loadTrustStore(options);
}

/**
 * The trust settings of the configuration: `overrides.trust` (a `--trust` option) or TRUST_DIR for
 * the roots, TRUST_INTERMEDIATES_DIR, TRUST_FETCH_CA_ISSUERS. Null when no roots are configured.
 *
 * @throws MapsignError `CONFIG_INVALID` for a TRUST_FETCH_CA_ISSUERS that is not a boolean.
 */
export function readTrustConfig(env: Readonly<Record<string, string | undefined>>, overrides?: { trust?: string }): LoadTrustStoreOptions | null {
  return trustConfig.readTrustConfig(env, overrides);
}

/** The trust store of `options`: `store` as given, or loaded from `roots`. */
export function resolveTrustStore(options: TrustOptions): Promise<TrustStore> {
  return trustConfig.resolveTrustStore(options);
}

/** DER certificates in PEM text (any number of blocks) or a single DER certificate. */
export function decodeCertificates(bytes: Buffer): Buffer[] {
  return x509.decodeCertificates(bytes);
}

/** What an end-entity certificate is checked for: 'document-signing', 'timestamping', 'ocsp-signing' or 'any'. */
export type CertificatePurpose = pathValidation.CertificatePurpose;

/** Input of {@link validateCertificatePath}. */
export type ValidateCertificatePathOptions = pathValidation.ValidateCertificatePathOptions;

/** A validated path: DER and facts, end entity first, trust anchor last. */
export type CertificatePath = pathValidation.CertificatePath;

/**
 * Builds paths from `certificate` to the trust store's roots (by name and key identifiers, trying
 * several candidates, never looping) and validates them at `at` (RFC 5280 §6.1): each signature
 * with node:crypto, no MD5/SHA-1 signatures and no RSA key under 2048 bits, CA basic constraints,
 * path length and keyCertSign, validity, and the end entity's key usage for `purpose`
 * (digitalSignature or nonRepudiation to sign; EKU timeStamping for a TSA, OCSPSigning for a
 * responder). Revocation is not checked here: see {@link validateCertificate}.
 *
 * @throws MapsignError `CERT_UNTRUSTED` (no path, bad signature, not a CA, path length, critical
 *   extension not processed), `CERT_EXPIRED`, `CERT_NOT_YET_VALID`, `KEY_USAGE_NOT_ALLOWED`,
 *   `CERT_WEAK_ALGORITHM`; `details.reason` and `details.position` (0 = end entity) say where.
 */
export function validateCertificatePath(options: ValidateCertificatePathOptions): Promise<CertificatePath> {
  return pathValidation.validateCertificatePath(options);
}

/** Input of {@link validateCertificate}: the path options plus `revocation: {policy, checker}`. */
export type ValidateCertificateOptions = certificateCheck.ValidateCertificateOptions;

/** Output of {@link validateCertificate}: the path, the revocation status of each certificate, warnings. */
export type ValidateCertificateResult = certificateCheck.ValidateCertificateResult;

/**
 * The whole check before a certificate is relied upon: {@link validateCertificatePath}, then the
 * revocation status of every certificate of the path but the anchor under `revocation.policy`
 * (default 'hard-fail').
 *
 * @throws MapsignError the codes of {@link validateCertificatePath}, `CERT_REVOKED`, and
 *   `REVOCATION_UNAVAILABLE` when 'hard-fail' cannot establish a status.
 */
export function validateCertificate(options: ValidateCertificateOptions): Promise<ValidateCertificateResult> {
  return certificateCheck.validateCertificate(options);
}

// ---- Revocation: OCSP, CRL, cache ------------------------------------------------------------

/** 'hard-fail' (signing, default), 'soft-fail' (offline verification) or 'off'. */
export type RevocationPolicy = revocation.RevocationPolicy;

/** The revocation policies, for option parsing. */
export const REVOCATION_POLICIES: readonly RevocationPolicy[] = revocation.REVOCATION_POLICIES;

/** Whether a value names one of {@link REVOCATION_POLICIES}. */
export function isRevocationPolicy(value: unknown): value is RevocationPolicy {
  return typeof value === 'string' && (REVOCATION_POLICIES as readonly string[]).includes(value);
}

/** Timeouts, size limits, clock skew, cache, clock and URL rewriting of a {@link RevocationChecker}. */
export type RevocationCheckerOptions = revocation.RevocationCheckerOptions;

/** Asks OCSP first, then CRLs; caches verified answers until their nextUpdate. */
export type RevocationChecker = revocation.RevocationChecker;

/** Status, reason, times, source and raw DER (OCSP response or CRL) of one certificate. */
export type RevocationStatus = revocation.RevocationStatus;

/** A source that was tried and could not settle a status, and why. */
export type RevocationFailure = revocation.RevocationFailure;

/** good, revoked or unknown. */
export type CertificateStatus = revocationData.CertificateStatus;

/** CRLReason names (RFC 5280 §5.3.1). */
export type RevocationReason = revocationData.RevocationReason;

/** Revocation evidence of a path in the shape of the PDF's /DSS: OCSP responses, CRLs, certificates. */
export type RevocationData = revocation.RevocationData;

/** Where verified OCSP responses and CRLs are kept until nextUpdate; implement it to persist them. */
export type RevocationCache = revocationCache.RevocationCache;

/** One cached answer: kind, DER, URL, expiry. */
export type RevocationCacheEntry = revocationCache.RevocationCacheEntry;

/**
 * A revocation checker. Each fetch is http only, with `timeoutMs` (default 5 s) and a size limit
 * (64 KiB per OCSP response, 32 MiB per CRL). OCSP requests carry a nonce; responses must be
 * signed by the CA or a responder it delegated (id-kp-OCSPSigning; a responder without
 * id-pkix-ocsp-nocheck is itself checked by CRL), match the CertID and be fresh. CRLs must be
 * signed by the issuer (cRLSign), complete, direct and fresh. `checkCertificate(cert, issuer)` and
 * `checkPath(certificates)` never throw for unreachable sources: the status is then 'unknown'.
 */
export function createRevocationChecker(options: RevocationCheckerOptions = {}): RevocationChecker {
  return new revocation.RevocationChecker(options);
}

/** An in-process {@link RevocationCache}, bounded to `maxEntries` (default 10 000). */
export function createMemoryRevocationCache(options: { maxEntries?: number; clock?: () => Date } = {}): RevocationCache {
  return new revocationCache.MemoryRevocationCache(options);
}

/**
 * Applies a policy to statuses: `CERT_REVOKED` for a revoked one unless 'off',
 * `REVOCATION_UNAVAILABLE` for an unknown one under 'hard-fail'; returns soft-fail warnings.
 */
export function enforceRevocationPolicy(statuses: readonly RevocationStatus[], policy: RevocationPolicy): string[] {
  return revocation.enforceRevocationPolicy(statuses, policy);
}

/**
 * For a B-LT /DSS: the status of every certificate of `certificates` (a path, end entity first,
 * anchor last; the anchor itself is not checked) and, deduplicated, the DER OCSP responses, CRLs
 * and certificates (the path plus delegated OCSP responders) they rest on. Use the checker that
 * validated the signer so its cache answers without fetching again.
 */
export function collectRevocationData(certificates: readonly Buffer[], checker: RevocationChecker): Promise<RevocationData> {
  return revocation.collectRevocationData(certificates, checker);
}

// ---- Revocation evidence kept in a document (/DSS, CMS) ----------------------------------------

/** Why a source or a piece of evidence could not settle a status: unavailable, invalid, stale, not-applicable. */
export type RevocationFailureKind = revocationData.RevocationFailureKind;

/** Input of {@link checkOcspEvidence}, {@link checkCrlEvidence} and {@link selectRevocationEvidence}. */
export type RevocationEvidenceOptions = revocationEvidence.RevocationEvidenceOptions;

/** Evidence that answers for the certificate at the validation time: status, times, responder. */
export type UsableRevocationEvidence = revocationEvidence.UsableRevocationEvidence;

/** Evidence that cannot be used, why, and whether it is about the certificate at all. */
export type UnusableRevocationEvidence = revocationEvidence.UnusableRevocationEvidence;

/** The outcome of judging one OCSP response or CRL. */
export type RevocationEvidenceCheck = revocationEvidence.RevocationEvidenceCheck;

/** One piece of kept evidence with a caller's label for its origin ('dss-ocsp', …). */
export type RevocationEvidenceCandidate<L> = revocationEvidence.RevocationEvidenceCandidate<L>;

/** What a pool of evidence says about one certificate: the status, the evidence chosen, the rest rejected. */
export type RevocationEvidenceSelection<L> = revocationEvidence.RevocationEvidenceSelection<L>;

/**
 * Judges a DER OCSPResponse kept as evidence (a /DSS, a CMS) for `certificate` (DER or parsed)
 * issued by `issuer` at `options.validationTime`, offline: the signature of the CA or of a
 * responder it delegated (id-kp-OCSPSigning, valid at producedAt; without id-pkix-ocsp-nocheck
 * a CRL in `options.crls` must show it unrevoked), the CertID, and freshness against the
 * validation time rather than the clock: a 'good' answer counts when issued at or after that time
 * or current at it, and not when issued after the certificate expired (unless archiveCutoff
 * covers it); a 'revoked' answer counts whenever it was issued. Never throws.
 */
export function checkOcspEvidence(der: Buffer, certificate: Buffer, issuer: Buffer, options: RevocationEvidenceOptions): RevocationEvidenceCheck {
  return revocationEvidence.checkOcspEvidence(der, certificate, issuer, options);
}

/**
 * Judges a DER CRL kept as evidence for `certificate` issued by `issuer` at
 * `options.validationTime`, offline: signed by the issuer (cRLSign, no weak algorithm), complete
 * and direct, and fresh by the rule of {@link checkOcspEvidence} (ExpiredCertsOnCRL stands for
 * archiveCutoff). Never throws.
 */
export function checkCrlEvidence(der: Buffer, certificate: Buffer, issuer: Buffer, options: RevocationEvidenceOptions): RevocationEvidenceCheck {
  return revocationEvidence.checkCrlEvidence(der, certificate, issuer, options);
}

/**
 * The status of `certificate` at `options.validationTime` from a pool of kept OCSP responses and
 * CRLs: a revocation wins over any 'good' (a certificateHold only when no later 'good' lifts it),
 * otherwise the latest 'good'; 'unknown' when nothing in the pool settles it. Evidence about other
 * certificates is ignored; evidence about this one that cannot be used is listed with the reason.
 */
export function selectRevocationEvidence<L>(
  candidates: ReadonlyArray<RevocationEvidenceCandidate<L>>,
  certificate: Buffer,
  issuer: Buffer,
  options: RevocationEvidenceOptions,
): RevocationEvidenceSelection<L> {
  return revocationEvidence.selectRevocationEvidence(candidates, certificate, issuer, options);
}

// ---- Development PKI services (never for production) --------------------------------------

/** The fixed ports the sample certificates point to: CRLs 18080, OCSP 18081, TSA 18082. */
export const DEV_PKI_PORTS: { readonly crl: number; readonly ocsp: number; readonly tsa: number } = devServices.DEV_PKI_PORTS;

/** One running development service: its base URL, port, request count and stop(). */
export type DevService = devServices.DevService;

/** The running CRL server, OCSP responder and TSA of a development PKI. */
export type DevPki = devServices.DevPki;

/** Input of {@link startDevPki}. */
export type StartDevPkiOptions = devServices.StartDevPkiOptions;

/**
 * Starts what the certificates of a certs-sample-like folder point to: CRLs and CA certificates
 * over http, an `openssl ocsp` responder and an `openssl ts` TSA, after issuing fresh CRLs.
 * Ports default to {@link DEV_PKI_PORTS}; 0 picks free ones (then use `rewriteUrl`).
 *
 * @throws MapsignError `CONFIG_INVALID` when a port is busy or openssl cannot start.
 */
export function startDevPki(options: StartDevPkiOptions): Promise<DevPki> {
  return devServices.startDevPki(options);
}

/** Input of {@link startCrlServer}. */
export type StartCrlServerOptions = devServices.StartCrlServerOptions;

/** Serves fixed CRLs and CA certificates by path (development and tests). */
export function startCrlServer(options: StartCrlServerOptions): Promise<DevService> {
  return devServices.startCrlServer(options);
}

/** Input of {@link startOcspResponder}. */
export type StartOcspResponderOptions = devServices.StartOcspResponderOptions;

/** Runs `openssl ocsp` as a responder over an `openssl ca` index (development and tests). */
export function startOcspResponder(options: StartOcspResponderOptions): Promise<DevService> {
  return devServices.startOcspResponder(options);
}

/** Input of {@link startTsaServer}. */
export type StartTsaServerOptions = devServices.StartTsaServerOptions;

/** An RFC 3161 TSA at `/tsa` answering with `openssl ts -reply` (development and tests). */
export function startTsaServer(options: StartTsaServerOptions): Promise<DevService> {
  return devServices.startTsaServer(options);
}

/** Input of {@link issueCrl}. */
export type IssueCrlOptions = devServices.IssueCrlOptions;

/** Issues a CRL with `openssl ca -gencrl` from a CA key and index; returns its DER. */
export function issueCrl(options: IssueCrlOptions): Promise<Buffer> {
  return devServices.issueCrl(options);
}
