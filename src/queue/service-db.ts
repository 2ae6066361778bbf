// The service's own database. SQLite (`service.sqlite` under the data folder): requests, sheets,
// deliveries, API keys and the embedded queue's jobs; WAL and a busy timeout let the API and
// worker processes of one machine share it. PostgreSQL (the distributed mode, config.ts
// serviceStoreOf): the same tables but the jobs, in the catalog's schema, migrated by version.

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type pg from 'pg';
import { openPostgresPool, WalSync, type PostgresMigration } from '../archive/index.js';
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

const walSyncs = new WeakMap<ServiceDatabase, WalSync>();

/**
 * Runs `work` so that its commit is as durable as at synchronous=FULL without stalling the
 * process: it commits at NORMAL, and the promise resolves once the log is flushed on the thread
 * pool (archive/sqlite/wal-sync.ts). For the writes whose loss at a power cut would lose an
 * acknowledged request or a recorded step: at FULL, each stopped uploads and signing for the
 * length of an fsync.
 */
export async function committed<T>(db: ServiceDatabase, work: () => T): Promise<T> {
  const needsFlush = !db.memory && !db.inTransaction && db.pragma('synchronous', { simple: true }) === 2;
  const result = relaxed(db, work);
  if (needsFlush) {
    let sync = walSyncs.get(db);
    if (!sync) walSyncs.set(db, (sync = new WalSync(db.name)));
    await sync.flush().catch((error: unknown) => {
      throw new MapsignError('CATALOG_UNAVAILABLE', `cannot flush the service database's log: ${(error as Error).message}`, { cause: error });
    });
  }
  return result;
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


/** The service's PostgreSQL tables: a pool in their schema (search_path). */
export interface ServicePostgres {
  pool: pg.Pool;
  schema: string;
}

/**
 * The service's tables in PostgreSQL, by version (never edit a released one: add the next). The
 * API keys table belongs to api/ but is migrated here, so that one ledger orders all of them.
 */
export const SERVICE_PG_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'requests-and-keys',
    postgres: `
CREATE TABLE sign_requests (
  id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  body_hash TEXT NOT NULL,
  callback_url TEXT,
  signatures TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  enqueued_at BIGINT,
  notified_at BIGINT,
  UNIQUE (owner, idempotency_key)
);
CREATE INDEX sign_requests_created ON sign_requests (created_at);
CREATE TABLE request_sheets (
  request_id TEXT NOT NULL REFERENCES sign_requests (id),
  idx INTEGER NOT NULL,
  part TEXT,
  source_sheet_id BIGINT,
  metadata TEXT NOT NULL,
  public_code TEXT NOT NULL,
  source_sha256 TEXT NOT NULL,
  source_size BIGINT NOT NULL,
  step INTEGER NOT NULL DEFAULT 0,
  archived_step INTEGER NOT NULL DEFAULT 0,
  current_sha256 TEXT NOT NULL,
  current_size BIGINT NOT NULL,
  state TEXT NOT NULL,
  progress DOUBLE PRECISION NOT NULL DEFAULT 0,
  error TEXT,
  history TEXT NOT NULL DEFAULT '[]',
  archive_sheet_id BIGINT,
  next_role TEXT,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (request_id, idx)
);
CREATE INDEX request_sheets_open ON request_sheets (state, next_role);
CREATE TABLE webhook_deliveries (
  request_id TEXT NOT NULL REFERENCES sign_requests (id),
  attempt INTEGER NOT NULL,
  at BIGINT NOT NULL,
  status INTEGER,
  delivered BOOLEAN NOT NULL,
  error TEXT,
  PRIMARY KEY (request_id, attempt)
);
CREATE TABLE staff_claims (
  request_id TEXT NOT NULL REFERENCES sign_requests (id),
  idx INTEGER NOT NULL,
  step INTEGER NOT NULL,
  account TEXT NOT NULL,
  claimed_at BIGINT NOT NULL,
  PRIMARY KEY (request_id, idx)
);
CREATE TABLE sheet_access (
  owner TEXT NOT NULL,
  sheet_id BIGINT NOT NULL,
  PRIMARY KEY (owner, sheet_id)
);
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  scopes TEXT NOT NULL,
  roles TEXT NOT NULL,
  signer TEXT,
  secret_sha256 TEXT NOT NULL,
  webhook_secret TEXT,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);
`,
  },
];

export interface OpenServicePostgresOptions {
  connectionString: string;
  /** The catalog's schema (MAPSIGN_PG_SCHEMA); default `mapsign`. */
  schema?: string;
  /** Pool size, default 5: a few short statements per job step. */
  maxConnections?: number;
}

/**
 * Connects to PostgreSQL and migrates the service's tables; several processes may start at once.
 *
 * @throws MapsignError `CATALOG_UNAVAILABLE`, `CONFIG_INVALID` (openPostgresPool)
 */
export async function openServicePostgres(options: OpenServicePostgresOptions): Promise<ServicePostgres> {
  const schema = options.schema ?? 'mapsign';
  const pool = await openPostgresPool({
    connectionString: options.connectionString,
    schema,
    maxConnections: options.maxConnections ?? 5,
    migrations: { ledger: 'service_migrations', label: 'service database', migrations: SERVICE_PG_MIGRATIONS },
  });
  return { pool, schema };
}
