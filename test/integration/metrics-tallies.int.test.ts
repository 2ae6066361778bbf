// GET /metrics reads job figures from the tallies kept where the jobs run: with BullMQ an API that
// runs no worker shows what a worker of another queue instance (another process in production)
// recorded in Redis under the prefix; with the embedded queue the service shows its own runs. In
// both, a completed sign-sheet run, a retried failure and a final failure give the same text.

import { afterEach, describe, expect, it } from 'vitest';
import { MapsignError } from '../../src/errors.js';
import { BullmqQueue, type JobHandler, type JobQueue } from '../../src/queue/index.js';
import { REDIS_URL, startTestService, waitFor, type TestService } from '../support/service.js';

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `slow` signs 4096 bytes in about 700 ms; `flaky` meets a TSA outage, then signs 1000 bytes; `locked` cannot be signed. */
const signSheets: JobHandler = {
  async process(job) {
    if (job.id === 'slow') return (await sleep(700), { bytesSigned: 4096 });
    if (job.id === 'flaky' && job.attempt === 1) throw new MapsignError('TSA_UNAVAILABLE', 'the TSA did not answer (test)');
    if (job.id === 'flaky') return { bytesSigned: 1000 };
    throw new MapsignError('PDF_ENCRYPTED', 'the sheet is encrypted (test)');
  },
  onFinalFailure: async () => undefined,
};

async function runSheets(queue: JobQueue): Promise<void> {
  for (const id of ['slow', 'flaky', 'locked']) await queue.addFlow({ kind: 'sign-sheet', id, data: {}, children: [], onFailure: 'ignore' });
}

async function startService(redis: boolean): Promise<TestService> {
  const service = await startTestService({ redis, runWorkers: false, env: { MAPSIGN_BACKOFF_MS: '50' } });
  cleanups.push(() => service.close());
  return service;
}

/** The /metrics text once it shows both runs of `flaky` and the failure of `locked` (tallies are written after a job ends). */
async function scrapeWhenTallied(service: TestService): Promise<string> {
  return waitFor(async () => {
    const text = (await service.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${service.keys.metrics}` } })).body;
    return /mapsign_signatures_total 2\n/.test(text) && /PDF_ENCRYPTED/.test(text) ? text : undefined;
  }, 20_000, 'the tallies of three sign-sheet jobs');
}

function expectTalliedSheets(text: string): void {
  expect(text).toContain('mapsign_signed_bytes_total 5096\n');
  expect(text).toContain('mapsign_signatures_total 2\n');
  expect(text).toContain('mapsign_job_failures_total{queue="sign-sheet",code="TSA_UNAVAILABLE",final="false"} 1\n');
  expect(text).toContain('mapsign_job_failures_total{queue="sign-sheet",code="PDF_ENCRYPTED",final="true"} 1\n');
  const completed = 'queue="sign-sheet",outcome="completed"';
  // The quick second run of `flaky` is under 0.5 s, `slow` over it.
  expect(text).toContain(`mapsign_job_duration_seconds_bucket{${completed},le="0.5"} 1\n`);
  expect(text).toContain(`mapsign_job_duration_seconds_bucket{${completed},le="600"} 2\n`);
  expect(text).toContain(`mapsign_job_duration_seconds_bucket{${completed},le="+Inf"} 2\n`);
  expect(text).toContain(`mapsign_job_duration_seconds_count{${completed}} 2\n`);
  expect(Number(new RegExp(`mapsign_job_duration_seconds_sum\\{${completed}\\} (\\S+)`).exec(text)?.[1])).toBeGreaterThanOrEqual(0.7);
  expect(text).toContain('mapsign_job_duration_seconds_count{queue="sign-sheet",outcome="failed"} 2\n');
}

describe('GET /metrics job figures', () => {
  it('shows what BullMQ workers of another queue instance tallied in Redis, with no worker in the API', async () => {
    const service = await startService(true);
    const worker = new BullmqQueue({ url: REDIS_URL, prefix: service.env['MAPSIGN_QUEUE_PREFIX']!, retry: { attempts: { 'sign-sheet': 3, 'archive-sheet': 1, notify: 1 }, backoffMs: 50 } });
    cleanups.push(() => worker.close({ graceMs: 1000 }));
    await worker.waitUntilReady();
    await worker.startWorker('sign-sheet', signSheets, { concurrency: 3 });
    await runSheets(worker);
    expectTalliedSheets(await scrapeWhenTallied(service));
    // Another API instance on the same prefix reads the same totals.
    const apiQueue = new BullmqQueue({ url: REDIS_URL, prefix: service.env['MAPSIGN_QUEUE_PREFIX']!, retry: { attempts: { 'sign-sheet': 1, 'archive-sheet': 1, notify: 1 }, backoffMs: 1 } });
    cleanups.push(() => apiQueue.close({ graceMs: 0 }));
    expect(await apiQueue.tallies()).toMatchObject({ signedBytes: 5096, signatures: 2 });
  });

  it('shows the embedded queue runs of this process', async () => {
    const service = await startService(false);
    await service.runtime.queue.startWorker('sign-sheet', signSheets, { concurrency: 3 });
    await runSheets(service.runtime.queue);
    expectTalliedSheets(await scrapeWhenTallied(service));
  });
});
