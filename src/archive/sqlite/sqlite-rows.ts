// Row shapes of the SQLite catalog and their mapping to the archive's records.

import { toSignatureRecord, type SignatureInput, type StoredSheet } from '../rows.js';
import type { AuditEntry, PadesLevel, SignatureRecord } from '../types.js';

export interface SheetRowDb {
  id: number;
  public_code: string;
  metadata: string;
  status: string;
  revision: number;
  sha256: string;
  size: number;
  signed_at: number;
  archived_at: number;
  updated_at: number;
}

export interface SignatureRowDb {
  sheet_id: number;
  position: number;
  field_name: string;
  role: string | null;
  signer_name: string | null;
  organisation: string | null;
  certificate_serial: string;
  certificate_issuer: string;
  signing_time: number | null;
  timestamp_time: number | null;
  pades_level: string;
}

export interface AuditRowDb {
  seq: number;
  at: number;
  kind: string;
  sheet_id: number | null;
  sha256: string | null;
  actor: string;
  details: string;
  prev_hash: string;
  hash: string;
}

export function toStored(row: SheetRowDb): StoredSheet {
  return {
    id: row.id,
    publicCode: row.public_code,
    metadata: row.metadata,
    status: row.status,
    revision: row.revision,
    sha256: row.sha256,
    size: row.size,
    signedAt: row.signed_at,
    archivedAt: row.archived_at,
    updatedAt: row.updated_at,
  };
}

export function toSignature(row: SignatureRowDb): SignatureRecord {
  const input: SignatureInput = {
    position: row.position,
    fieldName: row.field_name,
    role: row.role,
    signerName: row.signer_name,
    organisation: row.organisation,
    certificateSerial: row.certificate_serial,
    certificateIssuer: row.certificate_issuer,
    signingTime: row.signing_time,
    timestampTime: row.timestamp_time,
    padesLevel: row.pades_level as PadesLevel,
  };
  return toSignatureRecord(input);
}

export function toAuditEntry(row: AuditRowDb): AuditEntry {
  return {
    seq: row.seq,
    at: row.at,
    kind: row.kind,
    sheetId: row.sheet_id,
    sha256: row.sha256,
    actor: row.actor,
    details: row.details,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
