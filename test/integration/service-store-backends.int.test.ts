// The service's request store and API keys, run against SQLite and PostgreSQL with identical
// expectations: the request-store behaviours of the unit suite, then what only several processes
// can break: concurrent creates under one idempotency key, duplicated jobs recording a step, two
// staff members taking one task, delivery attempts, concurrent migrations, duplicate key names.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPostgresCatalog } from '../../src/archive/index.js';
import { openServicePostgres, type NewSignRequest, type StepRecord } from '../../src/queue/index.js';
import { BACKENDS, TEST_DATABASE_URL } from '../fixtures/archive-backends.js';
import { dropSchema, openTestServiceStores, uniqueSchema, type ServiceStoreHandle, type TestServiceStores } from '../fixtures/service-store-backends.js';
import { sheetMetadata } from '../support/service.js';

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

/** A request whose two sheets wait for a `department` staff signature. */
function staffRequest(): NewSignRequest {
  return newRequest({
    id: `r${'5'.repeat(24)}`,
    idempotencyKey: 'k',
    signatures: [{ role: 'department', signer: null }],
    sheets: [0, 1].map((n) => ({ part: `s${n}`, sourceSheetId: null, metadata: sheetMetadata(n), sha256: String(n).repeat(64), size: 10 })),
    createdAt: 1,
  });
}

