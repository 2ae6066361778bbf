import { describe, expect, it } from 'vitest';
import { addJobOutcome, JOB_DURATION_BUCKETS, readTallyFields, tallyIncrements, type TallyFields } from '../../../src/queue/job-tallies.js';

describe('tallyIncrements', () => {
  it('counts a run in the first bucket whose bound holds its duration and adds its seconds to the sum', () => {
    expect(tallyIncrements({ type: 'completed', kind: 'archive-sheet', durationMs: 700, result: {} })).toEqual({
      'duration:archive-sheet:completed:le:1': 1,
      'duration:archive-sheet:completed:sum': 0.7,
      'duration:archive-sheet:completed:count': 1,
    });
    expect(tallyIncrements({ type: 'completed', kind: 'notify', durationMs: 1000, result: {} })).toHaveProperty(['duration:notify:completed:le:1'], 1);
  });

  it('counts a run longer than the last bound in the overflow bucket only', () => {
    expect(tallyIncrements({ type: 'completed', kind: 'notify', durationMs: 601_000, result: {} })).toHaveProperty(['duration:notify:completed:le:+Inf'], 1);
  });

  it('counts the bytes and one signature of a completed sign-sheet run that reports bytesSigned', () => {
    expect(tallyIncrements({ type: 'completed', kind: 'sign-sheet', durationMs: 30, result: { bytesSigned: 5_242_880 } })).toMatchObject({ 'signed-bytes': 5_242_880, signatures: 1 });
    expect(tallyIncrements({ type: 'completed', kind: 'archive-sheet', durationMs: 30, result: { bytesSigned: 5 } })).not.toHaveProperty(['signed-bytes']);
    expect(tallyIncrements({ type: 'completed', kind: 'sign-sheet', durationMs: 30, result: null })).not.toHaveProperty(['signatures']);
  });

  it('counts a failure by kind, code and whether it was final, with no duration when none is known', () => {
    expect(tallyIncrements({ type: 'failed', kind: 'sign-sheet', durationMs: null, code: 'TSA_UNAVAILABLE', isFinal: false })).toEqual({ 'failure:sign-sheet:TSA_UNAVAILABLE:false': 1 });
    expect(tallyIncrements({ type: 'failed', kind: 'sign-sheet', durationMs: 20, code: 'PDF_ENCRYPTED', isFinal: true })).toMatchObject({ 'failure:sign-sheet:PDF_ENCRYPTED:true': 1, 'duration:sign-sheet:failed:count': 1 });
  });
});

describe('addJobOutcome and readTallyFields', () => {
  it('adds runs up and reads them back by kind and outcome', () => {
    const fields: TallyFields = {};
    addJobOutcome(fields, { type: 'completed', kind: 'sign-sheet', durationMs: 40, result: { bytesSigned: 1000 } });
    addJobOutcome(fields, { type: 'completed', kind: 'sign-sheet', durationMs: 2000, result: { bytesSigned: 500 } });
    addJobOutcome(fields, { type: 'failed', kind: 'sign-sheet', durationMs: 10, code: 'TSA_UNAVAILABLE', isFinal: false });
    addJobOutcome(fields, { type: 'failed', kind: 'sign-sheet', durationMs: 10, code: 'TSA_UNAVAILABLE', isFinal: false });
    const tallies = readTallyFields(fields);
    expect(tallies.signedBytes).toBe(1500);
    expect(tallies.signatures).toBe(2);
    expect(tallies.failures).toEqual([{ kind: 'sign-sheet', code: 'TSA_UNAVAILABLE', isFinal: false, count: 2 }]);
    const completed = tallies.durations.find((d) => d.outcome === 'completed')!;
    expect(completed).toMatchObject({ kind: 'sign-sheet', count: 2, sumSeconds: 2.04 });
    expect(completed.bucketCounts).toHaveLength(JOB_DURATION_BUCKETS.length + 1);
    expect(completed.bucketCounts[JOB_DURATION_BUCKETS.indexOf(0.05)]).toBe(1);
    expect(completed.bucketCounts[JOB_DURATION_BUCKETS.indexOf(2.5)]).toBe(1);
    expect(tallies.durations.find((d) => d.outcome === 'failed')).toMatchObject({ count: 2, sumSeconds: 0.02 });
  });

  it('reads the strings of a Redis hash, keeps a code holding a colon whole and skips fields it does not know', () => {
    const tallies = readTallyFields({ 'signed-bytes': '12', 'failure:notify:X:Y:true': '3', 'duration:notify:failed:le:+Inf': '1', 'duration:notify:failed:count': '1', 'duration:notify:failed:sum': '700.5', other: '9' });
    expect(tallies).toMatchObject({ signedBytes: 12, signatures: 0, failures: [{ kind: 'notify', code: 'X:Y', isFinal: true, count: 3 }] });
    expect(tallies.durations).toEqual([{ kind: 'notify', outcome: 'failed', bucketCounts: [...new Array<number>(JOB_DURATION_BUCKETS.length).fill(0), 1], sumSeconds: 700.5, count: 1 }]);
  });
});
