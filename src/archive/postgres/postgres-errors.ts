// The PostgreSQL boundary: SQLSTATE codes and connection errors become our stable codes, once.

import { MapsignError } from '../../errors.js';

const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE']);

/** Maps a node-postgres error (or passes a MapsignError through); `label` names the tables in messages. */
export function translatePgError(error: unknown, label = 'catalog'): MapsignError {
  if (error instanceof MapsignError) return error;
  const { code, constraint } = (error ?? {}) as { code?: unknown; constraint?: unknown };
  const message = error instanceof Error ? error.message : String(error);
  const sqlState = typeof code === 'string' ? code : '';
  const details = { sqlState: sqlState || null };
  if (sqlState === '23505') {
    if (constraint === 'revisions_sha256_key') return new MapsignError('ARCHIVE_DUPLICATE', 'this file is already archived', { cause: error, details });
    if (constraint === 'sheets_sheet_key_key' || constraint === 'revisions_sheet_revision_key') {
      return new MapsignError('ARCHIVE_REVISION_CONFLICT', 'another file for this sheet was archived at the same time', { cause: error, details });
    }
  }
  if (sqlState === '53100') return new MapsignError('DISK_FULL', `${label}: ${message}`, { cause: error, details });
  if (CONNECTION_ERRORS.has(sqlState) || sqlState.startsWith('08') || sqlState.startsWith('57P') || sqlState === '53300' || sqlState === '40001' || sqlState === '40P01') {
    return new MapsignError('CATALOG_UNAVAILABLE', `${label}: ${message}`, { cause: error, details });
  }
  if (sqlState === '3D000' || sqlState.startsWith('28')) return new MapsignError('CONFIG_INVALID', `${label}: ${message}`, { cause: error, details });
  if (/Connection terminated|timeout exceeded when trying to connect/i.test(message)) {
    return new MapsignError('CATALOG_UNAVAILABLE', `${label}: ${message}`, { cause: error, details });
  }
  return new MapsignError('INTERNAL_ERROR', `${label}: ${message}`, { cause: error, details });
}
