// The service's own SQLite database (`service.sqlite` under the data folder): requests, sheets,
// deliveries, and the embedded queue's jobs. WAL and a busy timeout let the API and worker
// processes of one machine share it.

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MapsignError } from '../errors.js';

export type ServiceDatabase = Database.Database;

/** Opens (and creates) the database at `path` with WAL, foreign keys and a 10 s busy timeout. */
export function openServiceDatabase(path: string, options: { durable?: boolean } = {}): ServiceDatabase {
  try {
    mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.durable === false ? 'NORMAL' : 'FULL'}`);
    db.pragma('busy_timeout = 10000');
    db.pragma('foreign_keys = ON');
    return db;
  } catch (error) {
    throw new MapsignError('CATALOG_UNAVAILABLE', `cannot open the service database ${path}: ${(error as Error).message}`, { cause: error, details: { path } });
  }
}

/**
 * Runs `work` with synchronous=NORMAL: its commit survives a crash of any process but may be lost
 * with the machine's power, which costs a journal flush less. For what can be lost that way
 * (progress, state shown while a step runs, the log of webhook attempts): the next durable commit
 * on the database flushes it too. A database opened with durable=false stays at NORMAL.
 */
export function relaxed<T>(db: ServiceDatabase, work: () => T): T {
  const level = db.pragma('synchronous', { simple: true }) as number;
  // 2 is FULL; inside a transaction the pragma cannot change, and then the work commits with it.
  if (level !== 2 || db.inTransaction) return work();
  db.pragma('synchronous = NORMAL');
  try {
    return work();
  } finally {
    db.pragma('synchronous = FULL');
  }
}

/** Runs `work` in an IMMEDIATE transaction (takes the write lock first, so no upgrade deadlock). */
export function immediate<T>(db: ServiceDatabase, work: () => T): T {
  return db.transaction(work).immediate();
}

/** Translates better-sqlite3's codes at this boundary: a busy or locked database is worth a retry. */
export function translateServiceDbError(error: unknown): MapsignError | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return null;
  const message = `service database: ${(error as Error).message}`;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return new MapsignError('CATALOG_UNAVAILABLE', message, { cause: error, details: { sqlite: code } });
  if (code === 'SQLITE_FULL') return new MapsignError('DISK_FULL', message, { cause: error, details: { sqlite: code } });
  return new MapsignError('INTERNAL_ERROR', message, { cause: error, details: { sqlite: code } });
}

