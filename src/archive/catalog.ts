// The catalog: sheets, revisions, signatures, verification reports, the audit log and ingest
// intents. One interface, two implementations (SQLite embedded, PostgreSQL at scale) that run
// the same test suite and return the same results.

import type { AuditHead } from './audit.js';
import type { SignatureInput } from './rows.js';
import type { SearchPlan } from './search.js';
import type { AuditEntry, AuditEvent, SheetDetail, SheetMetadata, SheetRecord } from './types.js';

/** One archived file to record: a new sheet, or the next revision of an existing one. */
export interface CommitSheetInput {
  /** The sheet and revision this file extends; null for a new sheet. */
  extends: { sheetId: number; revision: number } | null;
  metadata: SheetMetadata;
  /** The public code of a new sheet (ignored for a later revision, which keeps its sheet's); generated when absent. */
  publicCode?: string;
  sha256: string;
  size: number;
  signatures: SignatureInput[];
  /** Epoch milliseconds. */
  archivedAt: number;
  /** Audit events written in the same transaction; a missing `sheetId` becomes this sheet's. */
  events: AuditEvent[];
  /** The ingest intent this commit completes, removed in the same transaction. */
  intent?: { sha256: string; owner: string };
  /**
   * A verification report of this very file, stored with it (status `verified` or `invalid`, and a
   * `verified` audit entry after the others) in the same transaction.
   */
  verification?: CommitVerification;
}

export interface CommitVerification {
  isValid: boolean;
  report: unknown;
  actor: string;
}

/** The audit entry of a verification stored with its revision. */
export function verifiedEventOf(verification: CommitVerification, sheetId: number, revision: number, sha256: string): AuditEvent {
  return { kind: 'verified', sheetId, sha256, actor: verification.actor, details: { revision, isValid: verification.isValid } };
}

export interface CommitSheetResult {
  sheetId: number;
  revision: number;
}

/** The current state of a sheet, as ingest needs it. */
export interface ExistingSheet {
  id: number;
  revision: number;
  sha256: string;
  size: number;
  signatureCount: number;
  metadata: SheetMetadata;
  publicCode: string;
}

/** A revision's blob, for consistency checks. */
export interface RevisionBlob {
  sha256: string;
  size: number;
  sheetId: number;
  revision: number;
}

/** An ingest in flight: its blob may be visible before its catalog rows are committed. */
export interface IngestIntent {
  sha256: string;
  /** `<host>~<pid>~<random>` of the writer. */
  owner: string;
  createdAt: number;
}

export interface CatalogCounts {
  sheets: number;
  revisions: number;
  signatures: number;
  auditEntries: number;
}

export interface Catalog {
  readonly backend: 'sqlite' | 'postgres';
  findRevision(sha256: string): Promise<RevisionBlob | null>;
  findSheetByKey(sheetKey: string): Promise<ExistingSheet | null>;
  /**
   * Records files in one transaction, with their audit events, removing their intents.
   *
   * @throws MapsignError `ARCHIVE_DUPLICATE` when a file hash is already recorded,
   *   `ARCHIVE_REVISION_CONFLICT` when a sheet moved on (or appeared) meanwhile.
   */
  commitSheets(inputs: readonly CommitSheetInput[]): Promise<CommitSheetResult[]>;
  getSheet(id: number): Promise<SheetDetail | null>;
  /** The id of the sheet with this public code (lower case), or null. */
  findSheetIdByPublicCode(code: string): Promise<number | null>;
  /** Up to `plan.limit + 1` rows in the plan's order, after `plan.after`. */
  search(plan: SearchPlan): Promise<SheetRecord[]>;
  /** Replaces a sheet's metadata and writes the audit event in the same transaction. */
  updateMetadata(id: number, metadata: SheetMetadata, event: AuditEvent, at: number): Promise<void>;
  /** Stores a verification report, sets the status, and writes the audit event in the same transaction. */
  recordVerification(id: number, revision: number, isValid: boolean, report: unknown, event: AuditEvent, at: number): Promise<void>;
  appendAudit(events: readonly AuditEvent[], at: number): Promise<AuditEntry[]>;
  /** Entries with `seq > afterSeq` in order, at most `limit`. */
  /** Entries after `afterSeq` in chain order, at most `limit`; with `sheetId`, only that sheet's (by its index). */
  readAudit(afterSeq: number, limit: number, sheetId?: number): Promise<AuditEntry[]>;
  auditHead(): Promise<AuditHead>;
  addIntent(intent: IngestIntent): Promise<void>;
  removeIntent(sha256: string, owner: string): Promise<void>;
  listIntents(): Promise<IngestIntent[]>;
  /** Revisions ordered by hash, after `afterSha256`, at most `limit`. */
  listRevisionBlobs(afterSha256: string, limit: number): Promise<RevisionBlob[]>;
  /** Disagreements inside the catalog itself (a sheet without its current revision, …). */
  checkIntegrity(): Promise<string[]>;
  counts(): Promise<CatalogCounts>;
  /** Refreshes planner statistics and merges index segments; run after bulk loads and from time to time. */
  optimize(): Promise<void>;
  close(): Promise<void>;
}

/** Rows of a result page beyond what the page shows, to know whether there is a next page. */
export function pageSize(plan: SearchPlan): number {
  return plan.limit + 1;
}
