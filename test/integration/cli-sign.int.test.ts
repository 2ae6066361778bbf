// The `mapsign` command as a user runs it: exit codes from the code table, JSON output,
// password sources, refusal to overwrite, and no file left behind on failure.

import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEncrypted, makePdf } from '../fixtures/make-pdf.js';
import { samplePki } from '../fixtures/make-pki.js';
import { REPO_ROOT as root, mapsign } from '../support/cli.js';
import { pdfsig } from '../support/verifiers.js';

const pki = samplePki();
let dir: string;
let sheet: string;

const password = { P12_PASSWORD: pki.password };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-cli-'));
  sheet = join(dir, 'sheet.pdf');
  await makePdf(sheet, { pageSize: 'A0', pages: 2 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('mapsign sign', () => {
  it('signs on the chosen page, prints JSON with the byte range and file hash, and exits 0', async () => {
    const output = join(dir, 'signed.pdf');
    const result = await mapsign(
      ['sign', sheet, '-o', output, '--p12', pki.p12.staffRsa, '--password-env', 'P12_PASSWORD', '--page', '1', '--field', 'KyDuyet', '--reason', 'Phê duyệt', '--json'],
      password,
    );
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout) as { ok: boolean; fieldName: string; pageNumber: number; byteRange: number[]; size: number; sha256: string; level: string };
    expect(json).toMatchObject({ ok: true, fieldName: 'KyDuyet', pageNumber: 1, level: 'B-B' });
    expect(json.size).toBe((await stat(output)).size);
    expect(json.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await pdfsig(output)).signatures[0]!.isValid).toBe(true);
  });

  it('reads the password from a file', async () => {
    const passwordFile = join(dir, 'password.txt');
    await writeFile(passwordFile, `${pki.password}\n`, { mode: 0o600 });
    const result = await mapsign(['sign', sheet, '-o', join(dir, 'signed-file-password.pdf'), '--p12', pki.p12.staffEc, '--password-file', passwordFile]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Trần Thị Bình');
  });

  it('exits 77 with KEY_PASSWORD_WRONG on a wrong password, never printing the password, and writes nothing', async () => {
    const outDir = await mkdtemp(join(dir, 'wrong-'));
    const result = await mapsign(['sign', sheet, '-o', join(outDir, 'x.pdf'), '--p12', pki.p12.staffRsa, '--password-env', 'P12_PASSWORD'], {
      P12_PASSWORD: 'not-the-password-xyz',
    });
    expect(result.code).toBe(77);
    expect(result.stderr).toContain('KEY_PASSWORD_WRONG');
    expect(result.stderr + result.stdout).not.toContain('not-the-password-xyz');
    expect(await readdir(outDir)).toEqual([]);
  });

  it('exits 65 with PDF_ENCRYPTED for an encrypted sheet, and reports the error as JSON when asked', async () => {
    const encrypted = await makeEncrypted(join(dir, 'encrypted.pdf'));
    const result = await mapsign(['sign', encrypted, '-o', join(dir, 'enc-out.pdf'), '--p12', pki.p12.staffRsa, '--password-env', 'P12_PASSWORD', '--json'], password);
    expect(result.code).toBe(65);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, error: { code: 'PDF_ENCRYPTED' } });
  });

  it('exits 66 with INPUT_NOT_FOUND for a missing input', async () => {
    const result = await mapsign(['sign', join(dir, 'missing.pdf'), '-o', join(dir, 'y.pdf'), '--p12', pki.p12.staffRsa, '--password-env', 'P12_PASSWORD'], password);
    expect(result.code).toBe(66);
    expect(result.stderr).toContain('INPUT_NOT_FOUND');
  });

  it('exits 64 when no password source is given', async () => {
    const result = await mapsign(['sign', sheet, '-o', join(dir, 'z.pdf'), '--p12', pki.p12.staffRsa]);
    expect(result.code).toBe(64);
    expect(result.stderr).toContain('--password-env');
  });

  it('refuses to replace an existing output unless --force is given', async () => {
    const output = join(dir, 'exists.pdf');
    await writeFile(output, 'keep me');
    const refused = await mapsign(['sign', sheet, '-o', output, '--p12', pki.p12.staffRsa, '--password-env', 'P12_PASSWORD'], password);
    expect(refused.code).toBe(64);
    expect(refused.stderr).toContain('OUTPUT_EXISTS');
    const forced = await mapsign(['sign', sheet, '-o', output, '--p12', pki.p12.staffRsa, '--password-env', 'P12_PASSWORD', '--force'], password);
    expect(forced.code, forced.stderr).toBe(0);
    expect((await pdfsig(output)).signatures).toHaveLength(1);
  });

  it('exits 65 with KEY_USAGE_NOT_ALLOWED for a certificate without signing usage', async () => {
    const result = await mapsign(['sign', sheet, '-o', join(dir, 'usage.pdf'), '--p12', pki.p12.noSigningUsage, '--password-env', 'P12_PASSWORD'], password);
    expect(result.code).toBe(65);
    expect(result.stderr).toContain('KEY_USAGE_NOT_ALLOWED');
  });
});

describe('mapsign inspect', () => {
  it('lists revisions and signature fields with their byte ranges as JSON', async () => {
    const signed = join(dir, 'to-inspect.pdf');
    await mapsign(['sign', sheet, '-o', signed, '--p12', pki.p12.staffRsa, '--password-env', 'P12_PASSWORD'], password);
    const result = await mapsign(['inspect', signed, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout) as { pageCount: number; revisions: unknown[]; signatures: Array<{ field: string; coversWholeFile: boolean; subFilter: string }> };
    expect(json.pageCount).toBe(2);
    expect(json.revisions).toHaveLength(2);
    expect(json.signatures).toEqual([expect.objectContaining({ field: 'Signature1', coversWholeFile: true, subFilter: 'ETSI.CAdES.detached' })]);
  });
});

describe('npx mapsign', () => {
  it('runs the built command after npm install', async () => {
    const { stdout } = await promisify(execFile)('npx', ['--no-install', 'mapsign', '--version'], { cwd: root, encoding: 'utf8' });
    expect(stdout.trim()).toBe('0.1.0');
  });
});
