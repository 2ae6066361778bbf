// The queue as the service sees it, the same for the embedded adapter (SQLite, in-process) and the
// BullMQ adapter (Redis, worker processes): flows of jobs where a parent runs after its
// children, retries with exponential backoff for retryable codes only, tallies for metrics.

import type { JobTallies } from './job-tallies.js';
import type { JobKind } from './jobs/index.js';
import type { WireError } from './wire-error.js';

/** A job and the jobs that must finish before it (BullMQ flow semantics). */
export interface FlowJob {
  kind: JobKind;
  id: string;
  data: Record<string, unknown>;
  children: FlowJob[];
  /**
   * What this job's final failure does to its parent: `fail-parent` fails it too (a chain of
   * signing steps), `ignore` lets it run anyway (the notification of a request).
   */
  onFailure: 'fail-parent' | 'ignore';
}

export const JOB_STATES = ['waiting', 'waiting-children', 'active', 'delayed', 'completed', 'failed'] as const;

export type JobState = (typeof JOB_STATES)[number];

export type JobCounts = Record<JobKind, Record<JobState, number>>;

/** What a worker hands to the job handler. */
export interface QueuedJob {
  kind: JobKind;
  id: string;
  data: unknown;
  /** 1 for the first run. */
  attempt: number;
  maxAttempts: number;
  /** Kind of the job that waits for this one in its flow (its parent), null when none does. */
  parentKind: JobKind | null;
  reportProgress(fraction: number): Promise<void>;
}

/** Runs one job; `onFinalFailure` is told once when a job will not be tried again. */
export interface JobHandler {
  process(job: QueuedJob): Promise<unknown>;
  onFinalFailure(job: Pick<QueuedJob, 'kind' | 'id' | 'data'>, error: WireError): Promise<void>;
}

export interface WorkerOptions {
  concurrency: number;
}

export interface JobQueue {
  readonly backend: 'embedded' | 'bullmq';
  /** Adds a flow; jobs whose id exists already are left as they are. */
  addFlow(flow: FlowJob): Promise<void>;
  /** Starts processing one kind in this process. */
  startWorker(kind: JobKind, handler: JobHandler, options: WorkerOptions): Promise<void>;
  counts(): Promise<JobCounts>;
  /**
   * Totals of the job runs that ended, counted by the processes that ran them (BullMQ: every
   * worker process adds to one Redis hash; embedded: this process). Rejects while the backend is away.
   */
  tallies(): Promise<JobTallies>;
  /** Whether the backend answers (Redis ping, database open). */
  isReady(): Promise<boolean>;
  /** Stops workers (letting running jobs finish, up to `graceMs`) and releases connections. */
  close(options?: { graceMs?: number }): Promise<void>;
}

export interface RetryPolicy {
  attempts: Record<JobKind, number>;
  /** First retry delay in ms; each later retry doubles it. */
  backoffMs: number;
}

/** Delay before attempt `attempt + 1` after `attempt` failed. */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  return policy.backoffMs * 2 ** Math.max(0, attempt - 1);
}

export function emptyCounts(): JobCounts {
  const row = (): Record<JobState, number> => ({ waiting: 0, 'waiting-children': 0, active: 0, delayed: 0, completed: 0, failed: 0 });
  return { 'sign-sheet': row(), 'archive-sheet': row(), notify: row() };
}
