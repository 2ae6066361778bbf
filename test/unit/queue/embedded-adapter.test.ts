import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MapsignError } from '../../../src/errors.js';
import { backoffDelay, EmbeddedQueue, openServiceDatabase, type JobHandler, type ServiceDatabase } from '../../../src/queue/index.js';
import { waitFor } from '../../support/service.js';

const retry = { attempts: { 'sign-sheet': 3, 'archive-sheet': 3, notify: 3 }, backoffMs: 100 };
let dir: string;
let db: ServiceDatabase;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-embedded-'));
  db = openServiceDatabase(join(dir, 'service.sqlite'));
});

afterEach(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
});

describe('EmbeddedQueue', () => {
  it('doubles the delay before each retry', () => {
    expect([1, 2, 3].map((attempt) => backoffDelay(retry, attempt))).toEqual([100, 200, 400]);
  });

  it('hands a job left running by a stopped queue to the next one once its lease ends', async () => {
    const first = new EmbeddedQueue({ db, retry, leaseMs: 300, pollMs: 20 });
    let started = 0;
    const hang: JobHandler = { process: () => ((started++, new Promise(() => undefined))), onFinalFailure: async () => undefined };
    await first.startWorker('sign-sheet', hang, { concurrency: 1 });
    await first.addFlow({ kind: 'sign-sheet', id: 'j1', data: {}, children: [], onFailure: 'fail-parent' });
    await waitFor(async () => (started === 1 ? true : undefined), 5000, 'the first run');
    await first.close({ graceMs: 0 });
    expect(first.getJob('j1')?.state).toBe('active');
    const second = new EmbeddedQueue({ db, retry, leaseMs: 300, pollMs: 20 });
    const runs: number[] = [];
    await second.startWorker('sign-sheet', { process: async (job) => (runs.push(job.attempt), { ok: true }), onFinalFailure: async () => undefined }, { concurrency: 1 });
    await waitFor(async () => (second.getJob('j1')?.state === 'completed' ? true : undefined), 5000, 'the resumed run');
    // The crash did not use up an attempt.
    expect(runs).toEqual([1]);
    expect((await second.counts())['sign-sheet']).toMatchObject({ completed: 1, active: 0 });
    await second.close();
  });

  it('keeps a job waiting for its children and counts a retry as delayed', async () => {
    const queue = new EmbeddedQueue({ db, retry: { ...retry, backoffMs: 60_000 }, pollMs: 20 });
    await queue.startWorker('sign-sheet', { process: async () => Promise.reject(Object.assign(new Error('x'), { code: 'TSA_UNAVAILABLE', message: 'down' })), onFinalFailure: async () => undefined }, { concurrency: 1 });
    await queue.addFlow({ kind: 'notify', id: 'parent', data: {}, onFailure: 'ignore', children: [{ kind: 'sign-sheet', id: 'child', data: {}, children: [], onFailure: 'ignore' }] });
    await waitFor(async () => ((await queue.counts())['sign-sheet'].delayed === 1 ? true : undefined), 5000, 'the retry to be scheduled');
    expect((await queue.counts()).notify['waiting-children']).toBe(1);
    expect(queue.getJob('child')).toMatchObject({ state: 'waiting', attemptsMade: 1, error: { code: 'TSA_UNAVAILABLE' } });
    await queue.close();
  });

  it('tallies the runs it ends: a completed sign-sheet with its bytes, a retried failure and a final one', async () => {
    const queue = new EmbeddedQueue({ db, retry: { ...retry, backoffMs: 10 }, pollMs: 20 });
    const handler: JobHandler = {
      process: async (job) => {
        if (job.id === 'good') return { bytesSigned: 4096 };
        if (job.attempt === 1) throw new MapsignError('TSA_UNAVAILABLE', 'down');
        throw new MapsignError('PDF_ENCRYPTED', 'locked');
      },
      onFinalFailure: async () => undefined,
    };
    await queue.startWorker('sign-sheet', handler, { concurrency: 1 });
    await queue.addFlow({ kind: 'sign-sheet', id: 'good', data: {}, children: [], onFailure: 'fail-parent' });
    await queue.addFlow({ kind: 'sign-sheet', id: 'bad', data: {}, children: [], onFailure: 'fail-parent' });
    await waitFor(async () => (queue.getJob('good')?.state === 'completed' && queue.getJob('bad')?.state === 'failed' ? true : undefined), 5000, 'both jobs to end');
    const tallies = await queue.tallies();
    expect(tallies).toMatchObject({ signedBytes: 4096, signatures: 1 });
    expect(tallies.failures.sort((a, b) => a.code.localeCompare(b.code))).toEqual([
      { kind: 'sign-sheet', code: 'PDF_ENCRYPTED', isFinal: true, count: 1 },
      { kind: 'sign-sheet', code: 'TSA_UNAVAILABLE', isFinal: false, count: 1 },
    ]);
    expect(tallies.durations.map((d) => [d.kind, d.outcome, d.count]).sort()).toEqual([
      ['sign-sheet', 'completed', 1],
      ['sign-sheet', 'failed', 2],
    ]);
    await queue.close();
  });
});
