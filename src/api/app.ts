// The HTTP server: Fastify with streaming multipart uploads, bearer API keys, problem+json
// errors, a rate limit on public verification, Prometheus metrics and OpenAPI 3.1 at /docs,
// generated from the route schemas. `buildApp(deps)` is what tests drive with app.inject().

import { randomUUID } from 'node:crypto';
import fastifyMultipart from '@fastify/multipart';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import { MapsignError } from '../errors.js';
import type { AppDeps } from './deps.js';
import { installErrorHandler } from './error-handler.js';
import { installAuth } from './plugins/auth.js';
import { createMetrics, installMetrics } from './plugins/metrics.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerSheetRoutes } from './routes/sheets.js';
import { registerSignRequestRoutes } from './routes/sign-requests.js';
import { registerTaskRoutes } from './routes/tasks.js';
import { registerVerifyRoutes } from './routes/verify.js';
import { registerWebRoutes } from './routes/web.js';
import { problemSchema } from './schemas.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Paths pino removes from every log line: keys and secrets never reach the logs. */
export const LOG_REDACTIONS = ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', '*.authorization', '*.password', '*.key', '*.secret', '*.webhookSecret'];

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.loggerInstance ? undefined : (deps.logger ?? false),
    loggerInstance: deps.loggerInstance,
    requestIdHeader: 'x-request-id',
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: 1024 * 1024,
    trustProxy: false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true } },
  });
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  installErrorHandler(app);
  app.addSchema(problemSchema);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'mapsign',
        version: '1',
        description:
          'PAdES signing, verification and archive of cadastral map sheets. Errors are application/problem+json (RFC 9457) with a stable `code` (docs/errors.md). ' +
          'Calls that create something take an Idempotency-Key header. Callbacks follow Standard Webhooks.',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'mapsign API key: `msk_…` (mapsign keys create)' } } },
      tags: [
        { name: 'sign-requests', description: 'Dossier systems submit sheets and follow them' },
        { name: 'sheets', description: 'The archive of signed sheets' },
        { name: 'verify', description: 'Public verification' },
        { name: 'staff', description: 'Staff sign waiting sheets with their own key' },
        { name: 'health', description: 'Probes' },
      ],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json['$id'] === 'string' ? json['$id'] : `def-${i}`) },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  await app.register(fastifyMultipart, { throwFileSizeLimit: true, limits: { fileSize: deps.limits.maxUploadBytes + 1 } });
  await app.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => new MapsignError('RATE_LIMITED', `too many requests; try again in ${Math.ceil(context.ttl / 1000)} s`, { details: { limit: Number(context.max), retryAfterSeconds: Math.ceil(context.ttl / 1000) } }),
  });

  installAuth(app, deps.keys);
  const metrics = deps.metrics ?? createMetrics(deps.service.queue);
  installMetrics(app, metrics);
  const routeDeps = { ...deps, metrics };
  registerHealthRoutes(app, routeDeps);
  registerSignRequestRoutes(app, routeDeps);
  registerSheetRoutes(app, routeDeps);
  registerVerifyRoutes(app, routeDeps);
  registerTaskRoutes(app, routeDeps);
  registerWebRoutes(app, routeDeps);
  return app;
}
