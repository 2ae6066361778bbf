// The web pages, as Vite builds them from src/web into dist/web (vite.web.config.ts, run by
// `npm run build`): `/` and `/v/:code` are the public verification page, `/staff` and
// `/staff/sheets/:id` the staff pages, their hashed assets under `/web/assets/<name>` (names
// checked against a strict pattern: no path traversal). Pages not built answer 500 CONFIG_INVALID
// saying so. GET /v1/public/sheets/:code is the QR code's read-only lookup by the sheet's random
// public code (never its sequential id, which would let anyone list the archive): the archived
// record and its stored verification, without dossier-system details.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { MapsignError } from '../../errors.js';
import type { AppDeps } from '../deps.js';
import { anyObject } from '../schemas.js';

const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' };
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,199}\.(js|css|svg)$/;

/**
 * The folder of the built pages: MAPSIGN_WEB_DIR, or dist/web of this checkout (seen from
 * dist/src/api/routes when built, from src/api/routes under tsx).
 */
export function resolveWebRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env['MAPSIGN_WEB_DIR']) return resolve(env['MAPSIGN_WEB_DIR']);
  const candidates = [new URL('../../../web/', import.meta.url), new URL('../../../dist/web/', import.meta.url)].map((url) => fileURLToPath(url));
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[candidates.length - 1]!;
}

export function registerWebRoutes(app: FastifyInstance, deps: AppDeps): void {
  const root = resolveWebRoot();
  const isBuilt = existsSync(join(root, 'index.html'));
  if (!isBuilt) app.log.warn({ webRoot: root }, 'the web pages are not built; run npm run build');

  const send = async (path: string, reply: FastifyReply, isImmutable: boolean): Promise<FastifyReply> => {
    const body = await readFile(join(root, path)).catch(() => null);
    if (!body) {
      if (!existsSync(join(root, 'index.html'))) {
        throw new MapsignError('CONFIG_INVALID', `the web pages are not built (no ${join(root, 'index.html')}): run npm run build`);
      }
      throw new MapsignError('INPUT_NOT_FOUND', `no page ${path}`);
    }
    const type = TYPES[path.slice(path.lastIndexOf('.') + 1)]!;
    // Assets carry a content hash in their name; the pages name the current assets.
    const cache = isImmutable ? 'public, max-age=31536000, immutable' : 'no-cache';
    return reply.type(type).header('cache-control', cache).header('x-content-type-options', 'nosniff').send(body);
  };
  const hidden = { schema: { hide: true } };
  app.get('/', hidden, async (_request, reply) => send('index.html', reply, false));
  app.get('/v/:code', hidden, async (_request, reply) => send('index.html', reply, false));
  app.get('/staff', hidden, async (_request, reply) => send('staff.html', reply, false));
  app.get('/staff/sheets/:id', hidden, async (_request, reply) => send('staff.html', reply, false));
  app.get<{ Params: { name: string } }>('/web/assets/:name', hidden, async (request, reply) => {
    const { name } = request.params;
    if (!ASSET_NAME.test(name)) throw new MapsignError('INPUT_NOT_FOUND', `no page ${name}`);
    return send(`assets/${name}`, reply, true);
  });

  app.get<{ Params: { code: string } }>(
    '/v1/public/sheets/:code',
    {
      schema: {
        tags: ['verify'],
        summary: 'An archived sheet by the public code of its QR stamp (public, read-only)',
        description: 'The code is the last part of the verification URL `<MAPSIGN_PUBLIC_URL>/v/<code>`: 26 base32 characters. A sheet id is not a code (404).',
        params: { type: 'object', properties: { code: { type: 'string', maxLength: 64, examples: ['k7q2mzr4xw3bd5nfhv6tjy2pca'] } }, required: ['code'] },
        response: { 200: anyObject },
      },
    },
    async (request) => {
      const sheet = await deps.archive.getSheetByPublicCode(request.params.code);
      const m = sheet.metadata;
      return {
        publicCode: sheet.publicCode,
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
