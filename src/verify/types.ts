// The validation report (docs/verify-report.md, docs/verify-report.schema.json): indications and
// sub-indications after ETSI EN 319 102-1 §5.1.3, plus what a PDF adds (revisions, changes after
// signing). Everything here is JSON-serialisable; the schema version changes when a change breaks readers.

import type { ErrorCode } from '../errors.js';

/** Bumped when the report's shape changes in a way that breaks readers (fields are only added within a version); readers check it first. */
export const VERIFY_REPORT_SCHEMA_VERSION = 1;

/** ETSI EN 319 102-1 §5.1.3 main indications (TOTAL-PASSED and TOTAL-FAILED shortened). */
export type Indication = 'PASSED' | 'INDETERMINATE' | 'FAILED';

/**
 * ETSI EN 319 102-1 Table 5 and 6 sub-indications we produce, plus three of mapsign:
 * `DISALLOWED_CHANGES` (a later revision changed what was signed in a way the signer did not
 * allow), `NO_SIGNATURE_FOUND` (document level) and `FORMAT_FAILURE` under INDETERMINATE for a
 * format we do not support.
 */
export type SubIndication =
  | 'FORMAT_FAILURE'
  | 'HASH_FAILURE'
  | 'SIG_CRYPTO_FAILURE'
  | 'REVOKED'
  | 'EXPIRED'
  | 'NOT_YET_VALID'
  | 'SIG_CONSTRAINTS_FAILURE'
  | 'CHAIN_CONSTRAINTS_FAILURE'
  | 'CERTIFICATE_CHAIN_GENERAL_FAILURE'
  | 'CRYPTO_CONSTRAINTS_FAILURE'
  | 'CRYPTO_CONSTRAINTS_FAILURE_NO_POE'
  | 'NO_SIGNING_CERTIFICATE_FOUND'
  | 'NO_CERTIFICATE_CHAIN_FOUND'
  | 'REVOKED_NO_POE'
  | 'OUT_OF_BOUNDS_NO_POE'
  | 'OUT_OF_BOUNDS_NOT_REVOKED'
  | 'TRY_LATER'
  | 'DISALLOWED_CHANGES'
  | 'NO_SIGNATURE_FOUND';

/** A problem found, with its stable code from src/errors.ts. */
export interface ReportError {
  code: ErrorCode;
  message: string;
}

export type SignatureFormat = 'PAdES' | 'PKCS7' | 'PKCS7_SHA1' | 'DOC_TIMESTAMP' | 'UNKNOWN';

export type PadesLevel = 'B-B' | 'B-T' | 'B-LT' | 'B-LTA';

export interface CertificateSummary {
  subject: string;
  commonName: string | null;
  organization: string | null;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
}

export interface SigningTime {
  /** ISO 8601 in Vietnam time (+07:00); null when the signature carries no time at all. */
  time: string | null;
  /** 'timestamp': proven by a valid signature time-stamp; 'M': the /M entry; 'signing-time': the CMS attribute; both claimed. */
  source: 'timestamp' | 'M' | 'signing-time' | null;
  isProven: boolean;
  /** The /M entry as written, ISO 8601, when present. */
  claimed: string | null;
}

export interface IntegrityReport {
  /** /ByteRange is [0 a b c], its gap is exactly this dictionary's /Contents, and it ends at its revision's end. */
  isByteRangeValid: boolean;
  digestAlgorithm: string | null;
  /** The digest over the byte ranges equals message-digest (or, for time-stamps, the messageImprint). */
  isDigestValid: boolean | null;
  /** The signature over the signed attributes verifies with the signer's public key. */
  isSignatureValid: boolean | null;
  /** signing-certificate-v2 (or v1) names the certificate that made the signature. */
  isSignerCertificateBound: boolean | null;
}

export interface TimestampReport {
  /** 'signature': the signature-time-stamp attribute; 'document': a later document time-stamp. */
  kind: 'signature' | 'document';
  isValid: boolean;
  time: string | null;
  tsa: CertificateSummary | null;
  hashAlgorithm: string | null;
  trust: TrustReport | null;
  message: string;
}

export type TrustStatus = 'trusted' | 'not-trusted' | 'not-checked';

/** Where a revocation status came from (docs/verify-report.md, "Revocation"). */
export type RevocationSource = 'dss-ocsp' | 'dss-crl' | 'cms' | 'online-ocsp' | 'online-crl';

/** The revocation status of one certificate of the chain, and the evidence it rests on. */
export interface RevocationCheckReport {
  subject: string;
  serialNumber: string;
  status: 'good' | 'revoked' | 'unknown';
  source: RevocationSource | null;
  kind: 'ocsp' | 'crl' | null;
  /** When the evidence was issued, until when it was current, and (OCSP) when it was signed; +07:00. */
  thisUpdate: string | null;
  nextUpdate: string | null;
  producedAt: string | null;
  revocationTime: string | null;
  revocationReason: string | null;
  message: string;
}

