// The SQLite boundary: better-sqlite3's SqliteError codes become our stable codes, once.

import { MapsignError } from '../../errors.js';

/** Maps a better-sqlite3 error (or passes a MapsignError through). */
export function translateSqliteError(error: unknown): MapsignError {
  if (error instanceof MapsignError) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const details = { sqliteCode: typeof code === 'string' ? code : null };
  if (typeof code !== 'string') return new MapsignError('INTERNAL_ERROR', `catalog: ${message}`, { cause: error });
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    if (message.includes('revisions.sha256')) return new MapsignError('ARCHIVE_DUPLICATE', 'this file is already archived', { cause: error, details });
    if (message.includes('sheets.sheet_key') || message.includes('revisions.sheet_id')) {
      return new MapsignError('ARCHIVE_REVISION_CONFLICT', 'another file for this sheet was archived at the same time', { cause: error, details });
    }
  }
  if (code === 'SQLITE_FULL') return new MapsignError('DISK_FULL', `catalog: ${message}`, { cause: error, details });
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') || code.startsWith('SQLITE_CANTOPEN')) {
    return new MapsignError('CATALOG_UNAVAILABLE', `catalog: ${message}`, { cause: error, details });
  }
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return new MapsignError('ARCHIVE_CORRUPT', `catalog: ${message}`, { cause: error, details });
  if (code.startsWith('SQLITE_IOERR')) return new MapsignError('IO_FAILED', `catalog: ${message}`, { cause: error, details });
  return new MapsignError('INTERNAL_ERROR', `catalog: ${message}`, { cause: error, details });
}
