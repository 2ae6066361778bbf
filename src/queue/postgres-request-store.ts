// The request store on PostgreSQL (the distributed mode: API and workers on several machines).
// Same tables and rules as sqlite-request-store.ts: a step changes only by compare-and-set, under
// the sheet row's lock (SELECT … FOR UPDATE), so a duplicated job never records a second signature.
// Writers lock a sheet row before its request row, never the other way round: no deadlock.

import type pg from 'pg';
import { newPublicCode, translatePgError, withPostgresTransaction, type SheetMetadata } from '../archive/index.js';
import type { NewSignRequest, RequestStore, StaffClaim, TaskRecord } from './request-store.js';
import type { ServicePostgres } from './service-db.js';
import type { DeliveryRecord, SheetRecordState, SheetState, SignatureSpec, SignRequestRecord, StepRecord } from './types.js';
import type { WireError } from './wire-error.js';

type Row = Record<string, unknown>;
type Queryable = pg.Pool | pg.PoolClient;

const LABEL = 'service database';
const OPEN_STATES = "('queued','signing','archiving','waiting-signature')";

// BIGINT columns come back as text.
const num = (value: unknown): number => Number(value);
const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const textOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

function toSheet(row: Row): SheetRecordState {
  const error = textOrNull(row['error']);
  return {
    index: num(row['idx']),
    part: textOrNull(row['part']),
    sourceSheetId: numOrNull(row['source_sheet_id']),
    metadata: JSON.parse(String(row['metadata'])) as SheetMetadata,
    publicCode: String(row['public_code']),
    sourceSha256: String(row['source_sha256']),
    sourceSize: num(row['source_size']),
    step: num(row['step']),
    archivedStep: num(row['archived_step']),
    currentSha256: String(row['current_sha256']),
    currentSize: num(row['current_size']),
    state: row['state'] as SheetState,
    progress: num(row['progress']),
    error: error === null ? null : (JSON.parse(error) as WireError),
    history: JSON.parse(String(row['history'])) as StepRecord[],
    archiveSheetId: numOrNull(row['archive_sheet_id']),
    updatedAt: num(row['updated_at']),
  };
}

export class PostgresRequestStore implements RequestStore {
  private readonly pool: pg.Pool;

  constructor(database: ServicePostgres) {
    this.pool = database.pool;
  }

  private async query(sql: string, params: unknown[] = [], client: Queryable = this.pool): Promise<{ rows: Row[]; rowCount: number }> {
    try {
      const result = await client.query(sql, params);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    } catch (error) {
      throw translatePgError(error, LABEL);
    }
  }

