// API keys: dossier systems (scopes) and staff accounts (roles and their own signing key). Only a
// SHA-256 of each key's secret is stored; the key is shown once, when it is created. Each system
// also gets a Standard Webhooks secret (`whsec_…`) that signs its callbacks. The store is an
// interface: SQLite here (service.sqlite), PostgreSQL in postgres-auth-store.ts (distributed mode).

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SignerKeyConfig } from '../config.js';
import { MapsignError } from '../errors.js';
import type { ServiceDatabase } from '../queue/index.js';

/** `metrics`: scrape GET /metrics (a Prometheus server's key; it opens nothing else). */
export const SCOPES = ['sign:request', 'sheets:read', 'verify', 'metrics'] as const;

export type Scope = (typeof SCOPES)[number];

export type PrincipalKind = 'system' | 'staff';

/** Who made a request: what the routes check. */
export interface Principal {
  id: string;
  name: string;
  kind: PrincipalKind;
  scopes: Scope[];
  roles: string[];
  hasSigningKey: boolean;
}

export interface ApiKeyRecord extends Principal {
  signer: SignerKeyConfig | null;
  webhookSecret: string | null;
  createdAt: number;
  revokedAt: number | null;
}

export interface CreateApiKeyOptions {
  name: string;
  kind: PrincipalKind;
  scopes: Scope[];
  roles?: string[];
  signer?: SignerKeyConfig | null;
}

export interface CreatedApiKey {
  record: ApiKeyRecord;
  /** The bearer token, shown once: `msk_<id>_<secret>`. */
  key: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  scopes TEXT NOT NULL,
  roles TEXT NOT NULL,
  signer TEXT,
  secret_sha256 TEXT NOT NULL,
  webhook_secret TEXT,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
`;

const KEY = /^msk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const ROLE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** A row of `api_keys` in either database (PostgreSQL's BIGINT times arrive as text). */
export interface KeyRow {
  id: string;
  name: string;
  kind: PrincipalKind;
  scopes: string;
  roles: string;
  signer: string | null;
  secret_sha256: string;
  webhook_secret: string | null;
  created_at: number | string;
  revoked_at: number | string | null;
}

export function toRecord(row: KeyRow): ApiKeyRecord {
  const signer = row.signer === null ? null : (JSON.parse(row.signer) as SignerKeyConfig);
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    scopes: JSON.parse(row.scopes) as Scope[],
    roles: JSON.parse(row.roles) as string[],
    hasSigningKey: signer !== null,
    signer,
    webhookSecret: row.webhook_secret,
    createdAt: Number(row.created_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** Where API keys live; every method may reach a database server, so each one is async. */
export interface ApiKeyStore {
  /** @throws MapsignError `USAGE_INVALID` for a bad name, scope or role, or a name in use */
  create(options: CreateApiKeyOptions): Promise<CreatedApiKey>;
  /** The principal of a bearer token, or null when it is unknown, malformed or revoked. */
  authenticate(token: string): Promise<ApiKeyRecord | null>;
  get(nameOrId: string): Promise<ApiKeyRecord | null>;
  list(): Promise<ApiKeyRecord[]>;
  /** @returns false when no active key has that name */
  revoke(name: string): Promise<boolean>;
}

/** The columns of a new key and the token shown once; `row.created_at` is now. */
export interface NewKeyRow {
  row: Omit<KeyRow, 'revoked_at'> & { created_at: number };
  key: string;
}

/**
 * Checks the options and makes the key's id, secret (stored as its SHA-256) and webhook secret.
 *
 * @throws MapsignError `USAGE_INVALID` for a bad name, scope or role
 */
export function newKeyRow(options: CreateApiKeyOptions): NewKeyRow {
  if (!NAME.test(options.name)) throw new MapsignError('USAGE_INVALID', `a key name is lower-case letters, digits, ".", "_" or "-" (up to 64), not ${JSON.stringify(options.name)}`);
  for (const scope of options.scopes) if (!isScope(scope)) throw new MapsignError('USAGE_INVALID', `unknown scope ${JSON.stringify(scope)}; scopes are ${SCOPES.join(', ')}`);
  const roles = options.roles ?? [];
  for (const role of roles) if (!ROLE.test(role)) throw new MapsignError('USAGE_INVALID', `a role is lower-case letters, digits, ".", "_" or "-", not ${JSON.stringify(role)}`);
  if (options.kind === 'staff' && roles.length === 0) throw new MapsignError('USAGE_INVALID', 'a staff account needs at least one role (--roles)');
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return {
    row: {
      id,
      name: options.name,
      kind: options.kind,
      scopes: JSON.stringify([...new Set(options.scopes)]),
      roles: JSON.stringify([...new Set(roles)]),
      signer: options.signer ? JSON.stringify(options.signer) : null,
      secret_sha256: sha256Hex(secret),
      webhook_secret: options.kind === 'system' ? `whsec_${randomBytes(32).toString('base64')}` : null,
      created_at: Date.now(),
    },
    key: `msk_${id}_${secret}`,
  };
}

export function nameInUse(name: string): MapsignError {
  return new MapsignError('USAGE_INVALID', `a key named ${name} exists already`);
}

/** The id and secret of a well-formed token, or null. */
export function parseToken(token: string): { id: string; secret: string } | null {
  const match = KEY.exec(token);
  return match ? { id: match[1]!, secret: match[2]! } : null;
}

/** The record of `row` when `secret` is its secret and it is not revoked (compared in constant time). */
export function matchSecret(row: KeyRow | undefined, secret: string): ApiKeyRecord | null {
  if (!row || row.revoked_at !== null) return null;
  const expected = Buffer.from(row.secret_sha256, 'hex');
  const actual = Buffer.from(sha256Hex(secret), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual) ? toRecord(row) : null;
}

export class SqliteApiKeyStore implements ApiKeyStore {
  constructor(private readonly db: ServiceDatabase) {
    db.exec(SCHEMA);
  }

  async create(options: CreateApiKeyOptions): Promise<CreatedApiKey> {
    const { row, key } = newKeyRow(options);
    if (this.db.prepare('SELECT 1 FROM api_keys WHERE name = ?').get(options.name)) throw nameInUse(options.name);
    this.db
      .prepare('INSERT INTO api_keys (id, name, kind, scopes, roles, signer, secret_sha256, webhook_secret, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(row.id, row.name, row.kind, row.scopes, row.roles, row.signer, row.secret_sha256, row.webhook_secret, row.created_at);
    return { record: (await this.get(options.name))!, key };
  }

  async authenticate(token: string): Promise<ApiKeyRecord | null> {
    const parsed = parseToken(token);
    if (!parsed) return null;
    return matchSecret(this.db.prepare('SELECT * FROM api_keys WHERE id = ?').get(parsed.id) as KeyRow | undefined, parsed.secret);
  }

  async get(nameOrId: string): Promise<ApiKeyRecord | null> {
    const row = this.db.prepare('SELECT * FROM api_keys WHERE name = ? OR id = ?').get(nameOrId, nameOrId) as KeyRow | undefined;
    return row ? toRecord(row) : null;
  }

  async list(): Promise<ApiKeyRecord[]> {
    return (this.db.prepare('SELECT * FROM api_keys ORDER BY created_at, name').all() as KeyRow[]).map(toRecord);
  }

  async revoke(name: string): Promise<boolean> {
    return this.db.prepare('UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL').run(Date.now(), name).changes === 1;
  }
}
