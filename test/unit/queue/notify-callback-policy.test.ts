import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Archive } from '../../../src/archive/index.js';
import type { MapsignError } from '../../../src/errors.js';
import { createJobHandler, openServiceDatabase, SqliteRequestStore, WorkFileStore, type ProcessorDeps, type ServiceDatabase } from '../../../src/queue/index.js';
import { sheetMetadata } from '../../support/service.js';

const REQUEST = `r${'7'.repeat(24)}`;
let dir: string;
let db: ServiceDatabase;
let store: SqliteRequestStore;
let receiver: Server;
let hits: number;
let warnings: Array<Record<string, unknown>>;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-notify-policy-'));
  db = openServiceDatabase(join(dir, 'service.sqlite'));
  store = new SqliteRequestStore(db);
  hits = 0;
  warnings = [];
  receiver = createServer((_request, response) => {
    hits++;
    response.end();
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  await store.create({
    id: REQUEST,
    owner: 'portal',
    idempotencyKey: 'k',
    bodyHash: 'h',
    // A name, so the submission check let it through; it resolves to loopback.
    callbackUrl: `http://localhost:${(receiver.address() as AddressInfo).port}/cb`,
    signatures: [{ role: 'department', signer: 'department-seal' }],
    sheets: [{ part: 's1', sourceSheetId: null, metadata: sheetMetadata(1), sha256: 'a'.repeat(64), size: 1 }],
    createdAt: 1,
  });
  await store.recordFailed(REQUEST, 0, { code: 'PDF_ENCRYPTED', message: 'locked', details: {} });
});

afterEach(async () => {
  await new Promise((resolve) => receiver.close(resolve));
  db.close();
  await rm(dir, { recursive: true, force: true });
});

async function deps(): Promise<ProcessorDeps> {
  return {
    store,
    files: await WorkFileStore.open(join(dir, 'work')),
    archive: {} as Archive,
    openKey: async () => ({}) as never,
    readSignatures: async () => [],
    sign: async () => ({}) as never,
    addFlow: async () => undefined,
    webhookSecret: async () => `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`,
    webhookTimeoutMs: 2000,
    logger: { info: () => undefined, warn: (object) => warnings.push(object), error: () => undefined },
  };
}

describe('notify with the default callback policy', () => {
  it('fails a callback whose host resolves to loopback with CALLBACK_URL_REFUSED (not retried), logs the code and sends nothing', async () => {
    const handler = createJobHandler(await deps());
    const job = { kind: 'notify' as const, id: `notify.${REQUEST}`, data: { version: 1, requestId: REQUEST }, attempt: 1, maxAttempts: 8, parentKind: null, reportProgress: async () => undefined };
    const failure = (await handler.process(job).catch((error: unknown) => error)) as MapsignError;
    expect(failure).toMatchObject({ code: 'CALLBACK_URL_REFUSED', details: { requestId: REQUEST, address: '127.0.0.1', reason: 'loopback' } });
    expect(failure.spec.retryable).toBe(false);
    expect(hits).toBe(0);
    expect(warnings).toEqual([expect.objectContaining({ requestId: REQUEST, code: 'CALLBACK_URL_REFUSED', reason: 'loopback', address: '127.0.0.1' })]);
    const request = (await store.get(REQUEST))!;
    expect(request.notifiedAt).toBeNull();
    expect(request.deliveries).toEqual([expect.objectContaining({ attempt: 1, status: null, isDelivered: false, error: expect.stringMatching(/^CALLBACK_URL_REFUSED: callback host localhost resolves to 127\.0\.0\.1, a loopback address/) })]);
  });
});
