// A node-postgres pool in one schema (search_path), migrated on open, for tables that other
// modules keep beside the catalog (the service's requests and API keys in the distributed mode):
// pg stays in archive/, the others get the pool and run their own SQL through it.

import pg from 'pg';
import { MapsignError } from '../../errors.js';
import { translatePgError } from './postgres-errors.js';
import { runMigrations, type PostgresMigrationSet } from './postgres-migrate.js';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface OpenPostgresPoolOptions {
  /** postgres://user@host:port/database */
  connectionString: string;
  /** Schema holding the tables, created when missing; default `mapsign`. */
  schema?: string;
  maxConnections?: number;
  /** Run before the pool is handed out (several processes may start at once). */
  migrations: PostgresMigrationSet;
}

/**
 * Connects, creates the schema when missing and runs `migrations` there.
 *
 * @throws MapsignError `CATALOG_UNAVAILABLE` when the server cannot be reached, `CONFIG_INVALID`
 *   for a bad schema name, a missing database, refused credentials or a schema newer than this code.
 */
export async function openPostgresPool(options: OpenPostgresPoolOptions): Promise<pg.Pool> {
  const schema = options.schema ?? 'mapsign';
  if (!SCHEMA_NAME.test(schema)) throw new MapsignError('CONFIG_INVALID', `PostgreSQL schema name must match ${SCHEMA_NAME.source}, not ${JSON.stringify(schema)}`);
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    options: `-c search_path=${schema}`,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client's error (server restart) must not crash the process; the next query fails instead.
  pool.on('error', () => undefined);
  try {
    await runMigrations(pool, schema, options.migrations);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw translatePgError(error, options.migrations.label);
  }
  return pool;
}

/**
 * Runs `work` in a transaction on one client of `pool`; any error rolls back and comes out as a
 * MapsignError (translatePgError, its messages prefixed with `label`).
 */
export async function withPostgresTransaction<T>(pool: pg.Pool, label: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw translatePgError(error, label);
  }
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw translatePgError(error, label);
  } finally {
    client.release();
  }
}
