import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/api/index.js';
import type { JobQueue, JobTallies } from '../../../src/queue/index.js';
import { addJobOutcome, readTallyFields, type TallyFields } from '../../../src/queue/job-tallies.js';

/** A queue that only answers tallies, from `next()` on each read. */
function queueTelling(next: () => Promise<JobTallies>): JobQueue & { reads: number } {
  const queue = {
    reads: 0,
    counts: () => Promise.reject(new Error('not asked in this test')),
    tallies: () => {
      queue.reads++;
      return next();
    },
  };
  return queue as unknown as JobQueue & { reads: number };
}

function talliesOf(add: (fields: TallyFields) => void): JobTallies {
  const fields: TallyFields = {};
  add(fields);
  return readTallyFields(fields);
}

/** The exposition lines of one metric family, without HELP and TYPE. */
function linesOf(text: string, family: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(family));
}

describe('createMetrics', () => {
  it('renders the job duration histogram from the tallies with cumulative buckets, +Inf, sum and count', async () => {
    const tallies = talliesOf((fields) => {
      for (const durationMs of [30, 40, 700, 4000, 700_000]) addJobOutcome(fields, { type: 'completed', kind: 'sign-sheet', durationMs, result: {} });
    });
    const text = await createMetrics(queueTelling(async () => tallies)).registry.metrics();
    expect(text).toContain('# TYPE mapsign_job_duration_seconds histogram');
    const labels = 'queue="sign-sheet",outcome="completed"';
    expect(linesOf(text, 'mapsign_job_duration_seconds')).toEqual([
      `mapsign_job_duration_seconds_bucket{${labels},le="0.05"} 2`,
      `mapsign_job_duration_seconds_bucket{${labels},le="0.1"} 2`,
      `mapsign_job_duration_seconds_bucket{${labels},le="0.25"} 2`,
      `mapsign_job_duration_seconds_bucket{${labels},le="0.5"} 2`,
      `mapsign_job_duration_seconds_bucket{${labels},le="1"} 3`,
      `mapsign_job_duration_seconds_bucket{${labels},le="2.5"} 3`,
      `mapsign_job_duration_seconds_bucket{${labels},le="5"} 4`,
      `mapsign_job_duration_seconds_bucket{${labels},le="10"} 4`,
      `mapsign_job_duration_seconds_bucket{${labels},le="30"} 4`,
      `mapsign_job_duration_seconds_bucket{${labels},le="60"} 4`,
      `mapsign_job_duration_seconds_bucket{${labels},le="120"} 4`,
      `mapsign_job_duration_seconds_bucket{${labels},le="300"} 4`,
      `mapsign_job_duration_seconds_bucket{${labels},le="600"} 4`,
      `mapsign_job_duration_seconds_bucket{${labels},le="+Inf"} 5`,
      `mapsign_job_duration_seconds_sum{${labels}} 704.77`,
      `mapsign_job_duration_seconds_count{${labels}} 5`,
    ]);
  });

  it('renders bytes signed, signatures and failures by kind, code and finality as counters', async () => {
    const tallies = talliesOf((fields) => {
      addJobOutcome(fields, { type: 'completed', kind: 'sign-sheet', durationMs: 10, result: { bytesSigned: 2048 } });
      addJobOutcome(fields, { type: 'failed', kind: 'sign-sheet', durationMs: 10, code: 'TSA_UNAVAILABLE', isFinal: false });
      addJobOutcome(fields, { type: 'failed', kind: 'sign-sheet', durationMs: 10, code: 'PDF_ENCRYPTED', isFinal: true });
      addJobOutcome(fields, { type: 'failed', kind: 'notify', durationMs: null, code: 'PDF_ENCRYPTED', isFinal: true });
    });
    const text = await createMetrics(queueTelling(async () => tallies)).registry.metrics();
    expect(text).toContain('# TYPE mapsign_signed_bytes_total counter\nmapsign_signed_bytes_total 2048\n');
    expect(text).toContain('# TYPE mapsign_signatures_total counter\nmapsign_signatures_total 1\n');
    expect(text).toContain('# TYPE mapsign_job_failures_total counter');
    expect(linesOf(text, 'mapsign_job_failures_total').sort()).toEqual([
      'mapsign_job_failures_total{queue="notify",code="PDF_ENCRYPTED",final="true"} 1',
      'mapsign_job_failures_total{queue="sign-sheet",code="PDF_ENCRYPTED",final="true"} 1',
      'mapsign_job_failures_total{queue="sign-sheet",code="TSA_UNAVAILABLE",final="false"} 1',
    ]);
    expect(text).toContain('mapsign_job_duration_seconds_count{queue="sign-sheet",outcome="failed"} 2');
    expect(text).not.toContain('outcome="failed"} 3');
  });

  it('reads the tallies once per scrape and keeps the last values while the queue is away', async () => {
    let answer: Promise<JobTallies> = Promise.resolve(talliesOf((fields) => addJobOutcome(fields, { type: 'completed', kind: 'sign-sheet', durationMs: 10, result: { bytesSigned: 7 } })));
    const queue = queueTelling(() => answer);
    const { registry } = createMetrics(queue);
    expect(await registry.metrics()).toContain('mapsign_signed_bytes_total 7');
    expect(queue.reads).toBe(1);
    answer = Promise.reject(new Error('Redis is away'));
    const text = await registry.metrics();
    expect(queue.reads).toBe(2);
    expect(text).toContain('mapsign_signed_bytes_total 7');
    expect(text).toContain('mapsign_job_duration_seconds_count{queue="sign-sheet",outcome="completed"} 1');
  });
});
