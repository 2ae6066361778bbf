// The BullMQ adapter (REDIS_URL): one queue per job kind, each request's jobs added as a flow
// (sign → archive → … → notify), workers in separate processes. Only here does a code's
// `retryable: false` become BullMQ's UnrecoverableError; errors cross processes as the JSON of
// `{code, message, details}` in the failed reason. Stalled jobs (a worker killed mid-job) go back
// to the queue when their lock runs out. Each worker adds the runs it ends to one hash of tallies
// (`<prefix>:metrics`) that the API reads on a scrape.

import { FlowProducer, Queue, UnrecoverableError, Worker, type ConnectionOptions, type FlowJob as BullFlowJob, type Job, type JobsOptions, type RedisClient } from 'bullmq';
import { MapsignError } from '../errors.js';
import { emptyCounts, JOB_STATES, type FlowJob, type JobCounts, type JobHandler, type JobQueue, type RetryPolicy, type WorkerOptions } from './adapter.js';
import { readTallyFields, tallyIncrements, type JobOutcome, type JobTallies } from './job-tallies.js';
import { JOB_KINDS, type JobKind } from './jobs/index.js';
import { decodeWireError, encodeWireError, toMapsignError } from './wire-error.js';

export interface BullmqQueueOptions {
  /** redis:// URL. */
  url: string;
  /** Prefix of every key (default `mapsign`); tests give each test its own. */
  prefix: string;
  retry: RetryPolicy;
  /** Lock of a running job; renewed while it runs. A killed worker's job is stalled once it lapses. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** Deadline of one enqueue before it fails with QUEUE_UNAVAILABLE. Default 5 s. */
  enqueueTimeoutMs?: number;
}

const KEEP_COMPLETED = { age: 7 * 24 * 3600, count: 100_000 };
const KEEP_FAILED = { age: 30 * 24 * 3600 };

