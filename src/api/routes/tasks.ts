// Staff: GET /v1/tasks (sheets waiting for a signature of my roles), GET /v1/tasks/:id/file (the
// sheet as it stands, to review), POST /v1/tasks/sign (sign a batch with my own key).

import type { FastifyInstance } from 'fastify';
import { createReadStream } from 'node:fs';
import { MapsignError } from '../../errors.js';
import { taskIdOf, type TaskRecord } from '../../queue/index.js';
import type { AppDeps } from '../deps.js';
import { principalOf, requireStaff } from '../plugins/auth.js';
import { anyObject, errorResponses, sheetMetadataSchema } from '../schemas.js';

function toTaskView(task: TaskRecord): Record<string, unknown> {
  const id = taskIdOf(task);
  return {
    id,
    requestId: task.requestId,
    sheet: task.sheet.index,
    part: task.sheet.part,
    role: task.role,
    step: task.step,
    signaturesDone: task.sheet.step,
    metadata: task.sheet.metadata,
    sheetId: task.sheet.archiveSheetId,
    sha256: task.sheet.currentSha256,
    size: task.sheet.currentSize,
    fileUrl: `/v1/tasks/${id}/file`,
    stamp: task.stamp,
    createdAt: new Date(task.createdAt).toISOString(),
  };
}

export function registerTaskRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get<{ Querystring: { limit?: number } }>(
    '/v1/tasks',
    {
      preHandler: requireStaff,
      schema: {
        tags: ['staff'],
        summary: 'Sheets waiting for a signature of my roles',
        security: [{ apiKey: [] }],
        querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 } } },
        response: {
          200: {
            type: 'object',
            properties: { items: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, role: { type: 'string' }, metadata: sheetMetadataSchema, stamp: { type: ['object', 'null'], description: 'The visible stamp this signature will carry (the request\'s `stamp`, defaults applied), or null', additionalProperties: true } }, additionalProperties: true } } },
          },
          ...errorResponses(401, 403),
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const tasks = await deps.service.listTasks(principal.roles, request.query.limit ?? 100);
      return { items: tasks.map(toTaskView) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/tasks/:id/file',
    {
      preHandler: requireStaff,
      schema: {
        tags: ['staff'],
        summary: 'The sheet of a task as it stands, to review before signing',
        security: [{ apiKey: [] }],
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] },
        response: { 200: { description: 'The PDF', content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } } }, ...errorResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const task = (await deps.service.listTasks(principal.roles, 10_000)).find((t) => taskIdOf(t) === request.params.id);
      if (!task) throw new MapsignError('TASK_NOT_AVAILABLE', `task ${request.params.id} does not wait for a signature of your roles`);
      const size = await deps.files.has(task.sheet.currentSha256);
      if (size === null) throw new MapsignError('INPUT_NOT_FOUND', `the file of task ${request.params.id} is not in the working store`);
      return reply.type('application/pdf').header('content-length', String(size)).send(createReadStream(deps.files.pathOf(task.sheet.currentSha256)));
    },
  );

  app.post<{ Body: { tasks: string[]; signer?: string } }>(
    '/v1/tasks/sign',
    {
      preHandler: requireStaff,
      schema: {
        tags: ['staff'],
        summary: 'Sign a batch of waiting sheets with my own key',
        description: 'Each task is taken for the caller and signed by the queue with the signing key of the caller\'s account; naming another key is refused (403).',
        security: [{ apiKey: [] }],
        body: {
          type: 'object',
          required: ['tasks'],
          properties: { tasks: { type: 'array', minItems: 1, maxItems: 500, items: { type: 'string', maxLength: 64 } }, signer: { type: 'string', description: 'Must be the caller\'s own account name when given' } },
          additionalProperties: false,
        },
        response: { 202: anyObject, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      if (request.body.signer !== undefined && request.body.signer !== principal.name) {
        throw new MapsignError('AUTH_FORBIDDEN', `staff sign only with their own key; ${principal.name} cannot use ${request.body.signer}`, { details: { signer: request.body.signer } });
      }
      if (!principal.hasSigningKey) throw new MapsignError('AUTH_FORBIDDEN', `the account ${principal.name} has no signing key (mapsign keys create … --p12 FILE)`);
      const results = await deps.service.signTasks({ account: principal.name, roles: principal.roles }, request.body.tasks);
      if (!results.some((r) => r.isAccepted)) {
        const first = results[0]?.error;
        throw new MapsignError(first?.code === 'USAGE_INVALID' ? 'USAGE_INVALID' : 'TASK_NOT_AVAILABLE', first?.message ?? 'no task was taken', { details: { tasks: request.body.tasks } });
      }
      return reply.code(202).send({ results });
    },
  );
}
