// Archived sheets: search (GET /v1/sheets?q=…), one sheet, its file (streamed, Range), and its
// verification report. Staff see every sheet; a dossier system only the sheets of its requests.

import type { FastifyInstance, FastifyReply } from 'fastify';
import { MapsignError } from '../../errors.js';
import { formatReport, type VerifyReport } from '../../verify/index.js';
import type { Principal } from '../auth-store.js';
import type { AppDeps } from '../deps.js';
import { principalOf, requireScope } from '../plugins/auth.js';
import { parseRange } from '../range.js';
import { anyObject, errorResponses } from '../schemas.js';

interface SheetParams {
  id: number;
}

const idParams = { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] } as const;

export async function assertSheetAccess(deps: AppDeps, principal: Principal, sheetId: number): Promise<void> {
  if (principal.kind === 'staff') return;
  if (!(await deps.service.store.hasSheetAccess(principal.name, sheetId))) {
    throw new MapsignError('ARCHIVE_NOT_FOUND', `no sheet ${sheetId} in the archive`, { details: { sheetId } });
  }
}

export function sendReport(reply: FastifyReply, report: VerifyReport, format: string | undefined, lang: 'vi' | 'en', body: Record<string, unknown>): FastifyReply {
  if (format === 'text') return reply.type('text/plain; charset=utf-8').send(formatReport(report, lang));
  return reply.send(body);
}

