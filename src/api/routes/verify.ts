// POST /v1/verify: anyone uploads a signed sheet and reads the report (JSON, or plain text in
// Vietnamese or English). Rate-limited per client; the upload is streamed to disk and removed.

import type { FastifyInstance } from 'fastify';
import { MapsignError } from '../../errors.js';
import type { AppDeps } from '../deps.js';
import { errorResponses, anyObject } from '../schemas.js';
import { receiveParts, removeUploads } from '../upload.js';
import { sendReport } from './sheets.js';

export function registerVerifyRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.post<{ Querystring: { format?: string; lang?: 'vi' | 'en' } }>(
    '/v1/verify',
    {
      attachValidation: true,
      config: {
        rateLimit: {
          max: (request: { principal: { scopes: string[] } | null }) => (request.principal?.scopes.includes('verify') ? deps.limits.verifyRatePerMinute * 10 : deps.limits.verifyRatePerMinute),
          timeWindow: 60_000,
          keyGenerator: (request: { principal: { id: string } | null; ip: string }) => (request.principal ? `key:${request.principal.id}` : `ip:${request.ip}`),
        },
      },
      schema: {
        tags: ['verify'],
        summary: 'Verify a signed sheet (public, rate-limited)',
        description: 'Multipart with one PDF file part. Answers the report (docs/verify-report.md), or its text with format=text.',
        consumes: ['multipart/form-data'],
        querystring: { type: 'object', properties: { format: { type: 'string', enum: ['json', 'text'] }, lang: { type: 'string', enum: ['vi', 'en'] } } },
        body: { type: 'object', properties: { file: { type: 'string', format: 'binary' } } },
        response: { 200: anyObject, ...errorResponses(400, 413, 415, 429) },
      },
    },
    async (request, reply) => {
      if (request.validationError && request.validationError.validationContext !== 'body') throw new MapsignError('USAGE_INVALID', request.validationError.message);
      const received = await receiveParts(request, { files: deps.files, maxFileBytes: deps.limits.maxUploadBytes, maxFiles: 1 });
      try {
        const upload = received.files[0];
        if (!upload) throw new MapsignError('USAGE_INVALID', 'send the PDF as a file part, e.g. -F file=@sheet.pdf');
        const report = await deps.verifyFile(deps.files.pathOf(upload.sha256));
        report.file.name = upload.filename || upload.part;
        const lang = request.query.lang === 'en' ? 'en' : 'vi';
        return sendReport(reply, report, request.query.format, lang, report as unknown as Record<string, unknown>);
      } finally {
        await removeUploads(deps.files, received.files);
      }
    },
  );
}
