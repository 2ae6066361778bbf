import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteApiKeyStore, type ApiKeyStore } from '../../../src/api/index.js';
import { readServiceConfig, serviceStoreOf } from '../../../src/config.js';
import { openServiceDatabase, type ServiceDatabase } from '../../../src/queue/index.js';

let dir: string;
let db: ServiceDatabase;
let keys: ApiKeyStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-keys-'));
  db = openServiceDatabase(join(dir, 'service.sqlite'));
  keys = new SqliteApiKeyStore(db);
});

afterEach(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
});

describe('SqliteApiKeyStore', () => {
  it('authenticates a key it made, stores only a hash of it, and forgets it once revoked', async () => {
    const created = await keys.create({ name: 'portal', kind: 'system', scopes: ['sign:request', 'sheets:read'] });
    expect(created.key).toMatch(/^msk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(created.record.webhookSecret).toMatch(/^whsec_/);
    expect(await keys.authenticate(created.key)).toMatchObject({ name: 'portal', kind: 'system', scopes: ['sign:request', 'sheets:read'] });
    // The secret is base64url and may itself contain '_': take everything after msk_<12 hex>_.
    const secret = created.key.slice('msk_'.length + 12 + 1);
    expect(secret).toHaveLength(43);
    db.pragma('wal_checkpoint(TRUNCATE)');
    expect((await readFile(join(dir, 'service.sqlite'))).includes(Buffer.from(secret))).toBe(false);
    expect(await keys.authenticate(created.key.slice(0, -1) + (created.key.endsWith('A') ? 'B' : 'A'))).toBeNull();
    expect(await keys.authenticate('msk_garbage')).toBeNull();
    expect(await keys.revoke('portal')).toBe(true);
    expect(await keys.authenticate(created.key)).toBeNull();
  });

  it('gives staff accounts roles and their own key, and refuses bad names, scopes and duplicates', async () => {
    const staff = await keys.create({ name: 'an', kind: 'staff', scopes: ['sheets:read'], roles: ['department'], signer: { p12: '/k/an.p12', passwordEnv: 'AN_PASSWORD' } });
    expect(staff.record).toMatchObject({ kind: 'staff', roles: ['department'], hasSigningKey: true, webhookSecret: null });
    await expect(keys.create({ name: 'an', kind: 'system', scopes: ['verify'] })).rejects.toMatchObject({ code: 'USAGE_INVALID' });
    await expect(keys.create({ name: 'Bad Name', kind: 'system', scopes: ['verify'] })).rejects.toMatchObject({ code: 'USAGE_INVALID' });
    await expect(keys.create({ name: 'x', kind: 'system', scopes: ['root' as never] })).rejects.toMatchObject({ code: 'USAGE_INVALID' });
    await expect(keys.create({ name: 'y', kind: 'staff', scopes: [], roles: [] })).rejects.toMatchObject({ code: 'USAGE_INVALID' });
  });
});

describe('readServiceConfig', () => {
  it('defaults to port 8080 on 127.0.0.1, ./data, the embedded queue and the sample department seal', () => {
    const config = readServiceConfig({});
    expect(config).toMatchObject({ port: 8080, host: '127.0.0.1', redisUrl: null, isSampleSigners: true, maxUploadBytes: 2 * 1024 ** 3 });
    expect(config.dataDir).toBe(join(process.cwd(), 'data'));
    expect(Object.keys(config.signers)).toEqual(['department-seal']);
  });

  it('reads PORT, REDIS_URL and signers, and refuses bad values with CONFIG_INVALID', () => {
    const config = readServiceConfig({ PORT: '9000', REDIS_URL: 'redis://127.0.0.1:6379', MAPSIGN_SIGNERS: JSON.stringify({ seal: { p12: '/k/seal.p12', passwordEnv: 'SEAL_PW' } }) });
    expect(config).toMatchObject({ port: 9000, redisUrl: 'redis://127.0.0.1:6379', isSampleSigners: false, signers: { seal: { p12: '/k/seal.p12', passwordEnv: 'SEAL_PW' } } });
    for (const env of [{ PORT: 'http' }, { REDIS_URL: 'http://x' }, { MAPSIGN_SIGNERS: '{"Seal":{}}' }, { MAPSIGN_SIGNERS: '{"seal":{"p12":"x"}}' }, { MAPSIGN_SIGN_CONCURRENCY: '0' }]) {
      expect(() => readServiceConfig(env), JSON.stringify(env)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    }
  });

  it('puts requests and API keys in PostgreSQL only with both DATABASE_URL and REDIS_URL', () => {
    const url = 'postgres://postgres@127.0.0.1:5432/test';
    expect(serviceStoreOf(readServiceConfig({ DATABASE_URL: url, REDIS_URL: 'redis://127.0.0.1:6379' }))).toBe('postgres');
    expect(serviceStoreOf(readServiceConfig({ DATABASE_URL: url }))).toBe('sqlite');
    expect(serviceStoreOf(readServiceConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }))).toBe('sqlite');
    expect(serviceStoreOf(readServiceConfig({}))).toBe('sqlite');
  });
});
