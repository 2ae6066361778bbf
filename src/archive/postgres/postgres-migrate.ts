// Runs the catalog migrations in a PostgreSQL schema: one transaction under an advisory lock per
// schema, so concurrent starts wait for one migrator and then find nothing to do.

import type pg from 'pg';
import { MapsignError } from '../../errors.js';
import { BACKFILL_BATCH, LATEST_VERSION, MIGRATIONS, MIGRATIONS_TABLE_SQL, type MigrationBackfill } from '../migrations/index.js';
import { newPublicCode } from '../public-code.js';

/** Gives every row of the backfill's table whose column is NULL a new public code, a batch per statement. */
async function backfill(client: pg.PoolClient, spec: MigrationBackfill): Promise<void> {
  const { table, key, column } = spec;
  for (;;) {
    const ids = (await client.query(`SELECT ${key} AS k FROM ${table} WHERE ${column} IS NULL LIMIT ${BACKFILL_BATCH}`)).rows.map((r: { k: string }) => r.k);
    if (ids.length === 0) return;
    await client.query(`UPDATE ${table} t SET ${column} = u.code FROM unnest($1::bigint[], $2::text[]) AS u (k, code) WHERE t.${key} = u.k`, [ids, ids.map(() => newPublicCode())]);
  }
}

export async function runMigrations(pool: pg.Pool, schema: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // One migrator per schema at a time; the others wait here and then find nothing to do.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`mapsign-migrations:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(MIGRATIONS_TABLE_SQL);
    const applied = new Set((await client.query('SELECT version FROM schema_migrations')).rows.map((r: { version: number }) => Number(r.version)));
    const newest = Math.max(0, ...applied);
    if (newest > LATEST_VERSION) {
      throw new MapsignError('CONFIG_INVALID', `the catalog has schema version ${newest}, newer than this mapsign knows (${LATEST_VERSION}); upgrade mapsign`);
    }
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      await client.query(migration.postgres);
      if (migration.backfill) await backfill(client, migration.backfill);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [migration.version, migration.name, Date.now()]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
