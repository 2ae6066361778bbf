// Where the archive lives, read from the environment: MAPSIGN_DATA_DIR (default ./data) holds the
// blobs and the SQLite catalog; DATABASE_URL=postgres://… moves the catalog to PostgreSQL.

import { resolve } from 'node:path';
import { MapsignError } from '../errors.js';

export interface ArchiveConfig {
  /** Absolute folder of the blob store (`blobs/`) and the SQLite catalog (`catalog.sqlite`). */
  dataDir: string;
  /** A postgres:// URL, or null for the embedded SQLite catalog. */
  databaseUrl: string | null;
  /** PostgreSQL schema of the catalog. */
  postgresSchema: string;
  /** Byte limit of one archived file. */
  maxBlobBytes: number;
}

/** 8 GiB: sheets of 1 GB happen; four times that is refused rather than filling the disk. */
export const DEFAULT_MAX_BLOB_BYTES = 8 * 1024 ** 3;

/**
 * Reads MAPSIGN_DATA_DIR, DATABASE_URL, MAPSIGN_PG_SCHEMA (default `mapsign`) and
 * MAPSIGN_MAX_BLOB_BYTES.
 *
 * @throws MapsignError `CONFIG_INVALID` for a DATABASE_URL that is not postgres:// or a bad limit.
 */
export function archiveConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ArchiveConfig {
  const url = env['DATABASE_URL']?.trim() || null;
  if (url !== null && !/^postgres(?:ql)?:\/\//.test(url)) {
    throw new MapsignError('CONFIG_INVALID', 'DATABASE_URL must be a postgres:// URL; leave it unset for the embedded SQLite catalog');
  }
  const rawLimit = env['MAPSIGN_MAX_BLOB_BYTES']?.trim();
  const maxBlobBytes = rawLimit ? Number(rawLimit) : DEFAULT_MAX_BLOB_BYTES;
  if (!Number.isSafeInteger(maxBlobBytes) || maxBlobBytes <= 0) {
    throw new MapsignError('CONFIG_INVALID', `MAPSIGN_MAX_BLOB_BYTES must be a positive whole number of bytes, not ${JSON.stringify(rawLimit)}`);
  }
  return {
    dataDir: resolve(env['MAPSIGN_DATA_DIR']?.trim() || './data'),
    databaseUrl: url,
    postgresSchema: env['MAPSIGN_PG_SCHEMA']?.trim() || 'mapsign',
    maxBlobBytes,
  };
}
