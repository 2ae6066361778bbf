// /healthz (the process answers), /readyz (the queue and the archive catalog answer).

import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../deps.js';

export function registerHealthRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get('/healthz', { schema: { tags: ['health'], summary: 'Liveness', response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } }, async () => ({ status: 'ok' }));
  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        summary: 'Readiness: queue and archive catalog',
        response: { 200: { type: 'object', additionalProperties: true }, 503: { type: 'object', additionalProperties: true } },
      },
    },
    async (_request, reply) => {
      const queue = await deps.service.queue.isReady().catch(() => false);
      const archive = await deps.archive.catalog
        .auditHead()
        .then(() => true)
        .catch(() => false);
      const isReady = queue && archive;
      return reply.code(isReady ? 200 : 503).send({ status: isReady ? 'ready' : 'not-ready', checks: { queue: queue ? 'ok' : 'down', archive: archive ? 'ok' : 'down' }, queueBackend: deps.service.queue.backend });
    },
  );
}
