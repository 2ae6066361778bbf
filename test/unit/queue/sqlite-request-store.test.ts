import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openServiceDatabase, SqliteRequestStore, type NewSignRequest, type ServiceDatabase, type StepRecord } from '../../../src/queue/index.js';
import { sheetMetadata } from '../../support/service.js';

let dir: string;
let db: ServiceDatabase;
let store: SqliteRequestStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-store-'));
  db = openServiceDatabase(join(dir, 'service.sqlite'));
  store = new SqliteRequestStore(db);
});

afterEach(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
});

const sha = (c: string): string => c.repeat(64);

function newRequest(overrides: Partial<NewSignRequest> = {}): NewSignRequest {
  return {
    id: `r${'1'.repeat(24)}`,
    owner: 'portal',
    idempotencyKey: 'k1',
    bodyHash: 'h1',
    callbackUrl: null,
    signatures: [{ role: 'department', signer: 'department-seal' }, { role: 'chief', signer: null }],
    sheets: [{ part: 's1', sourceSheetId: null, metadata: sheetMetadata(1), sha256: sha('a'), size: 100 }],
    createdAt: 1000,
    ...overrides,
  };
}

const step = (n: number, hash: string): StepRecord => ({ step: n, role: 'department', signer: { kind: 'server', name: 'department-seal' }, signerName: 'Seal', signedAt: '2026-07-15T02:00:00.000Z', sha256: hash, size: 200, archiveSheetId: null, archiveRevision: null });

describe('SqliteRequestStore', () => {
  it('keeps one request per owner and idempotency key', async () => {
    expect((await store.create(newRequest())).isNew).toBe(true);
    const again = await store.create(newRequest({ id: `r${'2'.repeat(24)}`, bodyHash: 'other' }));
    expect(again.isNew).toBe(false);
    expect(again.request).toMatchObject({ id: `r${'1'.repeat(24)}`, bodyHash: 'h1' });
    expect((await store.create(newRequest({ id: `r${'3'.repeat(24)}`, owner: 'registry' }))).isNew).toBe(true);
  });

  it('records a signing step once: a second run of the same step loses', async () => {
    const { request } = await store.create(newRequest());
    expect(await store.recordSigned(request.id, 0, step(0, sha('b')))).toBe(true);
    expect(await store.recordSigned(request.id, 0, step(0, sha('c')))).toBe(false);
    const sheet = (await store.get(request.id))!.sheets[0]!;
    expect(sheet).toMatchObject({ step: 1, currentSha256: sha('b'), state: 'archiving' });
    expect(sheet.history.map((h) => h.sha256)).toEqual([sha('b')]);
  });

  it('records an archived step once and moves the sheet to the staff signature it waits for', async () => {
    const { request } = await store.create(newRequest());
    await store.recordSigned(request.id, 0, step(0, sha('b')));
    expect(await store.recordArchived(request.id, 0, 0, { sheetId: 7, revision: 1 }, { state: 'waiting-signature', role: 'chief' })).toBe(true);
    expect(await store.recordArchived(request.id, 0, 0, { sheetId: 8, revision: 1 }, { state: 'waiting-signature', role: 'chief' })).toBe(false);
    const tasks = await store.listTasks(['chief'], 10);
    expect(tasks.map((t) => [t.requestId, t.step, t.role, t.sheet.archiveSheetId])).toEqual([[request.id, 1, 'chief', 7]]);
    expect(await store.listTasks(['department'], 10)).toEqual([]);
    expect(await store.claimTask(request.id, 0, 1, ['department'], 'an')).toBe(false);
    expect(await store.claimTask(request.id, 0, 1, ['chief'], 'an')).toBe(true);
    expect(await store.claimTask(request.id, 0, 1, ['chief'], 'an')).toBe(false);
    expect(await store.listTasks(['chief'], 10)).toEqual([]);
  });

  it('lists open requests, records failures and deliveries, and grants sheet access per owner', async () => {
    const { request } = await store.create(newRequest({ callbackUrl: 'https://dossier.example/cb' }));
    expect((await store.listOpen()).map((r) => r.id)).toEqual([request.id]);
    await store.recordFailed(request.id, 0, { code: 'PDF_ENCRYPTED', message: 'x', details: {} });
    expect((await store.get(request.id))!.sheets[0]).toMatchObject({ state: 'failed', error: { code: 'PDF_ENCRYPTED' } });
    await store.recordDelivery(request.id, { at: 1, status: 503, isDelivered: false, error: 'HTTP 503' });
    expect((await store.recordDelivery(request.id, { at: 2, status: 204, isDelivered: true, error: null })).attempt).toBe(2);
    // Finished but not yet notified: still open, so that a restart sends the callback.
    expect((await store.listOpen()).map((r) => r.id)).toEqual([request.id]);
    await store.markNotified(request.id, 3);
    await store.markEnqueued(request.id, 3);
    expect(await store.listOpen()).toEqual([]);
    await store.grantSheetAccess('portal', 7);
    expect(await store.hasSheetAccess('portal', 7)).toBe(true);
    expect(await store.hasSheetAccess('registry', 7)).toBe(false);
  });
});