  private transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return withPostgresTransaction(this.pool, LABEL, work);
  }

  private async load(row: Row | undefined, client: Queryable = this.pool): Promise<SignRequestRecord | null> {
    if (!row) return null;
    const id = String(row['id']);
    const [sheets, deliveries] = await Promise.all([
      this.query('SELECT * FROM request_sheets WHERE request_id = $1 ORDER BY idx', [id], client),
      this.query('SELECT attempt, at, status, delivered, error FROM webhook_deliveries WHERE request_id = $1 ORDER BY attempt', [id], client),
    ]);
    return {
      id,
      owner: String(row['owner']),
      idempotencyKey: String(row['idempotency_key']),
      bodyHash: String(row['body_hash']),
      callbackUrl: textOrNull(row['callback_url']),
      signatures: JSON.parse(String(row['signatures'])) as SignatureSpec[],
      sheets: sheets.rows.map(toSheet),
      createdAt: num(row['created_at']),
      updatedAt: num(row['updated_at']),
      enqueuedAt: numOrNull(row['enqueued_at']),
      notifiedAt: numOrNull(row['notified_at']),
      deliveries: deliveries.rows.map((d) => ({ attempt: num(d['attempt']), at: num(d['at']), status: numOrNull(d['status']), isDelivered: d['delivered'] === true, error: textOrNull(d['error']) })),
    };
  }

  async create(request: NewSignRequest): Promise<{ request: SignRequestRecord; isNew: boolean }> {
    const isNew = await this.transaction(async (client) => {
      // A concurrent create of the same key waits on the unique index until this one commits, then inserts nothing.
      const inserted = await this.query(
        `INSERT INTO sign_requests (id, owner, idempotency_key, body_hash, callback_url, signatures, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (owner, idempotency_key) DO NOTHING RETURNING id`,
        [request.id, request.owner, request.idempotencyKey, request.bodyHash, request.callbackUrl, JSON.stringify(request.signatures), request.createdAt],
        client,
      );
      if (inserted.rowCount === 0) return false;
      const first = request.signatures[0];
      const state: SheetState = first && first.signer === null ? 'waiting-signature' : 'queued';
      const sheets = request.sheets;
      if (sheets.length > 0) {
        await this.query(
          `INSERT INTO request_sheets (request_id, idx, part, source_sheet_id, metadata, public_code, source_sha256, source_size, current_sha256, current_size, state, next_role, archive_sheet_id, updated_at)
           SELECT $1, u.idx, u.part, u.source_sheet_id, u.metadata, u.public_code, u.sha256, u.size, u.sha256, u.size, $2, $3, u.source_sheet_id, $4
           FROM unnest($5::int[], $6::text[], $7::bigint[], $8::text[], $9::text[], $10::text[], $11::bigint[]) AS u (idx, part, source_sheet_id, metadata, public_code, sha256, size)`,
          [
            request.id,
            state,
            state === 'waiting-signature' ? first!.role : null,
            request.createdAt,
            sheets.map((_, index) => index),
            sheets.map((s) => s.part),
            sheets.map((s) => s.sourceSheetId),
            sheets.map((s) => JSON.stringify(s.metadata)),
            sheets.map((s) => s.publicCode ?? newPublicCode()),
            sheets.map((s) => s.sha256),
            sheets.map((s) => s.size),
          ],
          client,
        );
      }
      return true;
    });
    const { rows } = await this.query('SELECT * FROM sign_requests WHERE owner = $1 AND idempotency_key = $2', [request.owner, request.idempotencyKey]);
    return { request: (await this.load(rows[0]))!, isNew };
  }

  async get(id: string): Promise<SignRequestRecord | null> {
    const { rows } = await this.query('SELECT * FROM sign_requests WHERE id = $1', [id]);
    return this.load(rows[0]);
  }

  async openFileHashes(): Promise<Set<string>> {
    const { rows } = await this.query(`SELECT source_sha256, current_sha256, history FROM request_sheets WHERE state IN ${OPEN_STATES}`);
    const hashes = new Set<string>();
    for (const row of rows) {
      hashes.add(String(row['source_sha256']));
      hashes.add(String(row['current_sha256']));
      for (const step of JSON.parse(String(row['history'])) as StepRecord[]) hashes.add(step.sha256);
    }
    return hashes;
  }

  async listOpen(limit = 1000): Promise<SignRequestRecord[]> {
    const { rows } = await this.query(
      `SELECT * FROM sign_requests WHERE id IN (SELECT request_id FROM request_sheets WHERE state IN ${OPEN_STATES}) OR enqueued_at IS NULL OR (notified_at IS NULL AND callback_url IS NOT NULL) ORDER BY created_at LIMIT $1`,
      [limit],
    );
    const requests: SignRequestRecord[] = [];
    for (const row of rows) requests.push((await this.load(row))!);
    return requests;
  }

  async markEnqueued(id: string, at: number): Promise<void> {
    await this.query('UPDATE sign_requests SET enqueued_at = COALESCE(enqueued_at, $1) WHERE id = $2', [at, id]);
  }

  private async touch(client: pg.PoolClient, id: string, at: number): Promise<void> {
    await this.query('UPDATE sign_requests SET updated_at = $1 WHERE id = $2', [at, id], client);
  }

  async setSheetState(id: string, sheet: number, state: SheetState, progress = 0): Promise<void> {
    const now = Date.now();
    await this.transaction(async (client) => {
      await this.query(`UPDATE request_sheets SET state = $1, progress = $2, updated_at = $3 WHERE request_id = $4 AND idx = $5 AND state IN ${OPEN_STATES}`, [state, progress, now, id, sheet], client);
      await this.touch(client, id, now);
    });
  }

  async setProgress(id: string, sheet: number, progress: number): Promise<void> {
    await this.query('UPDATE request_sheets SET progress = $1 WHERE request_id = $2 AND idx = $3', [Math.max(0, Math.min(1, progress)), id, sheet]);
  }

  async recordSigned(id: string, sheet: number, record: StepRecord): Promise<boolean> {
    const now = Date.now();
    return this.transaction(async (client) => {
      // The row lock makes a second run wait here, then read the step the first one recorded.
      const { rows } = await this.query('SELECT step, history FROM request_sheets WHERE request_id = $1 AND idx = $2 FOR UPDATE', [id, sheet], client);
      const row = rows[0];
      if (!row || num(row['step']) !== record.step) return false;
      const history = JSON.parse(String(row['history'])) as StepRecord[];
      history.push(record);
      const updated = await this.query(
        "UPDATE request_sheets SET step = step + 1, current_sha256 = $1, current_size = $2, history = $3, state = 'archiving', progress = 0, updated_at = $4 WHERE request_id = $5 AND idx = $6 AND step = $7",
        [record.sha256, record.size, JSON.stringify(history), now, id, sheet, record.step],
        client,
      );
      if (updated.rowCount !== 1) return false;
      await this.touch(client, id, now);
      return true;
    });
  }

  async recordArchived(id: string, sheet: number, step: number, archive: { sheetId: number; revision: number }, next: { state: SheetState; role: string | null }): Promise<boolean> {
    const now = Date.now();
    return this.transaction(async (client) => {
      const { rows } = await this.query('SELECT archived_step, step, history FROM request_sheets WHERE request_id = $1 AND idx = $2 FOR UPDATE', [id, sheet], client);
      const row = rows[0];
      if (!row || num(row['archived_step']) !== step || num(row['step']) !== step + 1) return false;
      const history = JSON.parse(String(row['history'])) as StepRecord[];
      const entry = history[step];
      if (entry) {
        entry.archiveSheetId = archive.sheetId;
        entry.archiveRevision = archive.revision;
      }
      const updated = await this.query(
        'UPDATE request_sheets SET archived_step = $1, archive_sheet_id = $2, history = $3, state = $4, next_role = $5, progress = 0, updated_at = $6 WHERE request_id = $7 AND idx = $8 AND archived_step = $9',
        [step + 1, archive.sheetId, JSON.stringify(history), next.state, next.role, now, id, sheet, step],
        client,
      );
      if (updated.rowCount !== 1) return false;
      await this.touch(client, id, now);
      return true;
    });
  }

  async recordFailed(id: string, sheet: number, error: WireError): Promise<void> {
    const now = Date.now();
    await this.transaction(async (client) => {
      await this.query(`UPDATE request_sheets SET state = 'failed', error = $1, next_role = NULL, updated_at = $2 WHERE request_id = $3 AND idx = $4 AND state IN ${OPEN_STATES}`, [JSON.stringify(error), now, id, sheet], client);
      await this.touch(client, id, now);
    });
  }

  async claimTask(id: string, sheet: number, step: number, roles: readonly string[], account: string): Promise<boolean> {
    if (roles.length === 0) return false;
    const now = Date.now();
    return this.transaction(async (client) => {
      // A concurrent claim waits on the row, then finds it no longer waiting and changes nothing.
      const taken = await this.query(
        "UPDATE request_sheets SET state = 'queued', updated_at = $1 WHERE request_id = $2 AND idx = $3 AND step = $4 AND state = 'waiting-signature' AND next_role = ANY($5::text[])",
        [now, id, sheet, step, [...roles]],
        client,
      );
      if (taken.rowCount !== 1) return false;
      // The intent, in the same transaction: a restart enqueues it again if the jobs were never added.
      await this.query(
        'INSERT INTO staff_claims (request_id, idx, step, account, claimed_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (request_id, idx) DO UPDATE SET step = excluded.step, account = excluded.account, claimed_at = excluded.claimed_at',
        [id, sheet, step, account, now],
        client,
      );
      await this.touch(client, id, now);
      return true;
    });
  }

  async listStaffClaims(id: string): Promise<StaffClaim[]> {
    const { rows } = await this.query(
      `SELECT c.idx, c.step, c.account, c.claimed_at FROM staff_claims c
       JOIN request_sheets s ON s.request_id = c.request_id AND s.idx = c.idx
       WHERE c.request_id = $1 AND s.state = 'queued' AND s.step = c.step ORDER BY c.idx`,
      [id],
    );
    return rows.map((r) => ({ sheet: num(r['idx']), step: num(r['step']), account: String(r['account']), claimedAt: num(r['claimed_at']) }));
  }

  async listTasks(roles: readonly string[], limit: number): Promise<TaskRecord[]> {
    if (roles.length === 0) return [];
    const { rows } = await this.query(
      `SELECT s.*, r.owner AS owner, r.created_at AS request_created_at, r.signatures AS signatures FROM request_sheets s JOIN sign_requests r ON r.id = s.request_id
       WHERE s.state = 'waiting-signature' AND s.next_role = ANY($1::text[]) ORDER BY r.created_at, s.request_id, s.idx LIMIT $2`,
      [[...roles], limit],
    );
    return rows.map((row) => {
      const step = num(row['step']);
      return {
        requestId: String(row['request_id']),
        owner: String(row['owner']),
        sheet: toSheet(row),
        role: String(row['next_role']),
        step,
        stamp: (JSON.parse(String(row['signatures'])) as SignatureSpec[])[step]?.stamp ?? null,
        createdAt: num(row['request_created_at']),
      };
    });
  }

  async recordDelivery(id: string, delivery: Omit<DeliveryRecord, 'attempt'>): Promise<DeliveryRecord> {
    return this.transaction(async (client) => {
      // The request row's lock numbers concurrent attempts one after the other.
      await this.query('SELECT 1 FROM sign_requests WHERE id = $1 FOR UPDATE', [id], client);
      const { rows } = await this.query('SELECT COUNT(*) AS n FROM webhook_deliveries WHERE request_id = $1', [id], client);
      const attempt = num(rows[0]?.['n']) + 1;
      await this.query('INSERT INTO webhook_deliveries (request_id, attempt, at, status, delivered, error) VALUES ($1, $2, $3, $4, $5, $6)', [id, attempt, delivery.at, delivery.status, delivery.isDelivered, delivery.error], client);
      return { attempt, ...delivery };
    });
  }

  async markNotified(id: string, at: number): Promise<void> {
    await this.query('UPDATE sign_requests SET notified_at = COALESCE(notified_at, $1) WHERE id = $2', [at, id]);
  }

  async grantSheetAccess(owner: string, sheetId: number): Promise<void> {
    await this.query('INSERT INTO sheet_access (owner, sheet_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [owner, sheetId]);
  }

  async hasSheetAccess(owner: string, sheetId: number): Promise<boolean> {
    return (await this.query('SELECT 1 FROM sheet_access WHERE owner = $1 AND sheet_id = $2', [owner, sheetId])).rowCount > 0;
  }

  async close(): Promise<void> {
    // The pool belongs to whoever opened it.
  }
}
