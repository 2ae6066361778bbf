// Running totals of finished job runs (durations, bytes signed, signatures, failures), kept where
// the jobs run: in memory by the embedded queue, in one Redis hash shared by every BullMQ worker
// process. Both keep the same flat `field → number` form, so the API reads one shape either way.

import type { JobKind } from './jobs/index.js';

/** Upper bounds (seconds) of the job duration histogram buckets. */
export const JOB_DURATION_BUCKETS: readonly number[] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** One run of a job as it ended, told by the process that ran it. */
export type JobOutcome =
  | { type: 'completed'; kind: JobKind; durationMs: number | null; result: unknown }
  | { type: 'failed'; kind: JobKind; durationMs: number | null; code: string; isFinal: boolean };

/**
 * The tallies as stored: field name → total. Every field only ever grows (a Prometheus counter),
 * so totals of several processes add up field by field (Redis HINCRBYFLOAT).
 */
export type TallyFields = Record<string, number>;

export interface DurationTally {
  kind: string;
  outcome: 'completed' | 'failed';
  /** Runs per bucket of JOB_DURATION_BUCKETS, not cumulative; one more entry for runs past the last bound. */
  bucketCounts: number[];
  sumSeconds: number;
  count: number;
}

export interface FailureTally {
  kind: string;
  code: string;
  isFinal: boolean;
  count: number;
}

export interface JobTallies {
  durations: DurationTally[];
  signedBytes: number;
  signatures: number;
  failures: FailureTally[];
}

const SIGNED_BYTES = 'signed-bytes';
const SIGNATURES = 'signatures';
const OVERFLOW_BUCKET = '+Inf';

/** The increments one job run adds to the tallies. */
export function tallyIncrements(outcome: JobOutcome): TallyFields {
  const increments: TallyFields = {};
  if (outcome.durationMs !== null) {
    const seconds = Math.max(0, outcome.durationMs) / 1000;
    const bound = JOB_DURATION_BUCKETS.find((upper) => seconds <= upper);
    const prefix = `duration:${outcome.kind}:${outcome.type}`;
    increments[`${prefix}:le:${bound ?? OVERFLOW_BUCKET}`] = 1;
    increments[`${prefix}:sum`] = seconds;
    increments[`${prefix}:count`] = 1;
  }
  if (outcome.type === 'completed') {
    const bytesSigned = (outcome.result as { bytesSigned?: unknown } | null | undefined)?.bytesSigned;
    if (outcome.kind === 'sign-sheet' && typeof bytesSigned === 'number') {
      increments[SIGNED_BYTES] = bytesSigned;
      increments[SIGNATURES] = 1;
    }
  } else {
    increments[`failure:${outcome.kind}:${outcome.code}:${String(outcome.isFinal)}`] = 1;
  }
  return increments;
}

/** Adds one job run to tallies kept in memory. */
export function addJobOutcome(fields: TallyFields, outcome: JobOutcome): void {
  for (const [field, by] of Object.entries(tallyIncrements(outcome))) fields[field] = (fields[field] ?? 0) + by;
}

/** Reads stored fields (numbers, or the strings of a Redis HGETALL); fields it does not know are skipped. */
export function readTallyFields(fields: Record<string, number | string>): JobTallies {
  const tallies: JobTallies = { durations: [], signedBytes: 0, signatures: 0, failures: [] };
  const durations = new Map<string, DurationTally>();
  for (const [field, raw] of Object.entries(fields)) {
    const value = Number(raw);
    if (!Number.isFinite(value)) continue;
    if (field === SIGNED_BYTES) tallies.signedBytes = value;
    else if (field === SIGNATURES) tallies.signatures = value;
    else if (field.startsWith('failure:')) readFailure(tallies.failures, field, value);
    else if (field.startsWith('duration:')) readDuration(durations, field, value);
  }
  tallies.durations = [...durations.values()];
  return tallies;
}

function readFailure(failures: FailureTally[], field: string, count: number): void {
  // failure:<kind>:<code>:<final>; kinds and final hold no colon, so a code may.
  const kindEnd = field.indexOf(':', 'failure:'.length);
  const finalStart = field.lastIndexOf(':');
  if (kindEnd < 0 || finalStart <= kindEnd) return;
  failures.push({ kind: field.slice('failure:'.length, kindEnd), code: field.slice(kindEnd + 1, finalStart), isFinal: field.slice(finalStart + 1) === 'true', count });
}

function readDuration(durations: Map<string, DurationTally>, field: string, value: number): void {
  // duration:<kind>:<outcome>:sum | :count | :le:<bound>
  const [, kind, outcome, part, bound] = field.split(':');
  if (!kind || (outcome !== 'completed' && outcome !== 'failed')) return;
  const key = `${kind}:${outcome}`;
  let tally = durations.get(key);
  if (!tally) {
    tally = { kind, outcome, bucketCounts: new Array<number>(JOB_DURATION_BUCKETS.length + 1).fill(0), sumSeconds: 0, count: 0 };
    durations.set(key, tally);
  }
  if (part === 'sum') tally.sumSeconds = value;
  else if (part === 'count') tally.count = value;
  else if (part === 'le') {
    const index = bound === OVERFLOW_BUCKET ? JOB_DURATION_BUCKETS.length : JOB_DURATION_BUCKETS.indexOf(Number(bound));
    if (index >= 0) tally.bucketCounts[index] = value;
  }
}