export function registerSheetRoutes(app: FastifyInstance, deps: AppDeps): void {
  const read = requireScope('sheets:read', { allowStaff: true });

  app.get<{ Querystring: Record<string, string | number | undefined> }>(
    '/v1/sheets',
    {
      preHandler: read,
      schema: {
        tags: ['sheets'],
        summary: 'Search archived sheets',
        description: 'Vietnamese typed without diacritics finds the marked text ("vung tau" → "Vũng Tàu"); "to 25 thua 112", dossier and procedure codes, serials and hashes are exact keys (docs/archive.md).',
        security: [{ apiKey: [] }],
        querystring: {
          type: 'object',
          properties: {
            q: { type: 'string', maxLength: 500 },
            commune: { type: 'string', maxLength: 200 },
            kind: { type: 'string' },
            status: { type: 'string' },
            signer: { type: 'string', maxLength: 200 },
            from: { type: 'string' },
            to: { type: 'string' },
            sort: { type: 'string', enum: ['archived', 'signed', 'dossier'] },
            order: { type: 'string', enum: ['asc', 'desc'] },
            limit: { type: 'integer', minimum: 1, maximum: 100 },
            cursor: { type: 'string', maxLength: 500 },
          },
          additionalProperties: false,
        },
        response: { 200: anyObject, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const q = request.query;
      const text = (name: string): string | undefined => (q[name] === undefined ? undefined : String(q[name]));
      const result = await deps.archive.search({
        text: text('q'),
        commune: text('commune'),
        documentKind: text('kind'),
        status: text('status'),
        signer: text('signer'),
        from: text('from'),
        to: text('to'),
        sort: text('sort'),
        order: text('order'),
        limit: q['limit'] === undefined ? undefined : Number(q['limit']),
        cursor: text('cursor'),
      });
      // A system's page holds only its own sheets (so it may be shorter than `limit`; follow nextCursor).
      const items = [];
      for (const item of result.items) if (principal.kind === 'staff' || (await deps.service.store.hasSheetAccess(principal.name, item.id))) items.push(item);
      return { items: items.map((item) => ({ ...item, fileUrl: `/v1/sheets/${item.id}/file` })), nextCursor: result.nextCursor, interpreted: result.interpreted };
    },
  );

  app.get<{ Params: SheetParams }>(
    '/v1/sheets/:id',
    {
      preHandler: read,
      schema: { tags: ['sheets'], summary: 'An archived sheet with its revisions and signatures', security: [{ apiKey: [] }], params: idParams, response: { 200: anyObject, ...errorResponses(401, 403, 404) } },
    },
    async (request) => {
      await assertSheetAccess(deps, principalOf(request), request.params.id);
      return deps.archive.getSheet(request.params.id);
    },
  );

  app.get<{ Params: SheetParams; Querystring: { revision?: number } }>(
    '/v1/sheets/:id/file',
    {
      preHandler: read,
      schema: {
        tags: ['sheets'],
        summary: 'Download a signed sheet (streamed; Range supported)',
        security: [{ apiKey: [] }],
        params: idParams,
        querystring: { type: 'object', properties: { revision: { type: 'integer', minimum: 1 } } },
        response: {
          200: { description: 'The PDF', content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } } },
          206: { description: 'Part of the PDF', content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } } },
          ...errorResponses(401, 403, 404, 416),
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      await assertSheetAccess(deps, principal, request.params.id);
      const sheet = await deps.archive.getSheet(request.params.id);
      const wanted = sheet.revisions.find((r) => r.revision === (request.query.revision ?? sheet.revision));
      if (!wanted) throw new MapsignError('ARCHIVE_NOT_FOUND', `sheet ${sheet.id} has no revision ${request.query.revision}`, { details: { sheetId: sheet.id } });
      const etag = `"${wanted.sha256}"`;
      const range = request.headers['if-range'] === undefined || request.headers['if-range'] === etag ? parseRange(request.headers.range, wanted.size) : null;
      const opened = await deps.archive.openFile(sheet.id, { revision: wanted.revision, range: range ?? undefined, actor: `${principal.kind}:${principal.name}` });
      void reply
        .header('accept-ranges', 'bytes')
        .header('etag', etag)
        .header('content-disposition', `attachment; filename="sheet-${sheet.id}-r${wanted.revision}.pdf"`)
        .header('x-content-sha256', wanted.sha256)
        .type('application/pdf');
      if (range) {
        void reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${wanted.size}`).header('content-length', String(range.end - range.start + 1));
      } else {
        void reply.header('content-length', String(wanted.size));
      }
      return reply.send(opened.stream);
    },
  );

  app.get<{ Params: SheetParams; Querystring: { revision?: number; format?: string; lang?: 'vi' | 'en' } }>(
    '/v1/sheets/:id/verification',
    {
      preHandler: read,
      schema: {
        tags: ['sheets'],
        summary: 'Verification report of an archived sheet (stored, or made now)',
        security: [{ apiKey: [] }],
        params: idParams,
        querystring: {
          type: 'object',
          properties: { revision: { type: 'integer', minimum: 1 }, format: { type: 'string', enum: ['json', 'text'] }, lang: { type: 'string', enum: ['vi', 'en'], default: 'vi' } },
        },
        response: { 200: anyObject, ...errorResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await assertSheetAccess(deps, principalOf(request), request.params.id);
      const sheet = await deps.archive.getSheet(request.params.id);
      const revision = request.query.revision ?? sheet.revision;
      if (!sheet.revisions.some((r) => r.revision === revision)) throw new MapsignError('ARCHIVE_NOT_FOUND', `sheet ${sheet.id} has no revision ${revision}`, { details: { sheetId: sheet.id } });
      const stored = sheet.verification;
      let result: { verifiedAt: string; isValid: boolean; report: VerifyReport; isStored: boolean };
      if (stored && stored.revision === revision) {
        result = { verifiedAt: stored.verifiedAt, isValid: stored.isValid, report: stored.report as VerifyReport, isStored: true };
      } else {
        const opened = await deps.archive.openFile(sheet.id, { revision });
        const copy = await deps.files.put(opened.stream);
        try {
          const report = await deps.verifyFile(deps.files.pathOf(copy.sha256));
          const isValid = report.verdict.indication === 'PASSED';
          if (deps.isTrustConfigured) await deps.archive.recordVerification(sheet.id, { revision, isValid, report, actor: 'mapsign-api' });
          result = { verifiedAt: report.validationTime, isValid, report, isStored: deps.isTrustConfigured };
        } finally {
          if (copy.isNew) await deps.files.remove(copy.sha256).catch(() => undefined);
        }
      }
      result.report.file.name = `sheet-${sheet.id}-r${revision}.pdf`;
      return sendReport(reply, result.report, request.query.format, request.query.lang ?? 'vi', { sheetId: sheet.id, revision, ...result });
    },
  );
}
