import { describe, expect, it } from 'vitest';
import { toStorageError } from '../../../src/archive/index.js';
import { translatePgError } from '../../../src/archive/postgres/postgres-errors.js';
import { translateSqliteError } from '../../../src/archive/sqlite/sqlite-errors.js';
import { parsePdfDate } from '../../../src/cli/commands/archive.js';

const sysError = (code: string) => Object.assign(new Error(code), { code });

describe('error translation at the archive boundaries', () => {
  it('maps a full disk to DISK_FULL and other system errors through the shared table', () => {
    expect(toStorageError(sysError('ENOSPC'), '/x').code).toBe('DISK_FULL');
    expect(toStorageError(sysError('EDQUOT'), '/x').code).toBe('DISK_FULL');
    expect(toStorageError(sysError('ENOENT'), '/x').code).toBe('INPUT_NOT_FOUND');
    expect(toStorageError(sysError('EACCES'), '/x').code).toBe('IO_FAILED');
  });

  it('maps SQLite codes', () => {
    const unique = (message: string) => Object.assign(new Error(message), { code: 'SQLITE_CONSTRAINT_UNIQUE' });
    expect(translateSqliteError(unique('UNIQUE constraint failed: revisions.sha256')).code).toBe('ARCHIVE_DUPLICATE');
    expect(translateSqliteError(unique('UNIQUE constraint failed: sheets.sheet_key')).code).toBe('ARCHIVE_REVISION_CONFLICT');
    expect(translateSqliteError(sysError('SQLITE_BUSY')).code).toBe('CATALOG_UNAVAILABLE');
    expect(translateSqliteError(sysError('SQLITE_FULL')).code).toBe('DISK_FULL');
    expect(translateSqliteError(sysError('SQLITE_CORRUPT')).code).toBe('ARCHIVE_CORRUPT');
    expect(translateSqliteError(new Error('?')).code).toBe('INTERNAL_ERROR');
  });

  it('maps PostgreSQL SQLSTATEs and connection errors', () => {
    const state = (code: string, constraint?: string) => Object.assign(new Error(code), { code, constraint });
    expect(translatePgError(state('23505', 'revisions_sha256_key')).code).toBe('ARCHIVE_DUPLICATE');
    expect(translatePgError(state('23505', 'sheets_sheet_key_key')).code).toBe('ARCHIVE_REVISION_CONFLICT');
    expect(translatePgError(state('53100')).code).toBe('DISK_FULL');
    expect(translatePgError(state('ECONNREFUSED')).code).toBe('CATALOG_UNAVAILABLE');
    expect(translatePgError(state('57P01')).code).toBe('CATALOG_UNAVAILABLE');
    expect(translatePgError(state('40P01')).code).toBe('CATALOG_UNAVAILABLE');
    expect(translatePgError(state('3D000')).code).toBe('CONFIG_INVALID');
    expect(translatePgError(state('28P01')).code).toBe('CONFIG_INVALID');
  });
});

describe('parsePdfDate', () => {
  it('reads the PDF date forms as ISO 8601', () => {
    expect(parsePdfDate("D:20260715093210+07'00'")).toBe('2026-07-15T09:32:10+07:00');
    expect(parsePdfDate("D:20260715093210+07'00")).toBe('2026-07-15T09:32:10+07:00');
    expect(parsePdfDate('D:20260715093210Z')).toBe('2026-07-15T09:32:10Z');
    expect(parsePdfDate('D:2026071509')).toBe('2026-07-15T09:00:00Z');
    expect(parsePdfDate('D:20261345000000Z')).toBeNull();
    expect(parsePdfDate('yesterday')).toBeNull();
    expect(parsePdfDate(null)).toBeNull();
  });
});