function unavailable(error: unknown): MapsignError {
  if (error instanceof MapsignError) return error;
  return new MapsignError('QUEUE_UNAVAILABLE', `the job queue (Redis) did not answer: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new MapsignError('QUEUE_UNAVAILABLE', `${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class BullmqQueue implements JobQueue {
  readonly backend = 'bullmq' as const;
  private readonly producerConnection: ConnectionOptions;
  private readonly workerConnection: ConnectionOptions;
  private readonly queues = new Map<JobKind, Queue>();
  private readonly flows: FlowProducer;
  private readonly workers: Worker[] = [];
  private readonly enqueueTimeoutMs: number;
  private readonly talliesKey: string;

  constructor(private readonly options: BullmqQueueOptions) {
    // Producers fail fast while Redis is away (the caller answers 503 and the request is enqueued
    // again later); workers wait for it to come back.
    this.producerConnection = { url: options.url, enableOfflineQueue: false, maxRetriesPerRequest: 1 };
    this.workerConnection = { url: options.url, maxRetriesPerRequest: null };
    this.enqueueTimeoutMs = options.enqueueTimeoutMs ?? 5000;
    for (const kind of JOB_KINDS) this.queues.set(kind, new Queue(kind, { connection: this.producerConnection, prefix: options.prefix }));
    this.flows = new FlowProducer({ connection: this.producerConnection, prefix: options.prefix });
    for (const queue of this.queues.values()) queue.on('error', () => undefined);
    this.flows.on('error', () => undefined);
    this.talliesKey = `${options.prefix}:metrics`;
  }

  /** Waits until the producer connections are up (they do not queue commands while offline). */
  async waitUntilReady(): Promise<void> {
    await withTimeout(Promise.all([...this.queues.values()].map((q) => q.waitUntilReady()).concat([this.flows.waitUntilReady().then(() => undefined)])), this.enqueueTimeoutMs * 2, 'connecting to Redis').catch((error: unknown) => {
      throw unavailable(error);
    });
  }

  private jobOptions(job: FlowJob, isChild: boolean): JobsOptions {
    const options: JobsOptions = {
      jobId: job.id,
      attempts: this.options.retry.attempts[job.kind],
      backoff: { type: 'exponential', delay: this.options.retry.backoffMs },
      removeOnComplete: KEEP_COMPLETED,
      removeOnFail: KEEP_FAILED,
    };
    if (isChild) {
      if (job.onFailure === 'ignore') options.ignoreDependencyOnFailure = true;
      else options.failParentOnFailure = true;
    }
    return options;
  }

  private toBull(job: FlowJob, isChild: boolean): BullFlowJob {
    const node = { name: job.kind, queueName: job.kind, data: job.data, opts: this.jobOptions(job, isChild) };
    return job.children.length > 0 ? { ...node, children: job.children.map((child) => this.toBull(child, true)) } : node;
  }

  async addFlow(flow: FlowJob): Promise<void> {
    try {
      if (flow.children.length === 0) {
        await withTimeout(this.queues.get(flow.kind)!.add(flow.kind, flow.data, this.jobOptions(flow, false)), this.enqueueTimeoutMs, 'adding a job');
      } else {
        await withTimeout(this.flows.add(this.toBull(flow, false)), this.enqueueTimeoutMs, 'adding a flow');
      }
    } catch (error) {
      throw unavailable(error);
    }
  }

  async startWorker(kind: JobKind, handler: JobHandler, options: WorkerOptions): Promise<void> {
    const worker = new Worker(
      kind,
      async (job: Job) => {
        const attempt = job.attemptsMade + 1;
        const maxAttempts = job.opts.attempts ?? 1;
        try {
          return await handler.process({
            kind,
            id: job.id ?? '',
            data: job.data as unknown,
            attempt,
            maxAttempts,
            parentKind: this.kindOfQueueKey(job.parent?.queueKey),
            reportProgress: (fraction) => job.updateProgress(Math.round(fraction * 100)),
          });
        } catch (thrown) {
          const error = toMapsignError(thrown);
          if (!error.spec.retryable || attempt >= maxAttempts) {
            await handler.onFinalFailure({ kind, id: job.id ?? '', data: job.data as unknown }, error.toJSON()).catch(() => undefined);
            throw new UnrecoverableError(encodeWireError(error));
          }
          throw new Error(encodeWireError(error), { cause: thrown });
        }
      },
      {
        connection: this.workerConnection,
        prefix: this.options.prefix,
        concurrency: options.concurrency,
        lockDuration: this.options.lockDurationMs ?? 30_000,
        stalledInterval: this.options.stalledIntervalMs ?? 30_000,
        maxStalledCount: 2,
      },
    );
    worker.on('error', () => undefined);
    worker.on('failed', (job, error) => {
      if (!job) return;
      const wire = decodeWireError(error.message);
      const isOurs = error.message.startsWith('{');
      // A job failed by BullMQ itself (stalled too often) never reached the handler's catch; a
      // parent failed with its child ("child … failed") was recorded through that child.
      if (!isOurs && !/^child .* failed/.test(error.message)) {
        void handler.onFinalFailure({ kind, id: job.id ?? '', data: job.data as unknown }, wire).catch(() => undefined);
      }
      const isFinal = !isOurs || error instanceof UnrecoverableError || error.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
      this.addToTallies({ type: 'failed', kind, durationMs: runDurationMs(job), code: wire.code, isFinal });
    });
    worker.on('completed', (job, result: unknown) => {
      this.addToTallies({ type: 'completed', kind, durationMs: runDurationMs(job), result });
    });
    this.workers.push(worker);
    await worker.waitUntilReady();
  }

  /**
   * Adds one ended run to the shared tallies in one MULTI round trip, not awaited: metrics must
   * never hold up or fail a job. While Redis is away the producer connection fails at once and the
   * run goes uncounted.
   */
  private addToTallies(outcome: JobOutcome): void {
    const increments = Object.entries(tallyIncrements(outcome));
    if (increments.length === 0) return;
    void this.redisClient()
      .then((client) => {
        const transaction = client.multi();
        // HINCRBYFLOAT for every field: Redis adds in long double, exact for integers below 2^64.
        for (const [field, by] of increments) transaction.runCommand('hincrbyfloat', [this.talliesKey, field, by]);
        return transaction.exec();
      })
      .catch(() => undefined);
  }

  /** The producer connection (fails at once while Redis is away, unlike the workers'). */
  private redisClient(): Promise<RedisClient> {
    return this.queues.get('sign-sheet')!.backend.client;
  }

  async counts(): Promise<JobCounts> {
    const counts = emptyCounts();
    for (const kind of JOB_KINDS) {
      const raw = await withTimeout(this.queues.get(kind)!.getJobCounts(...JOB_STATES, 'prioritized'), this.enqueueTimeoutMs, 'counting jobs').catch((error: unknown) => {
        throw unavailable(error);
      });
      for (const state of JOB_STATES) counts[kind][state] = raw[state] ?? 0;
      counts[kind].waiting += raw['prioritized'] ?? 0;
    }
    return counts;
  }

  /** A job's state and failure, for tests and tools. */
  async getJob(kind: JobKind, id: string): Promise<{ state: string; attemptsMade: number; failedReason: string | null } | null> {
    const job = await this.queues.get(kind)!.getJob(id);
    if (!job) return null;
    return { state: await job.getState(), attemptsMade: job.attemptsMade, failedReason: job.failedReason ?? null };
  }

  async tallies(): Promise<JobTallies> {
    const client = await withTimeout(this.redisClient(), this.enqueueTimeoutMs, 'connecting to Redis').catch((error: unknown) => {
      throw unavailable(error);
    });
    const fields = await withTimeout(client.hgetall(this.talliesKey), this.enqueueTimeoutMs, 'reading the job tallies').catch((error: unknown) => {
      throw unavailable(error);
    });
    return readTallyFields(fields);
  }

  async isReady(): Promise<boolean> {
    try {
      const client = (await withTimeout(this.redisClient(), 2000, 'connecting to Redis')) as unknown as { ping(): Promise<string> };
      return (await withTimeout(client.ping(), 2000, 'pinging Redis')) === 'PONG';
    } catch {
      return false;
    }
  }

  /** The job kind of a queue key (`<prefix>:<queue name>`), null for another prefix or queue. */
  private kindOfQueueKey(queueKey: string | undefined): JobKind | null {
    const start = `${this.options.prefix}:`;
    if (queueKey === undefined || !queueKey.startsWith(start)) return null;
    const name = queueKey.slice(start.length);
    return (JOB_KINDS as readonly string[]).includes(name) ? (name as JobKind) : null;
  }

  /** Removes every key of this prefix (tests). */
  async obliterate(): Promise<void> {
    for (const queue of this.queues.values()) await queue.obliterate({ force: true });
    await (await this.redisClient()).del(this.talliesKey);
  }

  async close(options: { graceMs?: number } = {}): Promise<void> {
    const grace = options.graceMs ?? 30_000;
    // Worker.close waits for running jobs; past the grace period force it: their locks lapse and
    // the stalled check of another worker takes them.
    await Promise.all(
      this.workers.map((worker) =>
        Promise.race([worker.close(), new Promise<void>((resolve) => setTimeout(resolve, grace).unref())]).then(() => worker.close(true).catch(() => undefined)),
      ),
    );
    await this.flows.close().catch(() => undefined);
    await Promise.all([...this.queues.values()].map((queue) => queue.close().catch(() => undefined)));
  }
}

/** How long the run that just ended took; a run retried later has no finishedOn yet. */
function runDurationMs(job: Job): number | null {
  return job.processedOn ? (job.finishedOn ?? Date.now()) - job.processedOn : null;
}
