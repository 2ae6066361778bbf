// Public surface of the verify module: validation of every signature of a PDF and its report
// (ETSI EN 319 102-1 indications, PAdES EN 319 142-1, ISO 32000-2 §12.8), as JSON and as text.

import { createRevocationChecker, resolveTrustStore, type RevocationChecker, type RevocationPolicy, type TrustOptions } from '../pki/index.js';
import * as pkiTrust from './pki-trust.js';
import * as report from './report.js';
import * as trust from './trust.js';
import * as validate from './validate.js';
import type * as types from './types.js';

/** Options of {@link verify}: the trust hook, the crypto policy, limits, progress. */
export type VerifyOptions = validate.VerifyOptions;

/** The JSON report; `schemaVersion` names its shape (docs/verify-report.md). */
export type VerifyReport = types.VerifyReport;
export type SignatureReport = types.SignatureReport;
export type ObjectChange = types.ObjectChange;
export type ChangeCode = types.ChangeCode;
export type DocumentFinding = types.DocumentFinding;
export type Indication = types.Indication;
export type SubIndication = types.SubIndication;
export type TrustReport = types.TrustReport;
/** The revocation status of one certificate of a chain in the report, with its source and times. */
export type RevocationCheckReport = types.RevocationCheckReport;
/** 'dss-ocsp', 'dss-crl', 'cms', 'online-ocsp' or 'online-crl'. */
export type RevocationSource = types.RevocationSource;
export type TimestampReport = types.TimestampReport;
export type PadesLevel = types.PadesLevel;
export type ReportLanguage = report.ReportLanguage;

/** The trust hook: validates one certificate (signer or TSA) at a time (EN 319 102-1 §5.2.6). */
export type CertificateValidator = trust.CertificateValidator;
export type CertificateValidationRequest = trust.CertificateValidationRequest;
export type CertificateValidationResult = trust.CertificateValidationResult;
export type CertificatePurpose = trust.CertificatePurpose;
/** The revocation status of one certificate as a validator returns it. */
export type RevocationCheck = trust.RevocationCheck;

/** Version of the report's shape; bumped when a change breaks readers (fields are only added within a version). */
export const VERIFY_REPORT_SCHEMA_VERSION = 1;

/**
 * Validates every signature and document time-stamp of the PDF at `path`: the /ByteRange layout,
 * the digests (one pass over the file, memory independent of its size), the CMS, signature and
 * document time-stamps, the signer's certificate through `options.trust`, the PAdES level, and
 * every change made in later revisions. Bad input (garbage, truncated files, broken signatures)
 * never throws: it comes back as a report with an indication and an error code.
 *
 * @throws MapsignError `INPUT_NOT_FOUND` or `IO_FAILED` when the file cannot be read at all.
 */
export function verify(path: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  return validate.verifyPdf(path, options);
}

/** The report as plain text for applicants: Vietnamese by default, or English. */
export function formatReport(value: VerifyReport, language: ReportLanguage = 'vi'): string {
  return report.formatReport(value, language);
}

/** The default trust hook: checks nothing, answers INDETERMINATE / NO_CERTIFICATE_CHAIN_FOUND. */
export const trustNotChecked: CertificateValidator = trust.trustNotChecked;

/**
 * A basic trust hook over the PEM/DER certificates in `dir` (*.pem, *.crt, *.cer): path to one of
 * them by issuer and signature, CA flags, validity at the signing time, key usage. No revocation.
 *
 * @throws MapsignError `CONFIG_INVALID` when `dir` holds no certificate, `INPUT_NOT_FOUND` when it does not exist.
 */
export async function createTrustValidatorFromDirectory(dir: string): Promise<CertificateValidator> {
  return trust.createBasicTrustValidator(await trust.loadTrustAnchors(dir));
}

/** The same basic trust hook over anchors given as PEM text or DER. */
export async function createTrustValidatorFromCertificates(certificates: Array<string | Buffer>): Promise<CertificateValidator> {
  const { X509Certificate } = await import('node:crypto');
  return trust.createBasicTrustValidator(certificates.map((c) => new X509Certificate(c)));
}

/** Input of {@link createCertificateValidator}. */
export interface CreateCertificateValidatorOptions {
  /** The roots (and untrusted intermediates): a loaded trust store, or files and folders of certificates. */
  trust: TrustOptions;
  /**
   * 'hard-fail' (default): a revocation status that neither the document nor (when allowed) an
   * online source establishes makes the signature INDETERMINATE/TRY_LATER; 'soft-fail' lets it
   * pass with a warning; 'off' does not check revocation. A revoked certificate is never let through.
   */
  revocationPolicy?: RevocationPolicy;
  /** Ask the OCSP responders and CRL distribution points the certificates name when the document's own evidence settles nothing; default false. */
  isOnlineAllowed?: boolean;
  /** The checker used online (share one to share its cache); default a new one. */
  checker?: RevocationChecker;
  /** For the default checker: maps URLs written in certificates to the ones fetched (local mirrors, tests on free ports). */
  rewriteUrl?: (url: string, kind: 'ocsp' | 'crl') => string;
  /** For the default checker: deadline of each fetch; default 5000 ms. */
  timeoutMs?: number;
}

/**
 * The full trust hook: a path from the signer (or TSA) to one of the roots, valid at the signing
 * time (the time-stamp's when one proves it, else /M) or at the token's time for a TSA, fit for
 * document signing or time-stamping (RFC 5280 §6.1 via the pki module: signatures, no weak
 * algorithms or keys, CA constraints, key usage); then the revocation status of each certificate
 * of the path from the document's /DSS and CMS first, online second when allowed. Results carry
 * ETSI EN 319 102-1 sub-indications: NO_CERTIFICATE_CHAIN_FOUND, CHAIN_CONSTRAINTS_FAILURE,
 * CRYPTO_CONSTRAINTS_FAILURE, EXPIRED, NOT_YET_VALID, OUT_OF_BOUNDS_NO_POE,
 * OUT_OF_BOUNDS_NOT_REVOKED, REVOKED, REVOKED_NO_POE, TRY_LATER (docs/verify-report.md).
 *
 * @throws MapsignError `CONFIG_INVALID` when the roots hold no CA certificate, `INPUT_NOT_FOUND`
 *   when a root path does not exist.
 */
export async function createCertificateValidator(options: CreateCertificateValidatorOptions): Promise<CertificateValidator> {
  const trustStore = await resolveTrustStore(options.trust);
  const isOnline = options.isOnlineAllowed ?? false;
  const online = isOnline ? (options.checker ?? createRevocationChecker({ rewriteUrl: options.rewriteUrl, timeoutMs: options.timeoutMs })) : null;
  return pkiTrust.createPkiTrustValidator({ trustStore, revocationPolicy: options.revocationPolicy ?? 'hard-fail', online });
}
