// The web pages (src/web/public): plain HTML, CSS and ES modules served as they are, no bundler,
// no CDN. `/` and `/v/:code` are the public verification page, `/staff` the staff pages; the files
// themselves under `/web/<name>`, names checked against a strict pattern (no path traversal).
// GET /v1/public/sheets/:id is the QR code's read-only lookup: the archived record and its
// stored verification, without dossier-system details.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { MapsignError } from '../../errors.js';
import type { AppDeps } from '../deps.js';

const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' };
const FILE_NAME = /^[a-z0-9-]+\.(html|js|css|svg)$/;

/** src/web/public next to this module (tsx), or the sources' folder when running from dist/. */
function webRoot(): string {
  const candidates = [new URL('../../web/public/', import.meta.url), new URL('../../../../src/web/public/', import.meta.url)].map((url) => fileURLToPath(url));
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0]!;
}

export function registerWebRoutes(app: FastifyInstance, deps: AppDeps): void {
  const root = webRoot();
  const send = async (name: string, reply: import('fastify').FastifyReply) => {
    const match = FILE_NAME.exec(name);
    if (!match) throw new MapsignError('INPUT_NOT_FOUND', `no page ${name}`);
    const body = await readFile(join(root, name)).catch(() => null);
    if (!body) throw new MapsignError('INPUT_NOT_FOUND', `no page ${name}`);
    return reply.type(TYPES[match[1]!]!).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').send(body);
  };
  const hidden = { schema: { hide: true } };
  app.get('/', hidden, async (_request, reply) => send('index.html', reply));
  app.get('/v/:code', hidden, async (_request, reply) => send('index.html', reply));
  app.get('/staff', hidden, async (_request, reply) => send('staff.html', reply));
  app.get<{ Params: { name: string } }>('/web/:name', hidden, async (request, reply) => send(request.params.name, reply));

  app.get<{ Params: { id: number } }>(
    '/v1/public/sheets/:id',
    { schema: { tags: ['verify'], summary: 'An archived sheet by the code of its QR stamp (public, read-only)', params: { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] } } },
    async (request) => {
      const sheet = await deps.archive.getSheet(request.params.id);
      const m = sheet.metadata;
      return {
        id: sheet.id,
        status: sheet.status,
        revision: sheet.revision,
        sha256: sheet.sha256,
        size: sheet.size,
        signedAt: sheet.signedAt,
        archivedAt: sheet.archivedAt,
        metadata: { documentKind: m.documentKind, province: m.province, commune: m.commune, sheetNumber: m.sheetNumber, parcelNumbers: m.parcelNumbers, scale: m.scale, decisionRef: m.decisionRef },
        signatures: sheet.signatures,
        revisions: sheet.revisions.map((r) => ({ revision: r.revision, sha256: r.sha256, size: r.size })),
        verification: sheet.verification,
      };
    },
  );
}
