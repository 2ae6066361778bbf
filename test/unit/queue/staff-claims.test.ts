import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openServiceDatabase, SqliteRequestStore, type ServiceDatabase } from '../../../src/queue/index.js';
import { sheetMetadata } from '../../support/service.js';

const ID = `r${'5'.repeat(24)}`;
let dir: string;
let db: ServiceDatabase;
let store: SqliteRequestStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-claims-'));
  db = openServiceDatabase(join(dir, 'service.sqlite'));
  store = new SqliteRequestStore(db);
  await store.create({
    id: ID,
    owner: 'portal',
    idempotencyKey: 'k',
    bodyHash: 'h',
    callbackUrl: null,
    signatures: [{ role: 'department', signer: null }],
    sheets: [0, 1].map((n) => ({ part: `s${n}`, sourceSheetId: null, metadata: sheetMetadata(n), sha256: String(n).repeat(64), size: 10 })),
    createdAt: 1,
  });
});

afterEach(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
});

describe('SqliteRequestStore staff claims', () => {
  it('records who took a waiting signature together with taking it', async () => {
    expect(await store.listStaffClaims(ID)).toEqual([]);
    expect(await store.claimTask(ID, 1, 0, ['department'], 'an')).toBe(true);
    expect(await store.listStaffClaims(ID)).toEqual([{ sheet: 1, step: 0, account: 'an', claimedAt: expect.any(Number) }]);
    // A second taker is refused and does not replace the claim.
    expect(await store.claimTask(ID, 1, 0, ['department'], 'binh')).toBe(false);
    expect((await store.listStaffClaims(ID)).map((c) => c.account)).toEqual(['an']);
  });

  it('forgets a claim once its sheet has moved on from queued (signing, handed back or failed)', async () => {
    await store.claimTask(ID, 0, 0, ['department'], 'an');
    await store.claimTask(ID, 1, 0, ['department'], 'an');
    await store.setSheetState(ID, 0, 'signing');
    await store.setSheetState(ID, 1, 'waiting-signature');
    expect(await store.listStaffClaims(ID)).toEqual([]);
    expect(await store.claimTask(ID, 1, 0, ['department'], 'chi')).toBe(true);
    expect(await store.listStaffClaims(ID)).toEqual([expect.objectContaining({ sheet: 1, account: 'chi' })]);
  });
});