describe.each(BACKENDS)('the request store on %s', (kind) => {
  let stores: TestServiceStores;
  /** Other handles on the same storage: what the API and other workers hold. */
  let others: ServiceStoreHandle[];

  beforeEach(async () => {
    stores = await openTestServiceStores(kind);
    others = [await stores.connect(), await stores.connect(), await stores.connect()];
  });

  afterEach(async () => {
    await stores.cleanup();
  });

  it('keeps one request per owner and idempotency key', async () => {
    const { store } = stores;
    expect((await store.create(newRequest())).isNew).toBe(true);
    const again = await store.create(newRequest({ id: `r${'2'.repeat(24)}`, bodyHash: 'other' }));
    expect(again.isNew).toBe(false);
    expect(again.request).toMatchObject({ id: `r${'1'.repeat(24)}`, bodyHash: 'h1' });
    expect((await store.create(newRequest({ id: `r${'3'.repeat(24)}`, owner: 'registry' }))).isNew).toBe(true);
  });

  it('stores a request as it was given: sheets, metadata, public codes, signatures and times', async () => {
    const { request } = await stores.store.create(newRequest({ callbackUrl: 'https://dossier.example/cb', sheets: [{ part: 's1', sourceSheetId: 12, metadata: sheetMetadata(3), publicCode: 'ABCD2345EFGH', sha256: sha('a'), size: 5_000_000_000 }] }));
    expect(request).toMatchObject({ owner: 'portal', idempotencyKey: 'k1', callbackUrl: 'https://dossier.example/cb', createdAt: 1000, updatedAt: 1000, enqueuedAt: null, notifiedAt: null, deliveries: [] });
    expect(request.signatures).toEqual(newRequest().signatures);
    expect(request.sheets).toEqual([
      expect.objectContaining({ index: 0, part: 's1', sourceSheetId: 12, archiveSheetId: 12, metadata: sheetMetadata(3), publicCode: 'ABCD2345EFGH', sourceSize: 5_000_000_000, currentSha256: sha('a'), step: 0, archivedStep: 0, state: 'queued', progress: 0, error: null, history: [] }),
    ]);
    expect(await stores.store.get('nope')).toBeNull();
  });

  it('records a signing step once: a second run of the same step loses', async () => {
    const { store } = stores;
    const { request } = await store.create(newRequest());
    expect(await store.recordSigned(request.id, 0, step(0, sha('b')))).toBe(true);
    expect(await store.recordSigned(request.id, 0, step(0, sha('c')))).toBe(false);
    const sheet = (await store.get(request.id))!.sheets[0]!;
    expect(sheet).toMatchObject({ step: 1, currentSha256: sha('b'), state: 'archiving' });
    expect(sheet.history.map((h) => h.sha256)).toEqual([sha('b')]);
  });

  it('records an archived step once and moves the sheet to the staff signature it waits for', async () => {
    const { store } = stores;
    const { request } = await store.create(newRequest());
    await store.recordSigned(request.id, 0, step(0, sha('b')));
    expect(await store.recordArchived(request.id, 0, 0, { sheetId: 7, revision: 1 }, { state: 'waiting-signature', role: 'chief' })).toBe(true);
    expect(await store.recordArchived(request.id, 0, 0, { sheetId: 8, revision: 1 }, { state: 'waiting-signature', role: 'chief' })).toBe(false);
    const tasks = await store.listTasks(['chief'], 10);
    expect(tasks.map((t) => [t.requestId, t.step, t.role, t.sheet.archiveSheetId])).toEqual([[request.id, 1, 'chief', 7]]);
    expect((await store.get(request.id))!.sheets[0]!.history[0]).toMatchObject({ archiveSheetId: 7, archiveRevision: 1 });
    expect(await store.listTasks(['department'], 10)).toEqual([]);
    expect(await store.claimTask(request.id, 0, 1, ['department'], 'an')).toBe(false);
    expect(await store.claimTask(request.id, 0, 1, ['chief'], 'an')).toBe(true);
    expect(await store.claimTask(request.id, 0, 1, ['chief'], 'an')).toBe(false);
    expect(await store.listTasks(['chief'], 10)).toEqual([]);
  });

  it('lists open requests, records failures and deliveries, and grants sheet access per owner', async () => {
    const { store } = stores;
    const { request } = await store.create(newRequest({ callbackUrl: 'https://dossier.example/cb' }));
    expect((await store.listOpen()).map((r) => r.id)).toEqual([request.id]);
    await store.recordFailed(request.id, 0, { code: 'PDF_ENCRYPTED', message: 'x', details: {} });
    expect((await store.get(request.id))!.sheets[0]).toMatchObject({ state: 'failed', error: { code: 'PDF_ENCRYPTED' } });
    await store.recordDelivery(request.id, { at: 1, status: 503, isDelivered: false, error: 'HTTP 503' });
    expect((await store.recordDelivery(request.id, { at: 2, status: 204, isDelivered: true, error: null })).attempt).toBe(2);
    expect((await store.get(request.id))!.deliveries).toEqual([
      { attempt: 1, at: 1, status: 503, isDelivered: false, error: 'HTTP 503' },
      { attempt: 2, at: 2, status: 204, isDelivered: true, error: null },
    ]);
    // Finished but not yet notified: still open, so that a restart sends the callback.
    expect((await store.listOpen()).map((r) => r.id)).toEqual([request.id]);
    await store.markNotified(request.id, 3);
    await store.markEnqueued(request.id, 3);
    expect(await store.listOpen()).toEqual([]);
    await store.grantSheetAccess('portal', 7);
    await store.grantSheetAccess('portal', 7);
    expect(await store.hasSheetAccess('portal', 7)).toBe(true);
    expect(await store.hasSheetAccess('registry', 7)).toBe(false);
  });

  it('keeps the working files of open sheets, and shows progress and state only while a sheet is open', async () => {
    const { store } = stores;
    const { request } = await store.create(newRequest());
    await store.setSheetState(request.id, 0, 'signing', 0.25);
    await store.setProgress(request.id, 0, 7);
    expect((await store.get(request.id))!.sheets[0]).toMatchObject({ state: 'signing', progress: 1 });
    await store.recordSigned(request.id, 0, step(0, sha('b')));
    expect(await store.openFileHashes()).toEqual(new Set([sha('a'), sha('b')]));
    await store.recordFailed(request.id, 0, { code: 'INTERNAL_ERROR', message: 'x', details: {} });
    await store.setSheetState(request.id, 0, 'queued');
    expect((await store.get(request.id))!.sheets[0]!.state).toBe('failed');
    expect(await store.openFileHashes()).toEqual(new Set());
  });

  it('records who took a waiting signature together with taking it', async () => {
    const { store } = stores;
    const { request } = await store.create(staffRequest());
    expect(await store.listStaffClaims(request.id)).toEqual([]);
    expect(await store.claimTask(request.id, 1, 0, ['department'], 'an')).toBe(true);
    expect(await store.listStaffClaims(request.id)).toEqual([{ sheet: 1, step: 0, account: 'an', claimedAt: expect.any(Number) }]);
    // A second taker is refused and does not replace the claim.
    expect(await store.claimTask(request.id, 1, 0, ['department'], 'binh')).toBe(false);
    expect((await store.listStaffClaims(request.id)).map((c) => c.account)).toEqual(['an']);
  });

  it('forgets a claim once its sheet has moved on from queued (signing, handed back or failed)', async () => {
    const { store } = stores;
    const { request } = await store.create(staffRequest());
    await store.claimTask(request.id, 0, 0, ['department'], 'an');
    await store.claimTask(request.id, 1, 0, ['department'], 'an');
    await store.setSheetState(request.id, 0, 'signing');
    await store.setSheetState(request.id, 1, 'waiting-signature');
    expect(await store.listStaffClaims(request.id)).toEqual([]);
    expect(await store.claimTask(request.id, 1, 0, ['department'], 'chi')).toBe(true);
    expect(await store.listStaffClaims(request.id)).toEqual([expect.objectContaining({ sheet: 1, account: 'chi' })]);
  });

  it('makes one request of concurrent creates with the same idempotency key, from several processes', async () => {
    const handles = [stores, ...others];
    const results = await Promise.all(handles.flatMap((h, i) => [0, 1].map((j) => h.store.create(newRequest({ id: `r${String(i * 2 + j).repeat(24)}`, bodyHash: `h${i}${j}` })))));
    expect(results.filter((r) => r.isNew)).toHaveLength(1);
    const winner = results.find((r) => r.isNew)!.request;
    for (const result of results) expect(result.request).toMatchObject({ id: winner.id, bodyHash: winner.bodyHash, sheets: [expect.objectContaining({ index: 0 })] });
    expect((await stores.store.listOpen()).map((r) => r.id)).toEqual([winner.id]);
  });

  it('records one signature when duplicated jobs record the same step at once', async () => {
    const { request } = await stores.store.create(newRequest());
    const handles = [stores, ...others];
    const outcomes = await Promise.all(handles.map((h, i) => h.store.recordSigned(request.id, 0, step(0, sha('bcde'[i]!)))));
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    const sheet = (await stores.store.get(request.id))!.sheets[0]!;
    expect(sheet.step).toBe(1);
    expect(sheet.history).toHaveLength(1);
    expect(sheet.currentSha256).toBe(sheet.history[0]!.sha256);
    const archived = await Promise.all(handles.map((h, i) => h.store.recordArchived(request.id, 0, 0, { sheetId: 10 + i, revision: 1 }, { state: 'waiting-signature', role: 'chief' })));
    expect(archived.filter(Boolean)).toHaveLength(1);
    expect((await stores.store.get(request.id))!.sheets[0]).toMatchObject({ archivedStep: 1, archiveSheetId: 10 + archived.indexOf(true) });
  });

  it('gives a waiting signature to one of the staff members who take it at once', async () => {
    const { request } = await stores.store.create(staffRequest());
    const handles = [stores, ...others];
    const accounts = ['an', 'binh', 'chi', 'dung'];
    const outcomes = await Promise.all(handles.map((h, i) => h.store.claimTask(request.id, 0, 0, ['department'], accounts[i]!)));
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    expect(await stores.store.listStaffClaims(request.id)).toEqual([expect.objectContaining({ sheet: 0, account: accounts[outcomes.indexOf(true)] })]);
    expect((await stores.store.listTasks(['department'], 10)).map((t) => t.sheet.index)).toEqual([1]);
  });

  it('numbers delivery attempts made at once one after the other', async () => {
    const { request } = await stores.store.create(newRequest({ callbackUrl: 'https://dossier.example/cb' }));
    const handles = [stores, ...others];
    const attempts = await Promise.all(handles.map((h, i) => h.store.recordDelivery(request.id, { at: i, status: 503, isDelivered: false, error: 'HTTP 503' })));
    expect(attempts.map((a) => a.attempt).sort()).toEqual([1, 2, 3, 4]);
    expect((await stores.store.get(request.id))!.deliveries.map((d) => d.attempt)).toEqual([1, 2, 3, 4]);
  });
});

