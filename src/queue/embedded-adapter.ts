// The embedded queue: jobs in SQLite (service.sqlite) run by this process, so the default service
// needs nothing but Node. Same semantics as the BullMQ adapter: flows (a parent waits for its
// children), exponential backoff for retryable codes only, and leases: a job left `active` by a
// process that died is handed back (stalled) when the service starts again or its lease ends.

import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { isProcessAlive } from '../archive/index.js';
import { backoffDelay, emptyCounts, type FlowJob, type JobCounts, type JobHandler, type JobQueue, type JobState, type RetryPolicy, type WorkerOptions } from './adapter.js';
import { addJobOutcome, readTallyFields, type JobTallies, type TallyFields } from './job-tallies.js';
import type { JobKind } from './jobs/index.js';
import { immediate, type ServiceDatabase } from './service-db.js';
import { toMapsignError, type WireError } from './wire-error.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS queue_jobs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  data TEXT NOT NULL,
  state TEXT NOT NULL,
  parent_id TEXT,
  on_failure TEXT NOT NULL,
  pending_children INTEGER NOT NULL DEFAULT 0,
  attempts_made INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  stalls INTEGER NOT NULL DEFAULT 0,
  run_at INTEGER NOT NULL,
  lease_owner TEXT,
  lease_until INTEGER,
  progress REAL,
  result TEXT,
  error TEXT,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER
);
CREATE INDEX IF NOT EXISTS queue_jobs_ready ON queue_jobs (kind, state, run_at);
`;

/** A job handed back this many times after its process died is failed rather than run again. */
const MAX_STALLS = 3;
/** Finished jobs are kept this long (BullMQ keeps completed jobs 7 days, failed ones 30). */
const KEEP_COMPLETED_MS = 7 * 24 * 3600 * 1000;
const KEEP_FAILED_MS = 30 * 24 * 3600 * 1000;
const PRUNE_EVERY_MS = 3600 * 1000;

interface JobRow {
  id: string;
  kind: JobKind;
  data: string;
  state: string;
  parent_id: string | null;
  on_failure: 'fail-parent' | 'ignore';
  pending_children: number;
  attempts_made: number;
  max_attempts: number;
  stalls: number;
  run_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  started_at: number | null;
}

export interface EmbeddedQueueOptions {
  db: ServiceDatabase;
  retry: RetryPolicy;
  /** How long a running job is leased before another run may take it; renewed while it runs. Default 30 s. */
  leaseMs?: number;
  /** Idle polling interval (new jobs of this process wake workers at once). Default 500 ms. */
  pollMs?: number;
}

export class EmbeddedQueue implements JobQueue {
  readonly backend = 'embedded' as const;
  private readonly db: ServiceDatabase;
  private readonly retry: RetryPolicy;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly owner = `${hostname()}~${process.pid}~${randomBytes(4).toString('hex')}`;
  private readonly tallyFields: TallyFields = {};
  private readonly wake = new EventEmitter();
  private readonly loops: Promise<void>[] = [];
  private readonly running = new Set<Promise<void>>();
  private isClosed = false;
  private isStopping = false;
  private stallTimer: NodeJS.Timeout | undefined;

  constructor(options: EmbeddedQueueOptions) {
    this.db = options.db;
    this.retry = options.retry;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.pollMs = options.pollMs ?? 500;
    this.db.exec(SCHEMA);
    this.wake.setMaxListeners(0);
    this.recoverStalled();
  }

  async addFlow(flow: FlowJob): Promise<void> {
    const kinds = new Set<JobKind>();
    immediate(this.db, () => {
      this.insert(flow, null, kinds);
    });
    for (const kind of kinds) this.wake.emit(kind);
  }

  /** Inserts a job and its children; returns whether the parent must wait for it. */
  private insert(job: FlowJob, parentId: string | null, kinds: Set<JobKind>): boolean {
    const existing = this.db.prepare('SELECT state, parent_id FROM queue_jobs WHERE id = ?').get(job.id) as { state: string; parent_id: string | null } | undefined;
    if (existing) {
      // A job that exists keeps its subtree; it holds up a new parent only while unfinished.
      const isOpen = existing.state !== 'completed' && existing.state !== 'failed';
      if (isOpen && parentId !== null && existing.parent_id === null) {
        this.db.prepare('UPDATE queue_jobs SET parent_id = ?, on_failure = ? WHERE id = ?').run(parentId, job.onFailure, job.id);
        return true;
      }
      return isOpen && existing.parent_id === parentId && parentId !== null;
    }
    const now = Date.now();
    this.db
      .prepare("INSERT INTO queue_jobs (id, kind, data, state, parent_id, on_failure, max_attempts, run_at, created_at) VALUES (?, ?, ?, 'waiting-children', ?, ?, ?, ?, ?)")
      .run(job.id, job.kind, JSON.stringify(job.data), parentId, job.onFailure, this.retry.attempts[job.kind], now, now);
    let pending = 0;
    for (const child of job.children) if (this.insert(child, job.id, kinds)) pending++;
    this.db.prepare('UPDATE queue_jobs SET pending_children = ?, state = ? WHERE id = ?').run(pending, pending > 0 ? 'waiting-children' : 'waiting', job.id);
    if (pending === 0) kinds.add(job.kind);
    return true;
  }

  async startWorker(kind: JobKind, handler: JobHandler, options: WorkerOptions): Promise<void> {
    for (let slot = 0; slot < options.concurrency; slot++) this.loops.push(this.loop(kind, handler));
    this.stallTimer ??= setInterval(() => {
      this.recoverStalled();
      if (Date.now() - this.lastPrune > PRUNE_EVERY_MS) this.prune();
    }, Math.max(250, Math.floor(this.leaseMs / 2))).unref();
  }

  private lastPrune = Date.now();

  /** Removes finished jobs past their retention (processors are idempotent, so a re-added id is harmless). */
  prune(now = Date.now()): number {
    this.lastPrune = now;
    try {
      return this.db
        .prepare("DELETE FROM queue_jobs WHERE (state = 'completed' AND finished_at < ?) OR (state = 'failed' AND finished_at < ?)")
        .run(now - KEEP_COMPLETED_MS, now - KEEP_FAILED_MS).changes;
    } catch {
      return 0;
    }
  }

  private async loop(kind: JobKind, handler: JobHandler): Promise<void> {
    while (!this.isStopping) {
      let row: JobRow | null;
      try {
        row = this.claim(kind);
      } catch {
        row = null; // busy or closing: try again after a pause
      }
      if (!row) {
        await this.idle(kind);
        continue;
      }
      const run = this.run(row, handler);
      this.running.add(run);
      await run.finally(() => this.running.delete(run));
    }
  }

  private idle(kind: JobKind): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake.off(kind, done);
        this.wake.off('close', done);
        resolve();
      };
      const timer = setTimeout(done, this.pollMs);
      this.wake.on(kind, done);
      this.wake.on('close', done);
    });
  }

  private claim(kind: JobKind): JobRow | null {
    const now = Date.now();
    return immediate(this.db, () => {
      const row = this.db.prepare("SELECT * FROM queue_jobs WHERE kind = ? AND state = 'waiting' AND run_at <= ? ORDER BY run_at, created_at LIMIT 1").get(kind, now) as JobRow | undefined;
      if (!row) return null;
      this.db
        .prepare("UPDATE queue_jobs SET state = 'active', lease_owner = ?, lease_until = ?, attempts_made = attempts_made + 1, started_at = ? WHERE id = ?")
        .run(this.owner, now + this.leaseMs, now, row.id);
      return { ...row, attempts_made: row.attempts_made + 1, started_at: now };
    });
  }

  private async run(row: JobRow, handler: JobHandler): Promise<void> {
    const started = Date.now();
    const renew = setInterval(() => {
      if (this.isClosed) return;
      try {
        this.db.prepare("UPDATE queue_jobs SET lease_until = ? WHERE id = ? AND state = 'active' AND lease_owner = ?").run(Date.now() + this.leaseMs, row.id, this.owner);
      } catch {
        // the lease runs out; another run takes the job
      }
    }, Math.max(100, Math.floor(this.leaseMs / 3))).unref();
    const data = JSON.parse(row.data) as unknown;
    try {
      const result = await handler.process({
        kind: row.kind,
        id: row.id,
        data,
        attempt: row.attempts_made,
        maxAttempts: row.max_attempts,
        parentKind: row.parent_id === null ? null : this.kindOf(row.parent_id),
        reportProgress: async (fraction) => {
          if (!this.isClosed) this.db.prepare('UPDATE queue_jobs SET progress = ? WHERE id = ?').run(fraction, row.id);
        },
      });
      clearInterval(renew);
      if (this.isClosed) return;
      this.complete(row, result);
      addJobOutcome(this.tallyFields, { type: 'completed', kind: row.kind, durationMs: Date.now() - started, result });
    } catch (thrown) {
      clearInterval(renew);
      if (this.isClosed) return;
      const error = toMapsignError(thrown);
      const isFinal = !error.spec.retryable || row.attempts_made >= row.max_attempts;
      const wire = error.toJSON();
      if (isFinal) {
        this.fail(row.id, wire);
        await handler.onFinalFailure({ kind: row.kind, id: row.id, data }, wire).catch(() => undefined);
      } else {
        this.db
          .prepare("UPDATE queue_jobs SET state = 'waiting', lease_owner = NULL, lease_until = NULL, run_at = ?, error = ? WHERE id = ? AND lease_owner = ?")
          .run(Date.now() + backoffDelay(this.retry, row.attempts_made), JSON.stringify(wire), row.id, this.owner);
      }
      addJobOutcome(this.tallyFields, { type: 'failed', kind: row.kind, durationMs: Date.now() - started, code: wire.code, isFinal });
    }
  }

  /** The kind of a job, null when it is gone. */
  private kindOf(id: string): JobKind | null {
    const row = this.db.prepare('SELECT kind FROM queue_jobs WHERE id = ?').get(id) as Pick<JobRow, 'kind'> | undefined;
    return row?.kind ?? null;
  }

  private complete(row: JobRow, result: unknown): void {
    let wakeKind: JobKind | null = null;
    immediate(this.db, () => {
      const changed = this.db
        .prepare("UPDATE queue_jobs SET state = 'completed', result = ?, error = NULL, finished_at = ?, lease_owner = NULL, lease_until = NULL WHERE id = ? AND state = 'active' AND lease_owner = ?")
        .run(JSON.stringify(result ?? null), Date.now(), row.id, this.owner);
      if (changed.changes === 1 && row.parent_id) wakeKind = this.releaseParent(row.parent_id);
    });
    if (wakeKind) this.wake.emit(wakeKind);
  }

  /** One child of `parentId` is finished; returns the parent's kind when it may now run. */
  private releaseParent(parentId: string): JobKind | null {
    this.db.prepare('UPDATE queue_jobs SET pending_children = pending_children - 1 WHERE id = ?').run(parentId);
    const parent = this.db.prepare('SELECT kind, state, pending_children FROM queue_jobs WHERE id = ?').get(parentId) as Pick<JobRow, 'kind' | 'state' | 'pending_children'> | undefined;
    if (parent && parent.state === 'waiting-children' && parent.pending_children <= 0) {
      this.db.prepare("UPDATE queue_jobs SET state = 'waiting', run_at = ? WHERE id = ?").run(Date.now(), parentId);
      return parent.kind;
    }
    return null;
  }

  /** Fails a job and, through `fail-parent` links, its ancestors; an `ignore` link lets the parent run. */
  private fail(id: string, error: WireError): void {
    const woken: JobKind[] = [];
    immediate(this.db, () => {
      let currentId: string | null = id;
      let currentError = error;
      while (currentId) {
        const row = this.db.prepare('SELECT id, parent_id, on_failure FROM queue_jobs WHERE id = ?').get(currentId) as Pick<JobRow, 'id' | 'parent_id' | 'on_failure'> | undefined;
        if (!row) return;
        this.db
          .prepare("UPDATE queue_jobs SET state = 'failed', error = ?, finished_at = ?, lease_owner = NULL, lease_until = NULL WHERE id = ?")
          .run(JSON.stringify(currentError), Date.now(), row.id);
        if (!row.parent_id) return;
        if (row.on_failure === 'ignore') {
          const kind = this.releaseParent(row.parent_id);
          if (kind) woken.push(kind);
          return;
        }
        currentError = { code: currentError.code, message: `child ${row.id} failed: ${currentError.message}`, details: currentError.details };
        currentId = row.parent_id;
      }
    });
    for (const kind of woken) this.wake.emit(kind);
  }

  /** Hands back jobs whose lease ran out or whose process is gone; fails those handed back too often. */
  recoverStalled(): number {
    if (this.isClosed) return 0;
    const now = Date.now();
    const host = hostname();
    let recovered = 0;
    const tooOften: Array<Pick<JobRow, 'id' | 'kind'>> = [];
    try {
      immediate(this.db, () => {
        const rows = this.db.prepare("SELECT id, lease_owner, lease_until, stalls, kind FROM queue_jobs WHERE state = 'active'").all() as Array<Pick<JobRow, 'id' | 'lease_owner' | 'lease_until' | 'stalls' | 'kind'>>;
        for (const row of rows) {
          const [ownerHost, ownerPid] = (row.lease_owner ?? '').split('~');
          const isDead = ownerHost === host && ownerPid !== undefined && Number(ownerPid) !== process.pid && !isProcessAlive(Number(ownerPid));
          if (row.lease_owner === this.owner || (!isDead && (row.lease_until ?? 0) > now)) continue;
          if (row.stalls + 1 > MAX_STALLS) {
            tooOften.push(row);
            continue;
          }
          this.db
            .prepare("UPDATE queue_jobs SET state = 'waiting', lease_owner = NULL, lease_until = NULL, stalls = stalls + 1, attempts_made = MAX(0, attempts_made - 1), run_at = ? WHERE id = ?")
            .run(now, row.id);
          recovered++;
          this.wake.emit(row.kind);
        }
      });
    } catch {
      return 0; // busy: the next round tries again
    }
    for (const { id, kind } of tooOften) {
      this.fail(id, { code: 'INTERNAL_ERROR', message: `job ${id} stalled more than ${MAX_STALLS} times`, details: { jobId: id } });
      // Counted like BullMQ's failure of a job stalled too often: final, with no duration.
      addJobOutcome(this.tallyFields, { type: 'failed', kind, durationMs: null, code: 'INTERNAL_ERROR', isFinal: true });
    }
    return recovered;
  }

  async counts(): Promise<JobCounts> {
    const counts = emptyCounts();
    const now = Date.now();
    const rows = this.db
      .prepare("SELECT kind, CASE WHEN state = 'waiting' AND run_at > ? THEN 'delayed' ELSE state END AS state, COUNT(*) AS n FROM queue_jobs GROUP BY 1, 2")
      .all(now) as Array<{ kind: JobKind; state: JobState; n: number }>;
    for (const row of rows) {
      const byState = counts[row.kind];
      if (byState && row.state in byState) byState[row.state] = row.n;
    }
    return counts;
  }

  /** A job's state and result, for tests and tools. */
  getJob(id: string): { state: string; attemptsMade: number; error: WireError | null; result: unknown } | null {
    const row = this.db.prepare('SELECT state, attempts_made, error, result FROM queue_jobs WHERE id = ?').get(id) as { state: string; attempts_made: number; error: string | null; result: string | null } | undefined;
    if (!row) return null;
    return { state: row.state, attemptsMade: row.attempts_made, error: row.error ? (JSON.parse(row.error) as WireError) : null, result: row.result ? (JSON.parse(row.result) as unknown) : null };
  }

  async tallies(): Promise<JobTallies> {
    return readTallyFields(this.tallyFields);
  }

  async isReady(): Promise<boolean> {
    return !this.isClosed && this.db.open;
  }

  async close(options: { graceMs?: number } = {}): Promise<void> {
    if (this.isClosed) return;
    this.isStopping = true;
    this.wake.emit('close');
    // Running jobs may finish within the grace period; those that do not stay `active` under this
    // process's lease, and the next start hands them back.
    await Promise.race([Promise.all([...this.running]), new Promise((resolve) => setTimeout(resolve, options.graceMs ?? 30_000).unref())]);
    this.isClosed = true;
    if (this.stallTimer) clearInterval(this.stallTimer);
    await Promise.race([Promise.all(this.loops), new Promise((resolve) => setTimeout(resolve, 100).unref())]);
  }
}
