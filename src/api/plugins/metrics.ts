// Prometheus metrics (names mapsign_<thing>_<unit>): jobs by queue and state, and job durations,
// bytes signed and failures by code from the tallies the job runners keep (both read from the queue
// on every scrape), and HTTP request durations.
// GET /metrics needs an API key with the `metrics` scope (a bearer token in Prometheus'
// `authorization` setting): the figures say who submits what and how the service is doing.

import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric, type MetricValueWithName } from 'prom-client';
import { JOB_DURATION_BUCKETS, JOB_STATES, type JobQueue, type JobTallies } from '../../queue/index.js';
import { requireScope } from './auth.js';

export interface ServiceMetrics {
  registry: Registry;
  requestsAccepted: Counter<'outcome'>;
}

export function createMetrics(queue: JobQueue): ServiceMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'mapsign_' });
  new Gauge({
    name: 'mapsign_queue_jobs',
    help: 'Jobs in each queue by state',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      try {
        const counts = await queue.counts();
        for (const [kind, byState] of Object.entries(counts)) for (const state of JOB_STATES) this.set({ queue: kind, state }, byState[state]);
      } catch {
        // The queue is away; /readyz says so. Keep the last values.
      }
    },
  });
  const readTallies = latestTallies(queue);
  registerTallied(registry, 'mapsign_job_duration_seconds', 'Time a job ran, by kind and outcome', 'histogram', readTallies, durationValues);
  registerTallied(registry, 'mapsign_signed_bytes_total', 'Bytes of sheets signed', 'counter', readTallies, (tallies) => [{ metricName: 'mapsign_signed_bytes_total', labels: {}, value: tallies.signedBytes }]);
  registerTallied(registry, 'mapsign_signatures_total', 'Signatures applied to sheets', 'counter', readTallies, (tallies) => [{ metricName: 'mapsign_signatures_total', labels: {}, value: tallies.signatures }]);
  registerTallied(registry, 'mapsign_job_failures_total', 'Failed job runs by kind, error code and whether the job will be retried', 'counter', readTallies, (tallies) =>
    tallies.failures.map((failure) => ({ metricName: 'mapsign_job_failures_total', labels: { queue: failure.kind, code: failure.code, final: String(failure.isFinal) }, value: failure.count })),
  );
  const requestsAccepted = new Counter({ name: 'mapsign_sign_requests_total', help: 'Signing requests accepted (new) or answered again (replayed)', labelNames: ['outcome'] as const, registers: [registry] });
  return { registry, requestsAccepted };
}

/**
 * The queue's tallies, read once per scrape however many metrics ask (they are collected
 * together), and the last ones read while the queue is away (/readyz says so).
 */
function latestTallies(queue: JobQueue): () => Promise<JobTallies> {
  let last: JobTallies = { durations: [], signedBytes: 0, signatures: 0, failures: [] };
  let reading: Promise<JobTallies> | null = null;
  return () =>
    (reading ??= queue
      .tallies()
      .then(
        (tallies) => (last = tallies),
        () => last,
      )
      .finally(() => (reading = null)));
}

/** Cumulative `_bucket{le}` counts ending with `+Inf`, then `_sum` and `_count`, per kind and outcome. */
function durationValues(tallies: JobTallies): MetricValueWithName<string>[] {
  const name = 'mapsign_job_duration_seconds';
  const values: MetricValueWithName<string>[] = [];
  for (const tally of tallies.durations) {
    const labels = { queue: tally.kind, outcome: tally.outcome };
    let cumulative = 0;
    JOB_DURATION_BUCKETS.forEach((bound, index) => {
      cumulative += tally.bucketCounts[index] ?? 0;
      values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: bound }, value: cumulative });
    });
    values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: tally.count });
    values.push({ metricName: `${name}_sum`, labels, value: tally.sumSeconds });
    values.push({ metricName: `${name}_count`, labels, value: tally.count });
  }
  return values;
}

/**
 * A metric whose values come whole from the tallies of the processes that ran the jobs, so it
 * cannot be a prom-client Histogram or Counter (those only count observations made here): the
 * registry needs no more than its name, help, type and `get()`.
 */
function registerTallied(registry: Registry, name: string, help: string, type: 'counter' | 'histogram', readTallies: () => Promise<JobTallies>, toValues: (tallies: JobTallies) => MetricValueWithName<string>[]): void {
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    async get() {
      return { name, help, type, aggregator: 'sum', values: toValues(await readTallies()) };
    },
    reset: () => undefined,
  };
  // prom-client's typings admit only its own classes, and declare `type` an enum where the registry reads a string.
  registry.registerMetric(metric as unknown as Metric);
}

export function installMetrics(app: FastifyInstance, metrics: ServiceMetrics): void {
  const http = new Histogram({
    name: 'mapsign_http_request_duration_seconds',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
    registers: [metrics.registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    http.observe({ route: request.routeOptions.url ?? 'unknown', method: request.method, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { preHandler: requireScope('metrics'), schema: { hide: true } }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
