// Builds the archive from its configuration: the file-system blob store under the data folder,
// and the SQLite catalog there or the PostgreSQL one at DATABASE_URL; then recovers.

import { join } from 'node:path';
import { Archive } from './archive.js';
import { openFsBlobStore, type BlobStore } from './blob-store.js';
import type { Catalog } from './catalog.js';
import { archiveConfigFromEnv } from './config.js';
import type { RoleTemplates } from './facts.js';
import { openPostgresCatalog } from './postgres/postgres-catalog.js';
import { openSqliteCatalog } from './sqlite/sqlite-catalog.js';

export interface OpenArchiveOptions {
  /** Folder of the blobs and the SQLite catalog; default from MAPSIGN_DATA_DIR, else ./data. */
  dataDir?: string;
  /** postgres:// URL for the catalog; default from DATABASE_URL; none means SQLite. */
  databaseUrl?: string | null;
  /** PostgreSQL schema; default from MAPSIGN_PG_SCHEMA, else `mapsign`. */
  postgresSchema?: string;
  /** Byte limit of one archived file; default from MAPSIGN_MAX_BLOB_BYTES, else 8 GiB. */
  maxBlobBytes?: number;
  /** fsync blobs and use synchronous=FULL (default true); false only for benchmarks. */
  durable?: boolean;
  roleTemplates?: RoleTemplates;
  /** A catalog or blob store built elsewhere (an S3 store later, fault injection in tests). */
  catalog?: Catalog;
  blobs?: BlobStore;
  /** Roll back interrupted ingests on open (default true). */
  recover?: boolean;
}

/**
 * Opens the archive: creates folders, runs catalog migrations, and (unless told not to) rolls
 * back ingests left by processes that are gone.
 *
 * @throws MapsignError `CONFIG_INVALID`, `CATALOG_UNAVAILABLE`, `IO_FAILED`.
 */
export async function openArchive(options: OpenArchiveOptions = {}): Promise<Archive> {
  const config = archiveConfigFromEnv();
  const dataDir = options.dataDir ?? config.dataDir;
  const databaseUrl = options.databaseUrl === undefined ? config.databaseUrl : options.databaseUrl;
  const maxBlobBytes = options.maxBlobBytes ?? config.maxBlobBytes;
  const blobs = options.blobs ?? (await openFsBlobStore({ root: join(dataDir, 'blobs'), maxBytes: maxBlobBytes, durable: options.durable }));
  const catalog =
    options.catalog ??
    (databaseUrl
      ? await openPostgresCatalog({ connectionString: databaseUrl, schema: options.postgresSchema ?? config.postgresSchema })
      : await openSqliteCatalog({ path: join(dataDir, 'catalog.sqlite'), durable: options.durable }));
  const archive = new Archive({ catalog, blobs, maxBlobBytes, roleTemplates: options.roleTemplates });
  if (options.recover !== false) {
    try {
      await archive.recover();
    } catch (error) {
      await catalog.close().catch(() => undefined);
      throw error;
    }
  }
  return archive;
}
