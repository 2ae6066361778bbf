import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Archive } from '../../../src/archive/index.js';
import { MapsignError } from '../../../src/errors.js';
import { parseCallbackAllowList } from '../../../src/config.js';
import { CallbackPolicy, createJobHandler, openServiceDatabase, SqliteRequestStore, WorkFileStore, type FlowJob, type ProcessorDeps, type ServiceDatabase } from '../../../src/queue/index.js';
import type { SignPdfOptions, SignPdfResult } from '../../../src/signing/index.js';
import { sheetMetadata } from '../../support/service.js';

const REQUEST = `r${'4'.repeat(24)}`;
const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
let dir: string;
let db: ServiceDatabase;
let store: SqliteRequestStore;
let files: WorkFileStore;
let signCalls: number;
let archived: Map<string, { sheetId: number; revision: number }>;
let added: FlowJob[];

const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

function fakeArchive(): Archive {
  return {
    async add(options: { file: string }) {
      const bytes = await import('node:fs/promises').then((fs) => fs.readFile(options.file));
      const hash = sha(bytes);
      const existing = archived.get(hash);
      if (existing) throw new MapsignError('ARCHIVE_DUPLICATE', 'archived already', { details: { sha256: hash, ...existing } });
      const record = { sheetId: 9, revision: archived.size + 1 };
      archived.set(hash, record);
      return { ...record, sha256: hash, size: bytes.length, isNewSheet: record.revision === 1, signatures: [], changedFields: [] };
    },
    async getSheet(id: number) {
      const last = [...archived.entries()].pop();
      return { id, sha256: last?.[0] ?? '', revision: last?.[1].revision ?? 0 };
    },
    async openFile() {
      throw new MapsignError('ARCHIVE_NOT_FOUND', 'none');
    },
    async recordVerification() {},
  } as unknown as Archive;
}

function deps(overrides: Partial<ProcessorDeps> = {}): ProcessorDeps {
  return {
    store,
    files,
    archive: fakeArchive(),
    openKey: async () => ({}) as never,
    readSignatures: async () => [],
    sign: async (options: SignPdfOptions): Promise<SignPdfResult> => {
      signCalls++;
      const bytes = Buffer.concat([Buffer.from(`%PDF-1.7 signed ${signCalls} `), Buffer.from(options.input)]);
      await writeFile(options.output, bytes);
      return { sha256: sha(bytes), size: bytes.length, signingTime: '2026-07-15T02:00:00.000Z', signer: { commonName: 'Seal' } } as SignPdfResult;
    },
    addFlow: async (flow) => {
      added.push(flow);
    },
    webhookSecret: async () => SECRET,
    webhookTimeoutMs: 2000,
    // The receiver of the notify test listens on loopback, which the callback policy refuses by default.
    callbackPolicy: new CallbackPolicy(parseCallbackAllowList('127.0.0.1')),
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    ...overrides,
  };
}

const job = (kind: FlowJob['kind'], data: Record<string, unknown>, attempt = 1, parentKind: FlowJob['kind'] | null = null) => ({
  kind,
  id: `${kind}-test`,
  data: { version: 1, requestId: REQUEST, ...data },
  attempt,
  maxAttempts: 3,
  parentKind,
  reportProgress: async () => undefined,
});
const server = { kind: 'server', name: 'department-seal' };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-processors-'));
  db = openServiceDatabase(join(dir, 'service.sqlite'));
  store = new SqliteRequestStore(db);
  files = await WorkFileStore.open(join(dir, 'work'));
  signCalls = 0;
  archived = new Map();
  added = [];
  const source = await files.put(Readable.from([Buffer.from('%PDF-1.7 source')]));
  await store.create({
    id: REQUEST,
    owner: 'portal',
    idempotencyKey: 'k',
    bodyHash: 'h',
    callbackUrl: 'http://127.0.0.1:9/cb',
    signatures: [{ role: 'department', signer: 'department-seal' }],
    sheets: [{ part: 's1', sourceSheetId: null, metadata: sheetMetadata(1), sha256: source.sha256, size: source.size }],
    createdAt: 1,
  });
});

afterEach(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
});

