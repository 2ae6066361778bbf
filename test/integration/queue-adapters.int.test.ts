// The two queue adapters behind one interface, run through the same contract: the embedded
// adapter (SQLite) and the BullMQ adapter on the local Redis with a prefix of its own per test.
// Flows run children first; retryable codes are retried with backoff, others fail at once and
// are reported once; a failed child fails its chain but not a parent that ignores it; ids dedupe.

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MapsignError } from '../../src/errors.js';
import { BullmqQueue, EmbeddedQueue, openServiceDatabase, type FlowJob, type JobHandler, type JobQueue, type QueuedJob, type WireError } from '../../src/queue/index.js';
import { REDIS_URL, removeQueueKeys, waitFor } from '../support/service.js';

const retry = { attempts: { 'sign-sheet': 3, 'archive-sheet': 3, notify: 3 }, backoffMs: 50 };
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function openEmbedded(): Promise<JobQueue> {
  const dir = await mkdtemp(join(tmpdir(), 'mapsign-adapter-'));
  const db = openServiceDatabase(join(dir, 'service.sqlite'));
  const queue = new EmbeddedQueue({ db, retry, pollMs: 50 });
  cleanups.push(async () => {
    await queue.close({ graceMs: 1000 });
    db.close();
    await rm(dir, { recursive: true, force: true });
  });
  return queue;
}

async function openBullmq(): Promise<JobQueue> {
  const prefix = `mapsign-adapter-${randomBytes(6).toString('hex')}`;
  const queue = new BullmqQueue({ url: REDIS_URL, prefix, retry, lockDurationMs: 2000, stalledIntervalMs: 1000 });
  await queue.waitUntilReady();
  cleanups.push(async () => {
    await queue.close({ graceMs: 1000 });
    await removeQueueKeys(REDIS_URL, prefix);
  });
  return queue;
}

interface Recorder extends JobHandler {
  runs: Array<{ id: string; attempt: number; at: number; parentKind: QueuedJob['parentKind'] }>;
  finals: Array<{ id: string; error: WireError }>;
}

function recorder(behaviour: (job: QueuedJob) => unknown = () => ({ ok: true })): Recorder {
  const runs: Recorder['runs'] = [];
  const finals: Recorder['finals'] = [];
  return {
    runs,
    finals,
    async process(job) {
      runs.push({ id: job.id, attempt: job.attempt, at: Date.now(), parentKind: job.parentKind });
      return behaviour(job);
    },
    async onFinalFailure(job, error) {
      finals.push({ id: job.id, error });
    },
  };
}

const leaf = (kind: FlowJob['kind'], id: string, children: FlowJob[] = [], onFailure: FlowJob['onFailure'] = 'fail-parent'): FlowJob => ({ kind, id, data: { id }, children, onFailure });

async function startAll(queue: JobQueue, handler: JobHandler): Promise<void> {
  for (const kind of ['sign-sheet', 'archive-sheet', 'notify'] as const) await queue.startWorker(kind, handler, { concurrency: 2 });
}

for (const [name, open] of [
  ['embedded', openEmbedded],
  ['bullmq', openBullmq],
] as const) {
  describe(`${name} adapter`, () => {
    it('runs a chain in order and its parent after all children', async () => {
      const queue = await open();
      const handler = recorder();
      await startAll(queue, handler);
      const chain = (s: string): FlowJob => leaf('archive-sheet', `a1-${s}`, [leaf('sign-sheet', `s1-${s}`, [leaf('archive-sheet', `a0-${s}`, [leaf('sign-sheet', `s0-${s}`)])])], 'ignore');
      await queue.addFlow(leaf('notify', 'n', [chain('x'), chain('y')]));
      await waitFor(async () => (handler.runs.some((r) => r.id === 'n') ? true : undefined), 20_000, 'the parent');
      const order = handler.runs.map((r) => r.id);
      for (const s of ['x', 'y']) {
        expect(order.indexOf(`s0-${s}`)).toBeLessThan(order.indexOf(`a0-${s}`));
        expect(order.indexOf(`a0-${s}`)).toBeLessThan(order.indexOf(`s1-${s}`));
        expect(order.indexOf(`s1-${s}`)).toBeLessThan(order.indexOf(`a1-${s}`));
        expect(order.indexOf(`a1-${s}`)).toBeLessThan(order.indexOf('n'));
      }
      expect(order).toHaveLength(9);
      // Each job learns the kind of the job that waits for it.
      const parentOf = new Map(handler.runs.map((r) => [r.id, r.parentKind]));
      expect([parentOf.get('s0-x'), parentOf.get('a0-x'), parentOf.get('s1-x'), parentOf.get('a1-x'), parentOf.get('n')]).toEqual(['archive-sheet', 'sign-sheet', 'archive-sheet', 'notify', null]);
      const counts = await queue.counts();
      expect(counts['sign-sheet'].completed + counts['archive-sheet'].completed + counts.notify.completed).toBe(9);
    });

    it('retries a retryable code with growing delays, then reports the final failure once', async () => {
      const queue = await open();
      const handler = recorder(() => {
        throw new MapsignError('TSA_UNAVAILABLE', 'down');
      });
      await startAll(queue, handler);
      await queue.addFlow(leaf('sign-sheet', 'flaky'));
      await waitFor(async () => (handler.finals.length > 0 ? true : undefined), 20_000, 'the final failure');
      expect(handler.runs.map((r) => r.attempt)).toEqual([1, 2, 3]);
      expect(handler.runs[2]!.at - handler.runs[1]!.at).toBeGreaterThanOrEqual(handler.runs[1]!.at - handler.runs[0]!.at - 20);
      expect(handler.runs[2]!.at - handler.runs[1]!.at).toBeGreaterThanOrEqual(90);
      expect(handler.finals).toEqual([{ id: 'flaky', error: { code: 'TSA_UNAVAILABLE', message: 'down', details: {} } }]);
    });

    it('fails a non-retryable code at once, fails the chain above it, and still runs a parent that ignores it', async () => {
      const queue = await open();
      const handler = recorder((job) => {
        if (job.id === 's0-bad') throw new MapsignError('PDF_ENCRYPTED', 'encrypted');
        return { ok: true };
      });
      await startAll(queue, handler);
      const chain = (s: string): FlowJob => leaf('archive-sheet', `a0-${s}`, [leaf('sign-sheet', `s0-${s}`)], 'ignore');
      await queue.addFlow(leaf('notify', 'n2', [chain('bad'), chain('good')]));
      await waitFor(async () => (handler.runs.some((r) => r.id === 'n2') ? true : undefined), 20_000, 'the parent');
      const ids = handler.runs.map((r) => r.id);
      expect(ids.filter((id) => id === 's0-bad')).toHaveLength(1);
      expect(ids).not.toContain('a0-bad');
      expect(ids).toContain('a0-good');
      expect(handler.finals.map((f) => [f.id, f.error.code])).toEqual([['s0-bad', 'PDF_ENCRYPTED']]);
      expect((await queue.counts())['sign-sheet'].failed).toBe(1);
    });

    it('adds nothing for an id that exists', async () => {
      const queue = await open();
      const handler = recorder();
      await startAll(queue, handler);
      await queue.addFlow(leaf('notify', 'once'));
      await waitFor(async () => (handler.runs.length === 1 ? true : undefined), 20_000, 'the job');
      await queue.addFlow(leaf('notify', 'once'));
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(handler.runs).toHaveLength(1);
      expect(await queue.isReady()).toBe(true);
    });
  });
}
