// Archived sheets: search (GET /v1/sheets?q=… and filters), one sheet, its file (streamed, Range),
// its verification report and its audit trail. Staff see every sheet; a dossier system only the
// sheets of its requests.

import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AuditEntry } from '../../archive/index.js';
import { MapsignError } from '../../errors.js';
import { formatReport, type VerifyReport } from '../../verify/index.js';
import type { Principal } from '../auth-store.js';
import type { AppDeps } from '../deps.js';
import { principalOf, requireScope } from '../plugins/auth.js';
import { parseRange } from '../range.js';
import { anyObject, auditTrailSchema, errorResponses } from '../schemas.js';

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

const DEFAULT_AUDIT_LIMIT = 100;

/** An audit entry as the API shows it: its time as ISO 8601 and its details parsed. */
function toAuditView(entry: AuditEntry): Record<string, unknown> {
  let details: unknown;
  try {
    details = JSON.parse(entry.details);
  } catch {
    details = { raw: entry.details };
  }
  return { seq: entry.seq, at: new Date(entry.at).toISOString(), kind: entry.kind, sheetId: entry.sheetId, sha256: entry.sha256, actor: entry.actor, details, prevHash: entry.prevHash, hash: entry.hash };
}

/** One sheet's audit entries after `afterSeq`, oldest first, at most `limit`, and whether more follow. */
async function readSheetAudit(deps: AppDeps, sheetId: number, afterSeq: number, limit: number): Promise<{ entries: AuditEntry[]; hasMore: boolean }> {
  const entries = await deps.archive.catalog.readAudit(afterSeq, limit + 1, sheetId);
  return { entries: entries.slice(0, limit), hasMore: entries.length > limit };
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
            commune: { type: 'string', maxLength: 200, description: 'Commune, with or without diacritics and its unit word', examples: ['phuong tran bien'] },
            kind: { type: 'string', description: 'Document kind: ban-do-dia-chinh, trich-luc, trich-do-dia-chinh or ban-do-hien-trang' },
            status: { type: 'string', description: 'archived, verified or invalid' },
            signer: { type: 'string', maxLength: 200, description: "Words of a signer's name or organisation", examples: ['nguyen van an'] },
            from: { type: 'string', description: 'Latest signature on or after this day (YYYY-MM-DD, Vietnam time) or instant (ISO 8601)', examples: ['2026-07-01'] },
            to: { type: 'string', description: 'Latest signature on or before this day or instant', examples: ['2026-07-31'] },
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

  app.get<{ Params: SheetParams; Querystring: { after?: number; limit?: number } }>(
    '/v1/sheets/:id/audit',
    {
      preHandler: read,
      schema: {
        tags: ['sheets'],
        summary: 'The audit trail of an archived sheet (read-only)',
        description:
          'Entries of the hash-chained audit log about this sheet, oldest first: archived, verified, downloaded, metadata-changed, … Each names its place in the chain (`seq`, `prevHash`, `hash`); `mapsign audit verify` checks the whole chain. Pages by `after` (the `nextAfter` of the previous page).',
        security: [{ apiKey: [] }],
        params: idParams,
        querystring: {
          type: 'object',
          properties: { after: { type: 'integer', minimum: 0, default: 0 }, limit: { type: 'integer', minimum: 1, maximum: 500, default: DEFAULT_AUDIT_LIMIT } },
          additionalProperties: false,
        },
        response: { 200: auditTrailSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const sheetId = request.params.id;
      await assertSheetAccess(deps, principalOf(request), sheetId);
      await deps.archive.getSheet(sheetId);
      const { entries, hasMore } = await readSheetAudit(deps, sheetId, request.query.after ?? 0, request.query.limit ?? DEFAULT_AUDIT_LIMIT);
      return { sheetId, items: entries.map(toAuditView), nextAfter: hasMore ? entries[entries.length - 1]!.seq : null };
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
