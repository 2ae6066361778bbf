// Public surface of the verify module: validation of every signature of a PDF and its report
// (ETSI EN 319 102-1 indications, PAdES EN 319 142-1, ISO 32000-2 §12.8), as JSON and as text.

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
export type TimestampReport = types.TimestampReport;
export type PadesLevel = types.PadesLevel;
export type ReportLanguage = report.ReportLanguage;

/** The trust hook: validates one certificate (signer or TSA) at a time (EN 319 102-1 §5.2.6). */
export type CertificateValidator = trust.CertificateValidator;
export type CertificateValidationRequest = trust.CertificateValidationRequest;
export type CertificateValidationResult = trust.CertificateValidationResult;
export type CertificatePurpose = trust.CertificatePurpose;

/** Version of the report's shape; bumped on any change of a field. */
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
