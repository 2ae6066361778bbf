// Versioned catalog migrations, run in order on start, each in its own transaction and
// recorded in schema_migrations. Never edit a released migration: add the next one.

import { initial } from './001-initial.js';

export interface Migration {
  version: number;
  name: string;
  sqlite: string;
  postgres: string;
}

/** Every migration, in version order. */
export const MIGRATIONS: readonly Migration[] = [initial];

/** The schema version this code expects. */
export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export const MIGRATIONS_TABLE_SQL = 'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)';
