// API keys: dossier systems (scopes) and staff accounts (roles and their own signing key). Only a
// SHA-256 of each key's secret is stored; the key is shown once, when it is created. Each system
// also gets a Standard Webhooks secret (`whsec_…`) that signs its callbacks.

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

interface KeyRow {
  id: string;
  name: string;
  kind: PrincipalKind;
  scopes: string;
  roles: string;
  signer: string | null;
  secret_sha256: string;
  webhook_secret: string | null;
  created_at: number;
  revoked_at: number | null;
}

function toRecord(row: KeyRow): ApiKeyRecord {
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
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

export class ApiKeyStore {
  constructor(private readonly db: ServiceDatabase) {
    db.exec(SCHEMA);
  }

  /** @throws MapsignError `USAGE_INVALID` for a bad name, scope or role, or a name in use */
  create(options: CreateApiKeyOptions): CreatedApiKey {
    if (!NAME.test(options.name)) throw new MapsignError('USAGE_INVALID', `a key name is lower-case letters, digits, ".", "_" or "-" (up to 64), not ${JSON.stringify(options.name)}`);
    for (const scope of options.scopes) if (!isScope(scope)) throw new MapsignError('USAGE_INVALID', `unknown scope ${JSON.stringify(scope)}; scopes are ${SCOPES.join(', ')}`);
    const roles = options.roles ?? [];
    for (const role of roles) if (!ROLE.test(role)) throw new MapsignError('USAGE_INVALID', `a role is lower-case letters, digits, ".", "_" or "-", not ${JSON.stringify(role)}`);
    if (options.kind === 'staff' && roles.length === 0) throw new MapsignError('USAGE_INVALID', 'a staff account needs at least one role (--roles)');
    if (this.db.prepare('SELECT 1 FROM api_keys WHERE name = ?').get(options.name)) throw new MapsignError('USAGE_INVALID', `a key named ${options.name} exists already`);
    const id = randomBytes(6).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const webhookSecret = options.kind === 'system' ? `whsec_${randomBytes(32).toString('base64')}` : null;
    const now = Date.now();
    this.db
      .prepare('INSERT INTO api_keys (id, name, kind, scopes, roles, signer, secret_sha256, webhook_secret, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(id, options.name, options.kind, JSON.stringify([...new Set(options.scopes)]), JSON.stringify([...new Set(roles)]), options.signer ? JSON.stringify(options.signer) : null, sha256Hex(secret), webhookSecret, now);
    return { record: this.get(options.name)!, key: `msk_${id}_${secret}` };
  }

  /** The principal of a bearer token, or null when it is unknown, malformed or revoked. */
  authenticate(token: string): ApiKeyRecord | null {
    const match = KEY.exec(token);
    if (!match) return null;
    const row = this.db.prepare('SELECT * FROM api_keys WHERE id = ?').get(match[1]) as KeyRow | undefined;
    if (!row || row.revoked_at !== null) return null;
    const expected = Buffer.from(row.secret_sha256, 'hex');
    const actual = Buffer.from(sha256Hex(match[2]!), 'hex');
    return expected.length === actual.length && timingSafeEqual(expected, actual) ? toRecord(row) : null;
  }

  get(nameOrId: string): ApiKeyRecord | null {
    const row = this.db.prepare('SELECT * FROM api_keys WHERE name = ? OR id = ?').get(nameOrId, nameOrId) as KeyRow | undefined;
    return row ? toRecord(row) : null;
  }

  list(): ApiKeyRecord[] {
    return (this.db.prepare('SELECT * FROM api_keys ORDER BY created_at, name').all() as KeyRow[]).map(toRecord);
  }

  /** @returns false when no active key has that name */
  revoke(name: string): boolean {
    return this.db.prepare('UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL').run(Date.now(), name).changes === 1;
  }
}
