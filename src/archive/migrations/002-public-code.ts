// Migration 2: a random public code per sheet (public-code.ts), the target of the QR code on its
// stamps, so that the public lookup takes a code nobody can guess instead of the sequential id.
// Existing sheets get theirs from the backfill (node:crypto; SQL has no portable CSPRNG base32).

import type { Migration } from './index.js';

const sql = `
ALTER TABLE sheets ADD COLUMN public_code TEXT;
CREATE UNIQUE INDEX sheets_public_code ON sheets (public_code);
`;

export const publicCode: Migration = {
  version: 2,
  name: 'public-code',
  sqlite: sql,
  postgres: sql,
  backfill: { table: 'sheets', key: 'id', column: 'public_code' },
};