describe('sign-sheet', () => {
  it('signs a step once: a run after the step was recorded signs nothing', async () => {
    const handler = createJobHandler(deps());
    const first = (await handler.process(job('sign-sheet', { sheet: 0, step: 0, signer: server }))) as { sha256: string };
    expect(signCalls).toBe(1);
    expect(await files.has(first.sha256)).not.toBeNull();
    expect(await handler.process(job('sign-sheet', { sheet: 0, step: 0, signer: server }, 2))).toMatchObject({ skipped: 'already-signed', sha256: first.sha256 });
    expect(signCalls).toBe(1);
  });

  it('drops its output when a concurrent run of the same step recorded first', async () => {
    const racing = deps();
    const handler = createJobHandler({
      ...racing,
      sign: async (options) => {
        const result = await racing.sign(options);
        // Another worker records the step while this one is signing.
        await store.recordSigned(REQUEST, 0, { step: 0, role: 'department', signer: { kind: 'server', name: 'department-seal' }, signerName: 'Other', signedAt: 'x', sha256: 'f'.repeat(64), size: 1, archiveSheetId: null, archiveRevision: null });
        return result;
      },
    });
    const result = (await handler.process(job('sign-sheet', { sheet: 0, step: 0, signer: server }))) as { skipped: string; sha256: string };
    expect(result).toEqual({ skipped: 'already-signed', sha256: 'f'.repeat(64) });
    expect((await store.get(REQUEST))!.sheets[0]!.history.map((h) => h.signerName)).toEqual(['Other']);
  });

  it('waits (a retryable code) when the step before is not done, and refuses a sheet whose archived revision moved on', async () => {
    const handler = createJobHandler(deps());
    await expect(handler.process(job('sign-sheet', { sheet: 0, step: 1, signer: server }))).rejects.toMatchObject({ code: 'JOB_PAYLOAD_INVALID' });
    await store.recordSigned(REQUEST, 0, { step: 0, role: 'department', signer: { kind: 'server', name: 'department-seal' }, signerName: 'x', signedAt: 'x', sha256: 'e'.repeat(64), size: 1, archiveSheetId: null, archiveRevision: null });
    db.prepare("UPDATE sign_requests SET signatures = ? WHERE id = ?").run(JSON.stringify([{ role: 'a', signer: 'department-seal' }, { role: 'b', signer: 'department-seal' }]), REQUEST);
    await expect(handler.process(job('sign-sheet', { sheet: 0, step: 1, signer: server }))).rejects.toMatchObject({ code: 'JOB_OUT_OF_ORDER' });
    await store.recordArchived(REQUEST, 0, 0, { sheetId: 9, revision: 1 }, { state: 'queued', role: null });
    archived.set('d'.repeat(64), { sheetId: 9, revision: 2 });
    await expect(handler.process(job('sign-sheet', { sheet: 0, step: 1, signer: server }))).rejects.toMatchObject({ code: 'ARCHIVE_REVISION_CONFLICT' });
    expect(signCalls).toBe(0);
  });
});

describe('archive-sheet', () => {
  it('takes a file the archive already holds as archived, and notifies once the request is finished', async () => {
    const d = deps();
    const handler = createJobHandler(d);
    const signed = (await handler.process(job('sign-sheet', { sheet: 0, step: 0, signer: server }))) as { sha256: string };
    // An earlier run archived the file and died before recording it.
    archived.set(signed.sha256, { sheetId: 9, revision: 1 });
    expect(await handler.process(job('archive-sheet', { sheet: 0, step: 0 }))).toMatchObject({ sheetId: 9, revision: 1 });
    expect(archived.size).toBe(1);
    expect((await store.get(REQUEST))!.sheets[0]).toMatchObject({ state: 'done', archivedStep: 1, archiveSheetId: 9 });
    expect(added.map((f) => f.id)).toEqual([`notify.${REQUEST}`]);
    expect(await store.hasSheetAccess('portal', 9)).toBe(true);
    expect(await handler.process(job('archive-sheet', { sheet: 0, step: 0 }))).toMatchObject({ skipped: 'already-archived' });
  });

  it('adds no notification when the notification is the parent that runs after it', async () => {
    const handler = createJobHandler(deps());
    await handler.process(job('sign-sheet', { sheet: 0, step: 0, signer: server }, 1, 'archive-sheet'));
    expect(await handler.process(job('archive-sheet', { sheet: 0, step: 0 }, 1, 'notify'))).toMatchObject({ revision: 1 });
    expect((await store.get(REQUEST))!.sheets[0]).toMatchObject({ state: 'done', archivedStep: 1 });
    expect(added).toEqual([]);
  });

  it('records the final failure of a sheet with its code', async () => {
    const handler = createJobHandler(deps());
    await handler.onFinalFailure({ kind: 'sign-sheet', id: 'x', data: { requestId: REQUEST, sheet: 0 } }, { code: 'PDF_ENCRYPTED', message: 'locked', details: {} });
    expect((await store.get(REQUEST))!.sheets[0]).toMatchObject({ state: 'failed', error: { code: 'PDF_ENCRYPTED' } });
    expect(added.map((f) => f.id)).toEqual([`notify.${REQUEST}`]);
  });
});

describe('notify', () => {
  it('posts a Standard Webhooks message, logs each attempt, and fails with a retryable code on a non-2xx answer', async () => {
    const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
    const statuses = [500, 200];
    const receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (c: Buffer) => (body += c.toString()));
      request.on('end', () => {
        received.push({ headers: request.headers, body });
        response.statusCode = statuses.shift() ?? 200;
        response.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      db.prepare('UPDATE sign_requests SET callback_url = ? WHERE id = ?').run(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/cb`, REQUEST);
      await store.recordFailed(REQUEST, 0, { code: 'PDF_ENCRYPTED', message: 'locked', details: {} });
      const handler = createJobHandler(deps());
      const failure = await handler.process(job('notify', {})).catch((error: unknown) => error);
      expect(failure).toMatchObject({ code: 'WEBHOOK_DELIVERY_FAILED' });
      expect((failure as MapsignError).spec.retryable).toBe(true);
      expect(await handler.process(job('notify', {}, 2))).toMatchObject({ status: 200, attempt: 2 });
      expect(await handler.process(job('notify', {}, 3))).toEqual({ skipped: 'already-delivered' });
      expect(received).toHaveLength(2);
      const message = new Webhook(SECRET).verify(received[1]!.body, received[1]!.headers as Record<string, string>) as { type: string; data: { sheets: Array<{ error: { code: string } }> } };
      expect(message.type).toBe('sign-request.failed');
      expect(message.data.sheets[0]!.error.code).toBe('PDF_ENCRYPTED');
      expect((await store.get(REQUEST))!.deliveries.map((d) => [d.status, d.isDelivered])).toEqual([
        [500, false],
        [200, true],
      ]);
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});
