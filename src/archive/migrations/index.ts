// Versioned catalog migrations, run in order on start, each in its own transaction and
// recorded in schema_migrations. Never edit a released migration: add the next one.

import { initial } from './001-initial.js';
import { publicCode } from './002-public-code.js';

/**
 * A column of existing rows that the SQL cannot fill: after the migration's SQL, in the same
 * transaction, each row whose `column` is NULL gets a new public code (newPublicCode).
 */
export interface MigrationBackfill {
  table: string;
  /** The integer primary key. */
  key: string;
  column: string;
}

export interface Migration {
  version: number;
  name: string;
  sqlite: string;
  postgres: string;
  backfill?: MigrationBackfill;
}

/** Every migration, in version order. */
export const MIGRATIONS: readonly Migration[] = [initial, publicCode];

/** Rows a backfill updates per statement (PostgreSQL). */
export const BACKFILL_BATCH = 5000;

/** The schema version this code expects. */
export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export const MIGRATIONS_TABLE_SQL = 'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)';
