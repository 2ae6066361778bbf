// Runs versioned migrations in a PostgreSQL schema: one transaction under an advisory lock per
// schema, so concurrent starts wait for one migrator and then find nothing to do. The catalog's
// migrations are the default set; the service's tables (requests, API keys) bring their own
// ledger table and take the same lock, so that no two migrators create the schema at once.

import type pg from 'pg';
import { MapsignError } from '../../errors.js';
import { BACKFILL_BATCH, LATEST_VERSION, MIGRATIONS, MIGRATIONS_TABLE_SQL, type MigrationBackfill } from '../migrations/index.js';
import { newPublicCode } from '../public-code.js';

/** One PostgreSQL migration: never edited once released, the next version is added instead. */
export interface PostgresMigration {
  version: number;
  name: string;
  postgres: string;
  backfill?: MigrationBackfill;
}

/** A list of migrations with the table that records which ran, and what they are of (for messages). */
export interface PostgresMigrationSet {
  ledger: string;
  label: string;
  migrations: readonly PostgresMigration[];
}

export const CATALOG_SET: PostgresMigrationSet = { ledger: 'schema_migrations', label: 'catalog', migrations: MIGRATIONS };

/** Gives every row of the backfill's table whose column is NULL a new public code, a batch per statement. */
async function backfill(client: pg.PoolClient, spec: MigrationBackfill): Promise<void> {
  const { table, key, column } = spec;
  for (;;) {
    const ids = (await client.query(`SELECT ${key} AS k FROM ${table} WHERE ${column} IS NULL LIMIT ${BACKFILL_BATCH}`)).rows.map((r: { k: string }) => r.k);
    if (ids.length === 0) return;
    await client.query(`UPDATE ${table} t SET ${column} = u.code FROM unnest($1::bigint[], $2::text[]) AS u (k, code) WHERE t.${key} = u.k`, [ids, ids.map(() => newPublicCode())]);
  }
}

export async function runMigrations(pool: pg.Pool, schema: string, set: PostgresMigrationSet = CATALOG_SET): Promise<void> {
  const latest = set === CATALOG_SET ? LATEST_VERSION : Math.max(0, ...set.migrations.map((m) => m.version));
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // One migrator per schema at a time; the others wait here and then find nothing to do.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`mapsign-migrations:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(set === CATALOG_SET ? MIGRATIONS_TABLE_SQL : MIGRATIONS_TABLE_SQL.replace('schema_migrations', set.ledger));
    const applied = new Set((await client.query(`SELECT version FROM ${set.ledger}`)).rows.map((r: { version: number }) => Number(r.version)));
    const newest = Math.max(0, ...applied);
    if (newest > latest) {
      throw new MapsignError('CONFIG_INVALID', `the ${set.label} has schema version ${newest}, newer than this mapsign knows (${latest}); upgrade mapsign`);
    }
    for (const migration of set.migrations) {
      if (applied.has(migration.version)) continue;
      await client.query(migration.postgres);
      if (migration.backfill) await backfill(client, migration.backfill);
      await client.query(`INSERT INTO ${set.ledger} (version, name, applied_at) VALUES ($1, $2, $3)`, [migration.version, migration.name, Date.now()]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
