// Loading trust roots and intermediates from folders and PEM bundles, the TRUST_* settings, and
// the in-memory revocation cache.
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryRevocationCache, loadTrustStore, readTrustConfig } from '../../../src/pki/index.js';
import { samplePki } from '../../fixtures/make-pki.js';

const pki = samplePki();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-trust-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadTrustStore', () => {
  it('reads every CA certificate of a folder as a root, ignoring end entities and other files', async () => {
    const roots = join(dir, 'roots');
    await mkdir(roots);
    await copyFile(pki.rootCa, join(roots, 'root-ca.pem'));
    await copyFile(pki.pem.staffRsa, join(roots, 'staff-rsa.pem'));
    await writeFile(join(roots, 'README.txt'), 'not a certificate');
    const store = await loadTrustStore({ roots: [roots] });
    expect(store.roots.map((r) => r.info.commonName)).toEqual(['Mapsign Sample Root CA']);
    expect(store.ignored).toEqual([expect.stringContaining('Nguyễn Văn An')]);
  });

  it('reads a PEM bundle file, and DER files, as roots and intermediates', async () => {
    const der = join(dir, 'issuing-ca.cer');
    await copyFile(join(pki.dir, 'issuing-ca.cer'), der);
    const store = await loadTrustStore({ roots: [pki.caChain], intermediates: [der] });
    expect(store.roots).toHaveLength(2);
    expect(store.intermediates.map((c) => c.info.commonName)).toEqual(['Mapsign Sample Issuing CA']);
  });

  it('raises CONFIG_INVALID when the roots hold no CA certificate', async () => {
    await expect(loadTrustStore({ roots: [pki.pem.staffRsa] })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('raises INPUT_NOT_FOUND for a folder that does not exist', async () => {
    await expect(loadTrustStore({ roots: [join(dir, 'nowhere')] })).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND' });
  });
});

describe('readTrustConfig', () => {
  it('is null when neither --trust nor TRUST_DIR is set', () => {
    expect(readTrustConfig({})).toBeNull();
  });

  it('takes TRUST_DIR, TRUST_INTERMEDIATES_DIR and TRUST_FETCH_CA_ISSUERS, with --trust winning', () => {
    const env = { TRUST_DIR: '/etc/roots', TRUST_INTERMEDIATES_DIR: '/etc/cas', TRUST_FETCH_CA_ISSUERS: 'true' };
    expect(readTrustConfig(env)).toEqual({ roots: ['/etc/roots'], intermediates: ['/etc/cas'], caIssuers: { isEnabled: true } });
    expect(readTrustConfig(env, { trust: '/opt/roots' })?.roots).toEqual(['/opt/roots']);
    expect(readTrustConfig({ TRUST_DIR: '/etc/roots' })?.caIssuers).toEqual({ isEnabled: false });
  });

  it('raises CONFIG_INVALID for a TRUST_FETCH_CA_ISSUERS that is not a boolean', () => {
    expect(() => readTrustConfig({ TRUST_DIR: '/r', TRUST_FETCH_CA_ISSUERS: 'maybe' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});

describe('the in-memory revocation cache', () => {
  it('returns an entry until it expires, then forgets it', async () => {
    let now = new Date('2030-01-01T00:00:00Z');
    const cache = createMemoryRevocationCache({ clock: () => now });
    const entry = { kind: 'crl' as const, der: Buffer.from('x'), url: 'http://ca/crl', expiresAt: new Date('2030-01-01T01:00:00Z') };
    await cache.set('k', entry);
    expect(await cache.get('k')).toBe(entry);
    now = new Date('2030-01-01T01:00:01Z');
    expect(await cache.get('k')).toBeUndefined();
  });

  it('drops the oldest entries beyond its bound', async () => {
    const cache = createMemoryRevocationCache({ maxEntries: 2 });
    const expiresAt = new Date(Date.now() + 60_000);
    for (const key of ['a', 'b', 'c']) await cache.set(key, { kind: 'ocsp', der: Buffer.from(key), url: key, expiresAt });
    expect(await cache.get('a')).toBeUndefined();
    expect((await cache.get('c'))?.der.toString()).toBe('c');
  });
});
