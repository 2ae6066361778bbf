// The job kinds of the signing service and what every kind file declares: `{kind, version,
// payload schema}` plus the id rule and a lazy import of its processor (STYLE §7).

import { MapsignError } from '../../errors.js';
import type { JobContext, JobResult, ProcessorDeps } from '../processors/deps.js';

export const JOB_KINDS = ['sign-sheet', 'archive-sheet', 'notify'] as const;

export type JobKind = (typeof JOB_KINDS)[number];

export type Processor<P> = (payload: P, context: JobContext, deps: ProcessorDeps) => Promise<JobResult>;

export interface JobDefinition<P> {
  kind: JobKind;
  /** Version of the payload shape; a worker refuses versions it does not know. */
  version: number;
  /** Checks raw job data (`{version, ...payload}`) and returns the typed payload. @throws MapsignError `JOB_PAYLOAD_INVALID` */
  parse(data: unknown): P;
  /** The job id: derived from the request id, itself derived from the idempotency key, so a repeat adds nothing. */
  jobId(payload: P): string;
  /** Job data as stored in the queue: the payload and its version, never file bytes. */
  encode(payload: P): Record<string, unknown>;
  loadProcessor(): Promise<Processor<P>>;
}

export function payloadError(kind: JobKind, problem: string): MapsignError {
  return new MapsignError('JOB_PAYLOAD_INVALID', `${kind} job data: ${problem}`, { details: { kind } });
}

/** Reads the envelope `{version, ...}` and checks the version. */
export function readEnvelope(kind: JobKind, version: number, data: unknown): Record<string, unknown> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw payloadError(kind, 'not an object');
  const record = data as Record<string, unknown>;
  if (record['version'] !== version) throw payloadError(kind, `version ${JSON.stringify(record['version'])} is not ${version}`);
  return record;
}

export function readId(kind: JobKind, record: Record<string, unknown>, field: string, pattern: RegExp): string {
  const value = record[field];
  if (typeof value !== 'string' || !pattern.test(value)) throw payloadError(kind, `${field} is missing or malformed`);
  return value;
}

export function readIndex(kind: JobKind, record: Record<string, unknown>, field: string): number {
  const value = record[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > 100_000) throw payloadError(kind, `${field} must be a whole number from 0`);
  return value;
}

/** Request ids: `r` and 24 lower-case hex digits (see request-id.ts). */
export const REQUEST_ID = /^r[0-9a-f]{24}$/;