export interface TrustReport {
  status: TrustStatus;
  indication: Indication;
  subIndication: SubIndication | null;
  /** Subjects from the signer to the trust anchor, when a chain was found. */
  chain: string[];
  /** Summary over the chain: 'revoked' if any is, else 'unknown' if any is, else 'good'. */
  revocation: 'good' | 'revoked' | 'unknown' | 'not-checked';
  /** Who decided: 'none', 'mapsign-basic-chain', 'mapsign-pki', or the name a plugged-in validator gives. */
  validator: string;
  message: string;
  /** The time the chain was validated at (+07:00), when the validator says. */
  validationTime: string | null;
  /** One per certificate of the chain but the anchor; empty when revocation was not checked. */
  revocationChecks: RevocationCheckReport[];
}

export type ChangeKind = 'added' | 'modified' | 'deleted';

/**
 * What a change is, as a stable code. Allowed ones: signature-added, signature-field-added,
 * signature-field-signed, signature-appearance, acroform-updated, annotations-signature-widget,
 * dss-updated, document-timestamp-added, form-field-filled, annotation-added (comment, /P 3),
 * info-updated, metadata-updated, structure. Everything else is disallowed.
 */
export type ChangeCode =
  | 'signature-added'
  | 'signature-field-added'
  | 'signature-field-signed'
  | 'signature-appearance'
  | 'acroform-updated'
  | 'page-annotations-signature-widget'
  | 'dss-updated'
  | 'form-field-filled'
  | 'annotation-added'
  | 'info-updated'
  | 'metadata-updated'
  | 'structure'
  | 'catalog-changed'
  | 'acroform-changed'
  | 'field-added'
  | 'field-changed'
  | 'field-locked'
  | 'field-read-only'
  | 'signed-field-changed'
  | 'signature-changed'
  | 'page-content-changed'
  | 'page-resources-changed'
  | 'page-changed'
  | 'pages-changed'
  | 'annotation-added-disallowed'
  | 'annotation-removed'
  | 'annotation-changed'
  | 'sneaky-signature'
  | 'widget-too-large'
  | 'appearance-reuses-signed-content'
  | 'object-changed'
  | 'object-added'
  | 'object-deleted'
  | 'modification-not-permitted';

export interface ObjectChange {
  /** Index of the revision that made the change (1 is the oldest). */
  revision: number;
  objectNumber: number;
  generation: number;
  kind: ChangeKind;
  /** What the object is: 'Catalog', 'Page', 'Annot/FreeText', 'XObject/Form', 'stream', 'dictionary', … */
  objectType: string;
  /** 1-based page the object belongs to, when known. */
  page: number | null;
  isAllowed: boolean;
  code: ChangeCode;
  /** English, with the values involved. */
  message: string;
  /**
   * For a disallowed change: 'policy' (never allowed after signing), 'docmdp' (the certification
   * signature's /P forbids it) or 'lock' (a FieldMDP /Lock of signature `lockedBy` forbids it).
   */
  violates: 'policy' | 'docmdp' | 'lock' | null;
  lockedBy: number | null;
}

export interface SignatureReport {
  /** 1-based, in revision order. */
  index: number;
  fieldName: string | null;
  kind: 'signature' | 'document-timestamp';
  /** The /SubFilter as written. */
  subFilter: string | null;
  format: SignatureFormat;
  /** 1-based index of the revision the signature covers. */
  revision: number | null;
  byteRange: number[] | null;
  /** Whether the signature covers the file up to its last revision (nothing after it). */
  coversWholeDocument: boolean;
  indication: Indication;
  subIndication: SubIndication | null;
  errors: ReportError[];
  warnings: string[];
  signer: CertificateSummary | null;
  signingTime: SigningTime;
  reason: string | null;
  location: string | null;
  contactInfo: string | null;
  integrity: IntegrityReport;
  timestamp: TimestampReport | null;
  trust: TrustReport;
  level: PadesLevel | null;
  /** DocMDP /P of a certification signature (1, 2 or 3), null for an approval signature. */
  certificationPermission: 1 | 2 | 3 | null;
  /** Changes in later revisions; disallowed ones make the signature FAILED/DISALLOWED_CHANGES. */
  changesAfter: { allowed: number; disallowed: number };
}

export interface RevisionReport {
  index: number;
  /** Offset just past its %%EOF (and end-of-line). */
  end: number;
  xrefOffset: number | null;
  /** True when the document's /Prev chain does not reach it (an incremental saving attack). */
  isHidden: boolean;
}

export interface DocumentFinding {
  code: ErrorCode;
  message: string;
  offset: number | null;
  /** Whether it undermines a signature: it lies in or after a signed revision. Findings inside what every signature covers are reported but harmless. */
  affectsSignatures: boolean;
}

export interface VerifyReport {
  schemaVersion: typeof VERIFY_REPORT_SCHEMA_VERSION;
  file: { name: string; size: number; sha256: string | null };
  /** When the validation ran, ISO 8601. */
  validationTime: string;
  verdict: { indication: Indication; subIndication: SubIndication | null; code: ErrorCode | null; message: string };
  policy: { trustValidator: string; isSha1Accepted: boolean; maxVisibleWidgetRatio: number };
  revisions: RevisionReport[];
  signatures: SignatureReport[];
  changes: ObjectChange[];
  findings: DocumentFinding[];
}
