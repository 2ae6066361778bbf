import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openServiceDatabase, SqliteRequestStore, WorkFileStore, type ServiceDatabase } from '../../../src/queue/index.js';
import { sheetMetadata } from '../../support/service.js';

let dir: string;
let db: ServiceDatabase;
let store: SqliteRequestStore;
let files: WorkFileStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-work-'));
  db = openServiceDatabase(join(dir, 'service.sqlite'));
  store = new SqliteRequestStore(db);
  files = await WorkFileStore.open(join(dir, 'work'));
});

afterEach(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
});

const HOUR = 60 * 60 * 1000;

async function putAged(text: string, ageMs: number): Promise<string> {
  const { sha256 } = await files.put(Readable.from([Buffer.from(`%PDF-1.7 ${text}`)]));
  const then = new Date(Date.now() - ageMs);
  await utimes(files.pathOf(sha256), then, then);
  return sha256;
}

async function newRequest(id: string, sha256: string): Promise<void> {
  await store.create({
    id,
    owner: 'portal',
    idempotencyKey: id,
    bodyHash: id,
    callbackUrl: null,
    signatures: [{ role: 'department', signer: 'department-seal' }],
    sheets: [{ part: 's1', sourceSheetId: null, metadata: sheetMetadata(1), sha256, size: 10 }],
    createdAt: Date.now(),
  });
}

describe('working files', () => {
  it('go once no open request needs them and they are older than the grace, and not before', async () => {
    const open = await putAged('open', 2 * HOUR);
    const finished = await putAged('finished', 2 * HOUR);
    const fresh = await putAged('fresh', 0);
    await newRequest(`r${'1'.repeat(24)}`, open);
    await newRequest(`r${'2'.repeat(24)}`, finished);
    await store.recordFailed(`r${'2'.repeat(24)}`, 0, { code: 'PDF_ENCRYPTED', message: 'encrypted', details: {} });

    const keep = await store.openFileHashes();
    expect(keep).toEqual(new Set([open]));
    const removed = await files.removeUnused(keep, HOUR);
    expect(removed.files).toBe(1);
    expect(await files.has(open)).not.toBeNull();
    expect(await files.has(finished)).toBeNull();
    expect(await files.has(fresh)).not.toBeNull();
  });

  it('count as new again when the same bytes are uploaded again, so the grace protects the new request', async () => {
    const old = await putAged('again', 2 * HOUR);
    expect((await files.put(Readable.from([Buffer.from('%PDF-1.7 again')]))).isNew).toBe(false);
    expect((await files.removeUnused(new Set(), HOUR)).files).toBe(0);
    expect(existsSync(files.pathOf(old))).toBe(true);
    expect(old).toBe(createHash('sha256').update('%PDF-1.7 again').digest('hex'));
  });

  it('of a signing step stay listed while the sheet is open: upload and every step\'s output', async () => {
    const upload = await putAged('upload', 2 * HOUR);
    const id = `r${'3'.repeat(24)}`;
    await newRequest(id, upload);
    const signed = 'b'.repeat(64);
    expect(await store.recordSigned(id, 0, { step: 0, role: 'department', signer: { kind: 'server', name: 'department-seal' }, signerName: 'Seal', signedAt: '2026-07-15T02:00:00.000Z', sha256: signed, size: 20, archiveSheetId: null, archiveRevision: null })).toBe(true);
    expect(await store.openFileHashes()).toEqual(new Set([upload, signed]));
  });
});
