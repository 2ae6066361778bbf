// POST /v1/sign-requests (multipart: a `request` JSON part and one PDF part per sheet, streamed to
// disk; Idempotency-Key required; 202) and GET /v1/sign-requests/:id (state per sheet). A dossier
// system sees only its own requests.

import type { FastifyInstance } from 'fastify';
import { newPublicCode } from '../../archive/index.js';
import { MapsignError } from '../../errors.js';
import { requestStateOf, toSignRequestView, type NewSheet } from '../../queue/index.js';
import type { AppDeps } from '../deps.js';
import { principalOf, requireScope } from '../plugins/auth.js';
import { acceptedSchema, errorResponses, signRequestUploadSchema, signRequestViewSchema } from '../schemas.js';
import { hashSignRequestBody, parseSignRequestBody, type SignRequestBody } from '../sign-request-body.js';
import { receiveParts, removeUploads } from '../upload.js';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export function registerSignRequestRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.post(
    '/v1/sign-requests',
    {
      preHandler: requireScope('sign:request'),
      attachValidation: true,
      schema: {
        tags: ['sign-requests'],
        summary: 'Submit map sheets for signing',
        description:
          'Multipart upload: a `request` part (JSON, below) and one PDF part per uploaded sheet, streamed to disk with its SHA-256 computed on the way. ' +
          'The same Idempotency-Key with the same body answers the same request; with another body, 409.',
        security: [{ apiKey: [] }],
        consumes: ['multipart/form-data'],
        headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', description: 'Required; up to 255 visible ASCII characters' } } },
        body: signRequestUploadSchema,
        response: { 202: { description: 'Accepted', ...acceptedSchema }, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422, 503) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const idempotencyKey = request.headers['idempotency-key'];
      if (typeof idempotencyKey !== 'string' || !IDEMPOTENCY_KEY.test(idempotencyKey)) {
        throw new MapsignError('IDEMPOTENCY_KEY_REQUIRED', 'POST /v1/sign-requests needs an Idempotency-Key header (1 to 255 visible ASCII characters)');
      }
      let body: SignRequestBody | null = null;
      const parse = (text: string): void => {
        body = parseSignRequestBody(text, {
          signerNames: deps.serverSigners,
          maxSheets: deps.limits.maxSheetsPerRequest,
          callbackPolicy: deps.callbackPolicy,
          stampTemplates: deps.stampTemplates,
          hasPublicUrl: Boolean(deps.publicUrl),
        });
      };
      const received = await receiveParts(request, {
        files: deps.files,
        maxFileBytes: deps.limits.maxUploadBytes,
        maxFiles: deps.limits.maxSheetsPerRequest,
        jsonPart: { name: 'request', onJson: parse },
        acceptFile: (part) => {
          const parsed = body as SignRequestBody | null;
          if (parsed && !parsed.sheets.some((s) => 'part' in s && s.part === part)) throw new MapsignError('USAGE_INVALID', `the file part ${part} is not named by any sheet of the request`);
        },
      });
      try {
        if (received.json === null || body === null) throw new MapsignError('USAGE_INVALID', 'the multipart body needs a "request" part with the JSON of the request');
        const parsed = body as SignRequestBody;
        const sheets: NewSheet[] = [];
        for (const [index, sheet] of parsed.sheets.entries()) {
          if ('part' in sheet) {
            const file = received.files.find((f) => f.part === sheet.part);
            if (!file) throw new MapsignError('USAGE_INVALID', `sheets[${index}] names the part ${sheet.part}, which the upload does not have`);
            // A file that continues an archived sheet (same dossier, kind, sheet and parcels) keeps that sheet's code.
            const publicCode = (await deps.archive.findPublicCode(sheet.metadata)) ?? newPublicCode();
            sheets.push({ part: sheet.part, sourceSheetId: null, metadata: sheet.metadata, publicCode, sha256: file.sha256, size: file.size });
          } else {
            sheets.push(await archivedSource(deps, principal, sheet.sheetId));
          }
        }
        const extra = received.files.find((f) => !parsed.sheets.some((s) => 'part' in s && s.part === f.part));
        if (extra) throw new MapsignError('USAGE_INVALID', `the file part ${extra.part} is not named by any sheet of the request`);
        const bodyHash = hashSignRequestBody(received.json, received.files);
        const { request: stored, isNew } = await deps.service.submit({
          owner: principal.name,
          idempotencyKey,
          bodyHash,
          callbackUrl: parsed.callbackUrl,
          signatures: parsed.signatures,
          sheets,
        });
        deps.metrics?.requestsAccepted.inc({ outcome: isNew ? 'new' : 'replayed' });
        const statusUrl = `/v1/sign-requests/${stored.id}`;
        if (!isNew) void reply.header('idempotent-replayed', 'true');
        return reply.code(202).header('location', statusUrl).send({ id: stored.id, status: requestStateOf(stored), statusUrl });
      } catch (error) {
        // A refused request keeps none of the files it brought (a replay brought files stored already).
        if (!(error instanceof MapsignError && error.code === 'QUEUE_UNAVAILABLE')) await removeUploads(deps.files, received.files);
        throw error;
      }
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/sign-requests/:id',
    {
      preHandler: requireScope('sign:request', { allowStaff: true }),
      schema: {
        tags: ['sign-requests'],
        summary: 'State of a signing request, per sheet',
        security: [{ apiKey: [] }],
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] },
        response: { 200: signRequestViewSchema, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const stored = /^r[0-9a-f]{24}$/.test(request.params.id) ? await deps.service.get(request.params.id) : null;
      // Another system's request is answered exactly like one that does not exist.
      if (!stored || (principal.kind !== 'staff' && stored.owner !== principal.name)) {
        throw new MapsignError('REQUEST_NOT_FOUND', `no signing request ${request.params.id}`, { details: { id: request.params.id } });
      }
      return toSignRequestView(stored);
    },
  );
}

/** The latest revision of an archived sheet as the source of the next signature, copied to the working store. */
async function archivedSource(deps: AppDeps, principal: { name: string; kind: string }, sheetId: number): Promise<NewSheet> {
  if (principal.kind !== 'staff' && !(await deps.service.store.hasSheetAccess(principal.name, sheetId))) {
    throw new MapsignError('ARCHIVE_NOT_FOUND', `no sheet ${sheetId} in the archive`, { details: { sheetId } });
  }
  const sheet = await deps.archive.getSheet(sheetId);
  const opened = await deps.archive.openFile(sheetId);
  const stored = await deps.files.put(opened.stream);
  if (stored.sha256 !== opened.sha256) throw new MapsignError('ARCHIVE_CORRUPT', `the archived file of sheet ${sheetId} hashes to ${stored.sha256}, not ${opened.sha256}`);
  return { part: null, sourceSheetId: sheetId, metadata: sheet.metadata, publicCode: sheet.publicCode, sha256: stored.sha256, size: stored.size };
}
