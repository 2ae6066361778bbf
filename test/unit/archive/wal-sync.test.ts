// Durable SQLite commits flushed off the main thread (archive/sqlite/wal-sync.ts): commits that
// arrive while a flush runs share the next one, none resolves on a flush that began before it,
// and a durable catalog's write resolves only once its log is flushed.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openSqliteCatalog } from '../../../src/archive/index.js';
import { WalSync } from '../../../src/archive/sqlite/wal-sync.js';
import { openServiceDatabase, SqliteRequestStore } from '../../../src/queue/index.js';
import { EXAMPLE_METADATA } from '../../fixtures/make-sheet-records.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-wal-sync-'));
});

afterAll(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

/** A WalSync whose flushes of the log wait until the test lets them finish. */
class HeldWalSync extends WalSync {
  readonly started: Array<() => void> = [];
  protected override syncLog(): Promise<void> {
    return new Promise((resolve) => this.started.push(resolve));
  }
}

async function settled(promise: Promise<unknown>): Promise<boolean> {
  let isSettled = false;
  void promise.then(() => (isSettled = true));
  await new Promise((resolve) => setImmediate(resolve));
  return isSettled;
}

describe('WalSync', () => {
  it('shares one flush among the commits that arrive while one runs, and never resolves them on the earlier one', async () => {
    const sync = new HeldWalSync(join(dir, 'held.sqlite'));
    const first = sync.flush();
    const second = sync.flush();
    const third = sync.flush();
    expect(sync.started).toHaveLength(1);
    sync.started[0]!();
    expect(await settled(first)).toBe(true);
    // The first flush may have begun before their commits: they wait for the next.
    expect(await settled(second)).toBe(false);
    expect(sync.started).toHaveLength(2);
    sync.started[1]!();
    expect(await settled(second)).toBe(true);
    expect(await settled(third)).toBe(true);
    expect(sync.started).toHaveLength(2);
  });

  it('resolves for a database whose log is gone (checkpointed and removed)', async () => {
    await expect(new WalSync(join(dir, 'never-opened.sqlite')).flush()).resolves.toBeUndefined();
  });

  it('flushes a real log file', async () => {
    const path = join(dir, 'real.sqlite');
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (x INTEGER)');
    db.prepare('INSERT INTO t VALUES (1)').run();
    await expect(new WalSync(path).flush()).resolves.toBeUndefined();
    db.close();
  });
});

describe('a durable SQLite catalog', () => {
  it('resolves a write only once its log is flushed', async () => {
    const path = join(dir, 'catalog.sqlite');
    const catalog = await openSqliteCatalog({ path });
    let release: () => void = () => undefined;
    const flush = vi.spyOn(WalSync.prototype, 'flush').mockImplementation(() => new Promise<void>((resolve) => (release = resolve)));
    const sha256 = 'f'.repeat(64);
    const write = catalog.commitSheets([
      { extends: null, metadata: { ...EXAMPLE_METADATA }, sha256, size: 1, signatures: [], archivedAt: Date.now(), events: [{ kind: 'archived', sha256, actor: 'test' }] },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(flush).toHaveBeenCalledTimes(1);
    expect(await settled(write)).toBe(false);
    release();
    await expect(write).resolves.toHaveLength(1);
    flush.mockRestore();
    await catalog.close();
  });
});

describe('the service database', () => {
  it('acknowledges a new request only once its log is flushed, and records progress without a flush', async () => {
    const db = openServiceDatabase(join(dir, 'service.sqlite'));
    const store = new SqliteRequestStore(db);
    let release: () => void = () => undefined;
    const flush = vi.spyOn(WalSync.prototype, 'flush').mockImplementation(() => new Promise<void>((resolve) => (release = resolve)));
    const created = store.create({
      id: `r${'1'.repeat(24)}`,
      owner: 'portal',
      idempotencyKey: 'k1',
      bodyHash: 'h1',
      callbackUrl: null,
      signatures: [{ role: 'department', signer: 'department-seal' }],
      sheets: [{ part: 's1', sourceSheetId: null, metadata: { ...EXAMPLE_METADATA }, sha256: 'a'.repeat(64), size: 100 }],
      createdAt: 1000,
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(flush).toHaveBeenCalledTimes(1);
    expect(await settled(created)).toBe(false);
    release();
    expect((await created).isNew).toBe(true);
    await store.setProgress(`r${'1'.repeat(24)}`, 0, 0.5);
    expect(flush).toHaveBeenCalledTimes(1);
    flush.mockRestore();
    await store.close();
  });
});