describe.each(BACKENDS)('the API key store on %s', (kind) => {
  let stores: TestServiceStores;

  beforeEach(async () => {
    stores = await openTestServiceStores(kind);
  });

  afterEach(async () => {
    await stores.cleanup();
  });

  it('authenticates a key it made, from another process too, and forgets it once revoked', async () => {
    const { keys } = stores;
    const created = await keys.create({ name: 'portal', kind: 'system', scopes: ['sign:request', 'sheets:read'] });
    expect(created.key).toMatch(/^msk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(created.record).toMatchObject({ name: 'portal', kind: 'system', revokedAt: null, createdAt: expect.any(Number), webhookSecret: expect.stringMatching(/^whsec_/) });
    const other = (await stores.connect()).keys;
    expect(await other.authenticate(created.key)).toMatchObject({ name: 'portal', kind: 'system', scopes: ['sign:request', 'sheets:read'] });
    expect(await other.authenticate(created.key.slice(0, -1) + (created.key.endsWith('A') ? 'B' : 'A'))).toBeNull();
    expect(await other.authenticate('msk_garbage')).toBeNull();
    expect(await keys.get(created.record.id)).toMatchObject({ name: 'portal' });
    expect(await keys.revoke('portal')).toBe(true);
    expect(await keys.revoke('portal')).toBe(false);
    expect(await other.authenticate(created.key)).toBeNull();
    expect(await other.list()).toEqual([expect.objectContaining({ name: 'portal', revokedAt: expect.any(Number) })]);
  });

  it('gives staff accounts roles and their own key, and refuses bad names, scopes and duplicates', async () => {
    const { keys } = stores;
    const staff = await keys.create({ name: 'an', kind: 'staff', scopes: ['sheets:read'], roles: ['department'], signer: { p12: '/k/an.p12', passwordEnv: 'AN_PASSWORD' } });
    expect(staff.record).toMatchObject({ kind: 'staff', roles: ['department'], hasSigningKey: true, signer: { p12: '/k/an.p12', passwordEnv: 'AN_PASSWORD' }, webhookSecret: null });
    await expect(keys.create({ name: 'an', kind: 'system', scopes: ['verify'] })).rejects.toMatchObject({ code: 'USAGE_INVALID' });
    await expect(keys.create({ name: 'Bad Name', kind: 'system', scopes: ['verify'] })).rejects.toMatchObject({ code: 'USAGE_INVALID' });
    await expect(keys.create({ name: 'y', kind: 'staff', scopes: [], roles: [] })).rejects.toMatchObject({ code: 'USAGE_INVALID' });
  });

  it('makes one key of a name created from several processes at once', async () => {
    const handles = [stores, await stores.connect(), await stores.connect()];
    const outcomes = await Promise.allSettled(handles.map((h) => h.keys.create({ name: 'portal', kind: 'system', scopes: ['verify'] })));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: 'USAGE_INVALID' });
    expect(await stores.keys.list()).toHaveLength(1);
  });
});

