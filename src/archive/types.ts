// The shapes the archive stores and returns (DOMAIN.md "An archived signed sheet"). Shared by
// the blob store, both catalogs, search and the service; JSON-serialisable throughout.

/** The four document kinds of a cadastral dossier, as slugs. */
export const DOCUMENT_KINDS = ['ban-do-dia-chinh', 'trich-luc', 'trich-do-dia-chinh', 'ban-do-hien-trang'] as const;

export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

/** Vietnamese names of the document kinds, for display and free-text search. */
export const DOCUMENT_KIND_LABELS: Readonly<Record<DocumentKind, string>> = {
  'ban-do-dia-chinh': 'Bản đồ địa chính',
  'trich-luc': 'Trích lục',
  'trich-do-dia-chinh': 'Trích đo địa chính',
  'ban-do-hien-trang': 'Bản đồ hiện trạng',
};

export const PAPER_SIZES = ['A0', 'A1', 'A2', 'A3', 'A4'] as const;

export type PaperSize = (typeof PAPER_SIZES)[number];

/** The metadata contract a caller gives with a signed sheet; text is kept exactly as given. */
export interface SheetMetadata {
  dossierCode: string;
  procedureCode: string;
  procedureSuffix: string;
  decisionRef: string | null;
  documentKind: DocumentKind;
  province: string;
  commune: string;
  legacyDistrict: string | null;
  sheetNumber: string;
  gridSheetNumber: string | null;
  parcelNumbers: string[];
  parcelIds: string[];
  scale: number;
  paperSize: PaperSize;
  surveyUnit: string;
}

export const PADES_LEVELS = ['B-B', 'B-T', 'B-LT', 'B-LTA'] as const;

export type PadesLevel = (typeof PADES_LEVELS)[number];

/** What the file says about one signature; read by the caller's {@link ReadSignatureFacts}. */
export interface SignatureFacts {
  fieldName: string;
  /** Common name (CN) of the signer certificate. */
  signerName: string | null;
  /** Organisation (O) of the signer certificate. */
  organisation: string | null;
  /** Lower-case hex. */
  certificateSerial: string;
  /** Issuer distinguished name of the signer certificate. */
  certificateIssuer: string;
  /** ISO 8601 time from the signature dictionary's /M, or null. */
  signingTime: string | null;
  /** ISO 8601 genTime of the signature timestamp, or null. */
  timestampTime: string | null;
  padesLevel: PadesLevel;
  /** /Reason of the signature dictionary, if any. */
  reason: string | null;
}

/**
 * Reads the signatures of a complete local file, oldest first. The archive imports nothing of
 * ours but types, so the caller passes this in (the CLI builds it from pdf/, cms/ and pki/).
 * It throws a MapsignError for files that are not PDFs and returns [] for unsigned ones.
 */
export type ReadSignatureFacts = (path: string) => Promise<SignatureFacts[]>;

export const SHEET_STATUSES = ['archived', 'verified', 'invalid'] as const;

/** `archived` on arrival; `verified` or `invalid` once a verification report is stored. */
export type SheetStatus = (typeof SHEET_STATUSES)[number];

/** One signature of a stored revision. */
export interface SignatureRecord {
  position: number;
  fieldName: string;
  /** From the procedure's role template by position; null beyond it. */
  role: string | null;
  signerName: string | null;
  organisation: string | null;
  certificateSerial: string;
  certificateIssuer: string;
  signingTime: string | null;
  timestampTime: string | null;
  padesLevel: PadesLevel;
}

/** One signing step of a sheet: the file after it and its signatures. */
export interface RevisionRecord {
  revision: number;
  sha256: string;
  size: number;
  archivedAt: string;
  signatures: SignatureRecord[];
}

/** An archived sheet as search and `get` return it. */
export interface SheetRecord {
  id: number;
  /** Random code of the sheet's public page `/v/<code>` (the QR code's target); never changes. */
  publicCode: string;
  metadata: SheetMetadata;
  status: SheetStatus;
  /** Latest revision number, from 1. */
  revision: number;
  sha256: string;
  size: number;
  /** Signing time of the latest signature, ISO 8601, or null when no signature carries one. */
  signedAt: string | null;
  archivedAt: string;
  updatedAt: string;
  /** Signers of the latest revision, oldest first. */
  signatures: SignatureRecord[];
}

/** A sheet with every revision, for `archive show` and the API. */
export interface SheetDetail extends SheetRecord {
  revisions: RevisionRecord[];
  /** The latest stored verification report, or null. */
  verification: VerificationRecord | null;
}

export interface VerificationRecord {
  revision: number;
  verifiedAt: string;
  isValid: boolean;
  report: unknown;
}

export const AUDIT_KINDS = ['received', 'signed', 'archived', 'verified', 'downloaded', 'metadata-changed'] as const;

export type AuditKind = (typeof AUDIT_KINDS)[number];

/** What a caller appends to the audit log. */
export interface AuditEvent {
  kind: AuditKind;
  sheetId?: number | null;
  sha256?: string | null;
  /** Who did it: a user, a system, or "mapsign-cli". */
  actor: string;
  details?: Record<string, unknown>;
}

/** A stored audit entry: the event, its place in the chain and its hash. */
export interface AuditEntry {
  seq: number;
  at: number;
  kind: string;
  sheetId: number | null;
  sha256: string | null;
  actor: string;
  /** The details exactly as stored (JSON text): the hash covers these bytes. */
  details: string;
  prevHash: string;
  hash: string;
}
