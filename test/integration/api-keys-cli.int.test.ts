// `mapsign keys`: a new key is printed once, as the last line; list never shows secrets; a staff
// key is checked against its password when it is made; revoke.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_PKI_DIR } from '../fixtures/make-pki.js';
import { mapsign } from '../support/cli.js';

let dataDir: string;
let env: Record<string, string>;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mapsign-keys-cli-'));
  env = { MAPSIGN_DATA_DIR: dataDir, P12_PASSWORD: 'mapsign-sample', WRONG_PASSWORD: 'nope' };
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('mapsign keys', () => {
  it('prints a new key once, as the last line, and never again', async () => {
    const created = await mapsign(['keys', 'create', '--name', 'portal', '--scopes', 'sign:request,sheets:read'], env);
    expect(created.code, created.stderr).toBe(0);
    const lines = created.stdout.trim().split('\n');
    expect(lines[lines.length - 1]).toMatch(/^msk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(created.stdout).toMatch(/webhook secret .*whsec_/);
    const listed = await mapsign(['keys', 'list', '--json'], env);
    expect(JSON.parse(listed.stdout)).toMatchObject({ ok: true, keys: [{ name: 'portal', kind: 'system', scopes: ['sign:request', 'sheets:read'], revokedAt: null }] });
    expect(listed.stdout).not.toContain(lines[lines.length - 1]!.slice(18));
    expect(listed.stdout).not.toContain('whsec_');
  });

  it('makes staff accounts with their own key, checking its password first', async () => {
    const staff = await mapsign(['keys', 'create', '--name', 'an', '--staff', '--roles', 'department', '--p12', join(SAMPLE_PKI_DIR, 'staff-rsa.p12'), '--password-env', 'P12_PASSWORD'], env);
    expect(staff.code, staff.stderr).toBe(0);
    expect(staff.stdout.trim().split('\n').pop()).toMatch(/^msk_/);
    const wrong = await mapsign(['keys', 'create', '--name', 'binh', '--staff', '--roles', 'department', '--p12', join(SAMPLE_PKI_DIR, 'staff-ec.p12'), '--password-env', 'WRONG_PASSWORD'], env);
    expect(wrong.code).toBe(77);
    expect(wrong.stderr).toContain('KEY_PASSWORD_WRONG');
    expect((await mapsign(['keys', 'create', '--name', 'x', '--scopes', 'admin'], env)).code).toBe(64);
    // Stamp images go with the signing key and must exist.
    const images = ['--signature-image', join(SAMPLE_PKI_DIR, 'README.md'), '--seal-image', join(SAMPLE_PKI_DIR, 'README.md')];
    const withImages = await mapsign(['keys', 'create', '--name', 'cuong', '--staff', '--roles', 'department', '--p12', join(SAMPLE_PKI_DIR, 'staff-rsa.p12'), '--password-env', 'P12_PASSWORD', ...images], env);
    expect(withImages.code, withImages.stderr).toBe(0);
    expect(withImages.stdout).toContain(`signature image: ${join(SAMPLE_PKI_DIR, 'README.md')}`);
    expect((await mapsign(['keys', 'create', '--name', 'dung', '--staff', '--roles', 'department', '--p12', join(SAMPLE_PKI_DIR, 'staff-rsa.p12'), '--password-env', 'P12_PASSWORD', '--seal-image', join(dataDir, 'none.png')], env)).code).toBe(66);
    expect((await mapsign(['keys', 'create', '--name', 'dung', '--staff', '--roles', 'department', ...images], env)).code).toBe(64);
    expect((await mapsign(['keys', 'revoke', 'an'], env)).code).toBe(0);
    expect((await mapsign(['keys', 'revoke', 'an'], env)).code).toBe(66);
  });
});