describe('the service tables in PostgreSQL', () => {
  it('migrate once when several processes and the catalog start on a new schema at the same time', async () => {
    const schema = uniqueSchema('migrate');
    try {
      const [catalog, ...databases] = await Promise.all([
        openPostgresCatalog({ connectionString: TEST_DATABASE_URL, schema, maxConnections: 1 }),
        ...[0, 1, 2, 3].map(() => openServicePostgres({ connectionString: TEST_DATABASE_URL, schema, maxConnections: 1 })),
      ]);
      const ledger = await databases[0]!.pool.query('SELECT version, name FROM service_migrations ORDER BY version');
      expect(ledger.rows).toEqual([{ version: 1, name: 'requests-and-keys' }]);
      expect(await catalog!.counts()).toMatchObject({ sheets: 0 });
      await catalog!.close();
      for (const database of databases) await database.pool.end();
    } finally {
      await dropSchema(schema);
    }
  });

  it('refuses a schema whose service tables are newer than this code, with CONFIG_INVALID', async () => {
    const schema = uniqueSchema('newer');
    try {
      const database = await openServicePostgres({ connectionString: TEST_DATABASE_URL, schema });
      await database.pool.query("INSERT INTO service_migrations (version, name, applied_at) VALUES (99, 'future', 0)");
      await database.pool.end();
      await expect(openServicePostgres({ connectionString: TEST_DATABASE_URL, schema })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    } finally {
      await dropSchema(schema);
    }
  });
});
