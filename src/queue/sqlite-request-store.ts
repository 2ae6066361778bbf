// The request store on SQLite (service.sqlite). Sheets are rows keyed by (request, index); the
// step columns change only by compare-and-set inside IMMEDIATE transactions.

import type Database from 'better-sqlite3';
import { newPublicCode, type SheetMetadata } from '../archive/index.js';
import type { NewSignRequest, RequestStore, StaffClaim, TaskRecord } from './request-store.js';
import { committed, immediate, relaxed, type ServiceDatabase } from './service-db.js';
import type { DeliveryRecord, SheetRecordState, SheetState, SignatureSpec, SignRequestRecord, StepRecord } from './types.js';
import type { WireError } from './wire-error.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sign_requests (
  id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  body_hash TEXT NOT NULL,
  callback_url TEXT,
  signatures TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  enqueued_at INTEGER,
  notified_at INTEGER,
  UNIQUE (owner, idempotency_key)
);
CREATE TABLE IF NOT EXISTS request_sheets (
  request_id TEXT NOT NULL REFERENCES sign_requests(id),
  idx INTEGER NOT NULL,
  part TEXT,
  source_sheet_id INTEGER,
  metadata TEXT NOT NULL,
  public_code TEXT,
  source_sha256 TEXT NOT NULL,
  source_size INTEGER NOT NULL,
  step INTEGER NOT NULL DEFAULT 0,
  archived_step INTEGER NOT NULL DEFAULT 0,
  current_sha256 TEXT NOT NULL,
  current_size INTEGER NOT NULL,
  state TEXT NOT NULL,
  progress REAL NOT NULL DEFAULT 0,
  error TEXT,
  history TEXT NOT NULL DEFAULT '[]',
  archive_sheet_id INTEGER,
  next_role TEXT,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (request_id, idx)
);
CREATE INDEX IF NOT EXISTS request_sheets_open ON request_sheets (state, next_role);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
  request_id TEXT NOT NULL REFERENCES sign_requests(id),
  attempt INTEGER NOT NULL,
  at INTEGER NOT NULL,
  status INTEGER,
  delivered INTEGER NOT NULL,
  error TEXT,
  PRIMARY KEY (request_id, attempt)
);
CREATE TABLE IF NOT EXISTS staff_claims (
  request_id TEXT NOT NULL REFERENCES sign_requests(id),
  idx INTEGER NOT NULL,
  step INTEGER NOT NULL,
  account TEXT NOT NULL,
  claimed_at INTEGER NOT NULL,
  PRIMARY KEY (request_id, idx)
);
CREATE TABLE IF NOT EXISTS sheet_access (
  owner TEXT NOT NULL,
  sheet_id INTEGER NOT NULL,
  PRIMARY KEY (owner, sheet_id)
);
`;

interface RequestRow {
  id: string;
  owner: string;
  idempotency_key: string;
  body_hash: string;
  callback_url: string | null;
  signatures: string;
  created_at: number;
  updated_at: number;
  enqueued_at: number | null;
  notified_at: number | null;
}

interface SheetRow {
  request_id: string;
  idx: number;
  part: string | null;
  source_sheet_id: number | null;
  metadata: string;
  public_code: string | null;
  source_sha256: string;
  source_size: number;
  step: number;
  archived_step: number;
  current_sha256: string;
  current_size: number;
  state: SheetState;
  progress: number;
  error: string | null;
  history: string;
  archive_sheet_id: number | null;
  next_role: string | null;
  updated_at: number;
}

interface DeliveryRow {
  attempt: number;
  at: number;
  status: number | null;
  delivered: number;
  error: string | null;
}

const OPEN_STATES = "('queued','signing','archiving','waiting-signature')";

function toSheet(row: SheetRow): SheetRecordState {
  return {
    index: row.idx,
    part: row.part,
    sourceSheetId: row.source_sheet_id,
    metadata: JSON.parse(row.metadata) as SheetMetadata,
    publicCode: row.public_code ?? '',
    sourceSha256: row.source_sha256,
    sourceSize: row.source_size,
    step: row.step,
    archivedStep: row.archived_step,
    currentSha256: row.current_sha256,
    currentSize: row.current_size,
    state: row.state,
    progress: row.progress,
    error: row.error === null ? null : (JSON.parse(row.error) as WireError),
    history: JSON.parse(row.history) as StepRecord[],
    archiveSheetId: row.archive_sheet_id,
    updatedAt: row.updated_at,
  };
}

export class SqliteRequestStore implements RequestStore {
  /** Prepared once per SQL text: every step of every sheet runs the same few statements. */
  private readonly statements = new Map<string, Database.Statement>();

  private statement(sql: string): Database.Statement {
    let prepared = this.statements.get(sql);
    if (!prepared) this.statements.set(sql, (prepared = this.db.prepare(sql)));
    return prepared;
  }

  constructor(private readonly db: ServiceDatabase) {
    db.exec(SCHEMA);
    // service.sqlite files made before public codes: the column arrives empty (those sheets get
    // their code from the archive, and their stamps no QR code).
    // Under the write lock: the API and worker processes open the database at the same time.
    immediate(db, () => {
      const columns = (db.prepare('PRAGMA table_info(request_sheets)').all() as Array<{ name: string }>).map((c) => c.name);
      if (!columns.includes('public_code')) db.exec('ALTER TABLE request_sheets ADD COLUMN public_code TEXT');
    });
  }

  private load(row: RequestRow | undefined): SignRequestRecord | null {
    if (!row) return null;
    const sheets = this.statement('SELECT * FROM request_sheets WHERE request_id = ? ORDER BY idx').all(row.id) as SheetRow[];
    const deliveries = this.statement('SELECT attempt, at, status, delivered, error FROM webhook_deliveries WHERE request_id = ? ORDER BY attempt').all(row.id) as DeliveryRow[];
    return {
      id: row.id,
      owner: row.owner,
      idempotencyKey: row.idempotency_key,
      bodyHash: row.body_hash,
      callbackUrl: row.callback_url,
      signatures: JSON.parse(row.signatures) as SignatureSpec[],
      sheets: sheets.map(toSheet),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      enqueuedAt: row.enqueued_at,
      notifiedAt: row.notified_at,
      deliveries: deliveries.map((d) => ({ attempt: d.attempt, at: d.at, status: d.status, isDelivered: d.delivered === 1, error: d.error })),
    };
  }

  async create(request: NewSignRequest): Promise<{ request: SignRequestRecord; isNew: boolean }> {
    const isNew = await committed(this.db, () => immediate(this.db, () => {
      const existing = this.statement('SELECT id FROM sign_requests WHERE owner = ? AND idempotency_key = ?').get(request.owner, request.idempotencyKey);
      if (existing) return false;
      this.db
        .prepare('INSERT INTO sign_requests (id, owner, idempotency_key, body_hash, callback_url, signatures, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(request.id, request.owner, request.idempotencyKey, request.bodyHash, request.callbackUrl, JSON.stringify(request.signatures), request.createdAt, request.createdAt);
      const insert = this.statement(
        `INSERT INTO request_sheets (request_id, idx, part, source_sheet_id, metadata, public_code, source_sha256, source_size, current_sha256, current_size, state, next_role, archive_sheet_id, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const first = request.signatures[0];
      const state: SheetState = first && first.signer === null ? 'waiting-signature' : 'queued';
      request.sheets.forEach((sheet, index) => {
        insert.run(request.id, index, sheet.part, sheet.sourceSheetId, JSON.stringify(sheet.metadata), sheet.publicCode ?? newPublicCode(), sheet.sha256, sheet.size, sheet.sha256, sheet.size, state, state === 'waiting-signature' ? first!.role : null, sheet.sourceSheetId, request.createdAt);
      });
      return true;
    }));
    const row = this.statement('SELECT * FROM sign_requests WHERE owner = ? AND idempotency_key = ?').get(request.owner, request.idempotencyKey) as RequestRow;
    return { request: this.load(row)!, isNew };
  }

  async get(id: string): Promise<SignRequestRecord | null> {
    return this.load(this.statement('SELECT * FROM sign_requests WHERE id = ?').get(id) as RequestRow | undefined);
  }

  async openFileHashes(): Promise<Set<string>> {
    const rows = this.statement(`SELECT source_sha256, current_sha256, history FROM request_sheets WHERE state IN ${OPEN_STATES}`).all() as Array<Pick<SheetRow, 'source_sha256' | 'current_sha256' | 'history'>>;
    const hashes = new Set<string>();
    for (const row of rows) {
      hashes.add(row.source_sha256);
      hashes.add(row.current_sha256);
      for (const step of JSON.parse(row.history) as StepRecord[]) hashes.add(step.sha256);
    }
    return hashes;
  }

  async listOpen(limit = 1000): Promise<SignRequestRecord[]> {
    const rows = this.db
      .prepare(`SELECT * FROM sign_requests WHERE id IN (SELECT request_id FROM request_sheets WHERE state IN ${OPEN_STATES}) OR enqueued_at IS NULL OR (notified_at IS NULL AND callback_url IS NOT NULL) ORDER BY created_at LIMIT ?`)
      .all(limit) as RequestRow[];
    return rows.map((row) => this.load(row)!);
  }

  // Lost with the power, a mark is made again: the request is enqueued again on start (job ids
  // are fixed, so nothing runs twice).
  async markEnqueued(id: string, at: number): Promise<void> {
    relaxed(this.db, () => this.statement('UPDATE sign_requests SET enqueued_at = COALESCE(enqueued_at, ?) WHERE id = ?').run(at, id));
  }

  private touch(id: string, at: number): void {
    this.statement('UPDATE sign_requests SET updated_at = ? WHERE id = ?').run(at, id);
  }

  async setSheetState(id: string, sheet: number, state: SheetState, progress = 0): Promise<void> {
    const now = Date.now();
    // What a running step shows; the step's outcome is recorded durably.
    relaxed(this.db, () =>
      immediate(this.db, () => {
        this.statement(`UPDATE request_sheets SET state = ?, progress = ?, updated_at = ? WHERE request_id = ? AND idx = ? AND state IN ${OPEN_STATES}`).run(state, progress, now, id, sheet);
        this.touch(id, now);
      }),
    );
  }

  async setProgress(id: string, sheet: number, progress: number): Promise<void> {
    relaxed(this.db, () => this.statement('UPDATE request_sheets SET progress = ? WHERE request_id = ? AND idx = ?').run(Math.max(0, Math.min(1, progress)), id, sheet));
  }

  async recordSigned(id: string, sheet: number, record: StepRecord): Promise<boolean> {
    const now = Date.now();
    return committed(this.db, () => immediate(this.db, () => {
      const row = this.statement('SELECT step, history FROM request_sheets WHERE request_id = ? AND idx = ?').get(id, sheet) as Pick<SheetRow, 'step' | 'history'> | undefined;
      if (!row || row.step !== record.step) return false;
      const history = JSON.parse(row.history) as StepRecord[];
      history.push(record);
      this.db
        .prepare("UPDATE request_sheets SET step = step + 1, current_sha256 = ?, current_size = ?, history = ?, state = 'archiving', progress = 0, updated_at = ? WHERE request_id = ? AND idx = ? AND step = ?")
        .run(record.sha256, record.size, JSON.stringify(history), now, id, sheet, record.step);
      this.touch(id, now);
      return true;
    }));
  }

  async recordArchived(id: string, sheet: number, step: number, archive: { sheetId: number; revision: number }, next: { state: SheetState; role: string | null }): Promise<boolean> {
    const now = Date.now();
    return committed(this.db, () => immediate(this.db, () => {
      const row = this.statement('SELECT archived_step, step, history FROM request_sheets WHERE request_id = ? AND idx = ?').get(id, sheet) as Pick<SheetRow, 'archived_step' | 'step' | 'history'> | undefined;
      if (!row || row.archived_step !== step || row.step !== step + 1) return false;
      const history = JSON.parse(row.history) as StepRecord[];
      const entry = history[step];
      if (entry) {
        entry.archiveSheetId = archive.sheetId;
        entry.archiveRevision = archive.revision;
      }
      this.db
        .prepare('UPDATE request_sheets SET archived_step = ?, archive_sheet_id = ?, history = ?, state = ?, next_role = ?, progress = 0, updated_at = ? WHERE request_id = ? AND idx = ?')
        .run(step + 1, archive.sheetId, JSON.stringify(history), next.state, next.role, now, id, sheet);
      this.touch(id, now);
      return true;
    }));
  }

  async recordFailed(id: string, sheet: number, error: WireError): Promise<void> {
    const now = Date.now();
    await committed(this.db, () => immediate(this.db, () => {
      this.statement(`UPDATE request_sheets SET state = 'failed', error = ?, next_role = NULL, updated_at = ? WHERE request_id = ? AND idx = ? AND state IN ${OPEN_STATES}`).run(JSON.stringify(error), now, id, sheet);
      this.touch(id, now);
    }));
  }

  async claimTask(id: string, sheet: number, step: number, roles: readonly string[], account: string): Promise<boolean> {
    if (roles.length === 0) return false;
    const now = Date.now();
    return committed(this.db, () => immediate(this.db, () => {
      const result = this.db
        .prepare(`UPDATE request_sheets SET state = 'queued', updated_at = ? WHERE request_id = ? AND idx = ? AND step = ? AND state = 'waiting-signature' AND next_role IN (${roles.map(() => '?').join(',')})`)
        .run(now, id, sheet, step, ...roles);
      if (result.changes !== 1) return false;
      // The intent, in the same transaction: a restart enqueues it again if the jobs were never added.
      this.db
        .prepare('INSERT INTO staff_claims (request_id, idx, step, account, claimed_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (request_id, idx) DO UPDATE SET step = excluded.step, account = excluded.account, claimed_at = excluded.claimed_at')
        .run(id, sheet, step, account, now);
      this.touch(id, now);
      return true;
    }));
  }

  async listStaffClaims(id: string): Promise<StaffClaim[]> {
    const rows = this.db
      .prepare(
        `SELECT c.idx AS sheet, c.step AS step, c.account AS account, c.claimed_at AS claimedAt FROM staff_claims c
         JOIN request_sheets s ON s.request_id = c.request_id AND s.idx = c.idx
         WHERE c.request_id = ? AND s.state = 'queued' AND s.step = c.step ORDER BY c.idx`,
      )
      .all(id) as StaffClaim[];
    return rows;
  }

  async listTasks(roles: readonly string[], limit: number): Promise<TaskRecord[]> {
    if (roles.length === 0) return [];
    const rows = this.db
      .prepare(
        `SELECT s.*, r.owner AS owner, r.created_at AS request_created_at, r.signatures AS signatures FROM request_sheets s JOIN sign_requests r ON r.id = s.request_id
         WHERE s.state = 'waiting-signature' AND s.next_role IN (${roles.map(() => '?').join(',')}) ORDER BY r.created_at, s.request_id, s.idx LIMIT ?`,
      )
      .all(...roles, limit) as Array<SheetRow & { owner: string; request_created_at: number; signatures: string }>;
    return rows.map((row) => ({
      requestId: row.request_id,
      owner: row.owner,
      sheet: toSheet(row),
      role: row.next_role!,
      step: row.step,
      stamp: (JSON.parse(row.signatures) as SignatureSpec[])[row.step]?.stamp ?? null,
      createdAt: row.request_created_at,
    }));
  }

  // The log of attempts, and the mark after the last: lost with the power, the message is sent
  // again (webhooks are at least once; receivers deduplicate by webhook-id).
  async recordDelivery(id: string, delivery: Omit<DeliveryRecord, 'attempt'>): Promise<DeliveryRecord> {
    return relaxed(this.db, () => immediate(this.db, () => {
      const { n } = this.statement('SELECT COUNT(*) AS n FROM webhook_deliveries WHERE request_id = ?').get(id) as { n: number };
      const attempt = n + 1;
      this.statement('INSERT INTO webhook_deliveries (request_id, attempt, at, status, delivered, error) VALUES (?, ?, ?, ?, ?, ?)').run(id, attempt, delivery.at, delivery.status, delivery.isDelivered ? 1 : 0, delivery.error);
      return { attempt, ...delivery };
    }));
  }

  async markNotified(id: string, at: number): Promise<void> {
    relaxed(this.db, () => this.statement('UPDATE sign_requests SET notified_at = COALESCE(notified_at, ?) WHERE id = ?').run(at, id));
  }

  // Made durable by the archive step's record, which follows it.
  async grantSheetAccess(owner: string, sheetId: number): Promise<void> {
    relaxed(this.db, () => this.statement('INSERT OR IGNORE INTO sheet_access (owner, sheet_id) VALUES (?, ?)').run(owner, sheetId));
  }

  async hasSheetAccess(owner: string, sheetId: number): Promise<boolean> {
    return this.statement('SELECT 1 FROM sheet_access WHERE owner = ? AND sheet_id = ?').get(owner, sheetId) !== undefined;
  }

  async close(): Promise<void> {
    // The database handle belongs to whoever opened it.
  }
}
