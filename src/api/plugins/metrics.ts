// Prometheus metrics (names mapsign_<thing>_<unit>): jobs by queue and state (read from the queue
// on every scrape), job durations, bytes signed, failures by code, and HTTP request durations.
// GET /metrics needs an API key with the `metrics` scope (a bearer token in Prometheus'
// `authorization` setting): the figures say who submits what and how the service is doing.

import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { JOB_STATES, type JobEvent, type JobQueue } from '../../queue/index.js';
import { requireScope } from './auth.js';

export interface ServiceMetrics {
  registry: Registry;
  requestsAccepted: Counter<'outcome'>;
  /** Stops listening to the queue. */
  stop(): void;
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
  const durations = new Histogram({
    name: 'mapsign_job_duration_seconds',
    help: 'Time a job ran, by kind and outcome',
    labelNames: ['queue', 'outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers: [registry],
  });
  const signedBytes = new Counter({ name: 'mapsign_signed_bytes_total', help: 'Bytes of sheets signed', registers: [registry] });
  const signedSheets = new Counter({ name: 'mapsign_signatures_total', help: 'Signatures applied to sheets', registers: [registry] });
  const failures = new Counter({
    name: 'mapsign_job_failures_total',
    help: 'Failed job runs by kind, error code and whether the job will be retried',
    labelNames: ['queue', 'code', 'final'] as const,
    registers: [registry],
  });
  const requestsAccepted = new Counter({ name: 'mapsign_sign_requests_total', help: 'Signing requests accepted (new) or answered again (replayed)', labelNames: ['outcome'] as const, registers: [registry] });
  const stop = queue.onEvent((event: JobEvent) => {
    if (event.type === 'completed') {
      const result = (event.result ?? {}) as { bytesSigned?: unknown; skipped?: unknown };
      if (event.durationMs !== null) durations.observe({ queue: event.kind, outcome: 'completed' }, event.durationMs / 1000);
      if (event.kind === 'sign-sheet' && typeof result.bytesSigned === 'number') {
        signedBytes.inc(result.bytesSigned);
        signedSheets.inc();
      }
    } else {
      if (event.durationMs !== null) durations.observe({ queue: event.kind, outcome: 'failed' }, event.durationMs / 1000);
      failures.inc({ queue: event.kind, code: event.error.code, final: String(event.isFinal) });
    }
  });
  return { registry, requestsAccepted, stop };
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
  app.addHook('onClose', async () => metrics.stop());
}
