// Row shapes of the PostgreSQL catalog (BIGINT comes back as text) and their mapping to records.

import { toSignatureRecord, type StoredSheet } from '../rows.js';
import type { AuditEntry, PadesLevel, SignatureRecord } from '../types.js';

export type Row = Record<string, unknown>;

export const num = (value: unknown): number => Number(value);
export const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

export function toStored(row: Row): StoredSheet {
  return {
    id: num(row['id']),
    publicCode: String(row['public_code']),
    metadata: String(row['metadata']),
    status: String(row['status']),
    revision: num(row['revision']),
    sha256: String(row['sha256']),
    size: num(row['size']),
    signedAt: num(row['signed_at']),
    archivedAt: num(row['archived_at']),
    updatedAt: num(row['updated_at']),
  };
}

export function toSignature(row: Row): SignatureRecord {
  return toSignatureRecord({
    position: num(row['position']),
    fieldName: String(row['field_name']),
    role: (row['role'] as string | null) ?? null,
    signerName: (row['signer_name'] as string | null) ?? null,
    organisation: (row['organisation'] as string | null) ?? null,
    certificateSerial: String(row['certificate_serial']),
    certificateIssuer: String(row['certificate_issuer']),
    signingTime: numOrNull(row['signing_time']),
    timestampTime: numOrNull(row['timestamp_time']),
    padesLevel: row['pades_level'] as PadesLevel,
  });
}

export function toAuditEntry(row: Row): AuditEntry {
  return {
    seq: num(row['seq']),
    at: num(row['at']),
    kind: String(row['kind']),
    sheetId: numOrNull(row['sheet_id']),
    sha256: (row['sha256'] as string | null) ?? null,
    actor: String(row['actor']),
    details: String(row['details']),
    prevHash: String(row['prev_hash']),
    hash: String(row['hash']),
  };
}
