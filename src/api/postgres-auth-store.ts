// API keys in PostgreSQL (the distributed mode): `mapsign keys create` on one machine, the API
// that authenticates on another. Same rows and rules as the SQLite store in auth-store.ts; the
// table is migrated with the service's others (queue/ service-db.ts).

import type pg from 'pg';
import { translatePgError } from '../archive/index.js';
import type { ServicePostgres } from '../queue/index.js';
import { matchSecret, nameInUse, newKeyRow, parseToken, toRecord, type ApiKeyRecord, type ApiKeyStore, type CreateApiKeyOptions, type CreatedApiKey, type KeyRow } from './auth-store.js';

const LABEL = 'service database';

export class PostgresApiKeyStore implements ApiKeyStore {
  private readonly pool: pg.Pool;

  constructor(database: ServicePostgres) {
    this.pool = database.pool;
  }

  private async rows(sql: string, params: unknown[]): Promise<KeyRow[]> {
    try {
      return (await this.pool.query(sql, params)).rows as KeyRow[];
    } catch (error) {
      throw translatePgError(error, LABEL);
    }
  }

  async create(options: CreateApiKeyOptions): Promise<CreatedApiKey> {
    const { row, key } = newKeyRow(options);
    try {
      const [inserted] = (
        await this.pool.query(
          'INSERT INTO api_keys (id, name, kind, scopes, roles, signer, secret_sha256, webhook_secret, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *',
          [row.id, row.name, row.kind, row.scopes, row.roles, row.signer, row.secret_sha256, row.webhook_secret, row.created_at],
        )
      ).rows as KeyRow[];
      return { record: toRecord(inserted!), key };
    } catch (error) {
      // The unique name decides between two creates at once, not a read before the insert.
      if ((error as { code?: unknown; constraint?: unknown }).code === '23505' && (error as { constraint?: unknown }).constraint === 'api_keys_name_key') throw nameInUse(options.name);
      throw translatePgError(error, LABEL);
    }
  }

  async authenticate(token: string): Promise<ApiKeyRecord | null> {
    const parsed = parseToken(token);
    if (!parsed) return null;
    const [row] = await this.rows('SELECT * FROM api_keys WHERE id = $1', [parsed.id]);
    return matchSecret(row, parsed.secret);
  }

  async get(nameOrId: string): Promise<ApiKeyRecord | null> {
    const [row] = await this.rows('SELECT * FROM api_keys WHERE name = $1 OR id = $1 ORDER BY name = $1 DESC LIMIT 1', [nameOrId]);
    return row ? toRecord(row) : null;
  }

  async list(): Promise<ApiKeyRecord[]> {
    return (await this.rows('SELECT * FROM api_keys ORDER BY created_at, name', [])).map(toRecord);
  }

  async revoke(name: string): Promise<boolean> {
    try {
      return ((await this.pool.query('UPDATE api_keys SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL', [Date.now(), name])).rowCount ?? 0) === 1;
    } catch (error) {
      throw translatePgError(error, LABEL);
    }
  }
}
