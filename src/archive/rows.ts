// What both catalogs store for a sheet beyond its metadata: the normalised exact keys, the
// search tokens and the sort values, derived here once so SQLite and PostgreSQL hold the same.

import { communeKey, tokenText } from './fold.js';
import { normalizeKey, normalizeSerial } from './search.js';
import { DOCUMENT_KIND_LABELS, type PadesLevel, type SheetMetadata, type SheetRecord, type SheetStatus, type SignatureRecord } from './types.js';

/** A signature as the catalog stores it. */
export interface SignatureInput {
  position: number;
  fieldName: string;
  role: string | null;
  signerName: string | null;
  organisation: string | null;
  certificateSerial: string;
  certificateIssuer: string;
  /** Epoch milliseconds or null. */
  signingTime: number | null;
  timestampTime: number | null;
  padesLevel: PadesLevel;
}

/** The derived columns of a sheet row. */
export interface SheetRow {
  sheetKey: string;
  dossierKey: string;
  procedureCode: string;
  documentKind: string;
  communeKey: string;
  sheetNumberKey: string;
  gridKey: string | null;
  metadataJson: string;
  /** Latest signing time in epoch ms; 0 when no signature carries one. */
  signedAt: number;
  /** Tokens of the places, names, codes and kind, space-joined. */
  bodyText: string;
  /** Tokens of the signers' names and organisations, space-joined. */
  signerText: string;
  /** `bodyText` and `signerText` together without repeats: what free-text terms match. */
  allText: string;
  parcelNumberKeys: string[];
  parcelIdKeys: string[];
}

/**
 * The identity of a sheet across its signing steps: dossier, kind, sheet number and parcels.
 * A file whose metadata gives the same key is a later revision of that sheet.
 */
export function sheetKeyOf(metadata: SheetMetadata): string {
  const parcels = [...metadata.parcelNumbers].map(normalizeKey).sort().join(',');
  return [normalizeKey(metadata.dossierCode), metadata.documentKind, normalizeKey(metadata.sheetNumber), parcels].join('|');
}

/** Metadata as stored: the validated object with its fields in contract order. */
export function metadataJsonOf(metadata: SheetMetadata): string {
  return JSON.stringify(metadata);
}

/** The parts of a signature the sheet row is derived from. */
export type SignatureSummary = Pick<SignatureInput, 'signerName' | 'organisation' | 'signingTime'>;

export function deriveSheetRow(metadata: SheetMetadata, signatures: readonly SignatureSummary[]): SheetRow {
  const signedAt = signatures.reduce((latest, s) => Math.max(latest, s.signingTime ?? 0), 0);
  const bodyText = tokenText([
    metadata.dossierCode,
    metadata.procedureCode,
    metadata.procedureSuffix,
    metadata.decisionRef,
    metadata.documentKind,
    DOCUMENT_KIND_LABELS[metadata.documentKind],
    metadata.province,
    metadata.commune,
    metadata.legacyDistrict,
    metadata.gridSheetNumber,
    metadata.surveyUnit,
  ]);
  const signerText = tokenText(signatures.flatMap((s) => [s.signerName, s.organisation]));
  return {
    sheetKey: sheetKeyOf(metadata),
    dossierKey: normalizeKey(metadata.dossierCode),
    procedureCode: metadata.procedureCode,
    documentKind: metadata.documentKind,
    communeKey: communeKey(metadata.commune),
    sheetNumberKey: normalizeKey(metadata.sheetNumber),
    gridKey: metadata.gridSheetNumber === null ? null : normalizeKey(metadata.gridSheetNumber),
    metadataJson: metadataJsonOf(metadata),
    signedAt,
    bodyText,
    signerText,
    allText: [...new Set(`${bodyText} ${signerText}`.split(' ').filter((t) => t !== ''))].join(' '),
    parcelNumberKeys: [...new Set(metadata.parcelNumbers.map(normalizeKey))],
    parcelIdKeys: [...new Set(metadata.parcelIds.map(normalizeKey))],
  };
}

/** Serial as stored for exact search. */
export function serialKeyOf(serial: string): string {
  return normalizeSerial(serial);
}

/** ISO 8601 in Vietnam time with milliseconds, e.g. 2026-07-15T09:32:10.000+07:00. */
export function formatVietnamTime(ms: number): string {
  return `${new Date(ms + 7 * 3_600_000).toISOString().slice(0, 23)}+07:00`;
}

/** A stored signature row back to its record. */
export function toSignatureRecord(row: SignatureInput): SignatureRecord {
  return {
    position: row.position,
    fieldName: row.fieldName,
    role: row.role,
    signerName: row.signerName,
    organisation: row.organisation,
    certificateSerial: row.certificateSerial,
    certificateIssuer: row.certificateIssuer,
    signingTime: row.signingTime === null ? null : formatVietnamTime(row.signingTime),
    timestampTime: row.timestampTime === null ? null : formatVietnamTime(row.timestampTime),
    padesLevel: row.padesLevel,
  };
}

/** The stored columns of a sheet every read returns, with numbers already numbers. */
export interface StoredSheet {
  id: number;
  publicCode: string;
  metadata: string;
  status: string;
  revision: number;
  sha256: string;
  size: number;
  signedAt: number;
  archivedAt: number;
  updatedAt: number;
}

export function toSheetRecord(row: StoredSheet, signatures: SignatureRecord[]): SheetRecord {
  return {
    id: row.id,
    publicCode: row.publicCode,
    metadata: JSON.parse(row.metadata) as SheetMetadata,
    status: row.status as SheetStatus,
    revision: row.revision,
    sha256: row.sha256,
    size: row.size,
    signedAt: row.signedAt === 0 ? null : formatVietnamTime(row.signedAt),
    archivedAt: formatVietnamTime(row.archivedAt),
    updatedAt: formatVietnamTime(row.updatedAt),
    signatures,
  };
}

/** How many of the given rows hold each token, sorted by token (a stable lock order in PostgreSQL). */
export function countTerms(rows: readonly SheetRow[]): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const row of rows) for (const token of row.allText.split(' ')) if (token !== '') counts.set(token, (counts.get(token) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** The smallest string above every string that starts with `prefix` (for range scans). */
export function prefixUpperBound(prefix: string): string {
  return `${prefix}\u{10FFFF}`;
}
