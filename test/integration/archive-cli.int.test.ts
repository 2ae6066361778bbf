// The archive through the `mapsign` command, on SQLite and PostgreSQL: archive add, search,
// archive get, archive check and audit verify, with the exit codes of the error table.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPkcs12KeySource } from '../../src/pki/index.js';
import { signPdf } from '../../src/signing/index.js';
import { BACKENDS, disableAuditGuard, openTestCatalog, type BackendKind, type TestCatalog } from '../fixtures/archive-backends.js';
import { makePdf } from '../fixtures/make-pdf.js';
import { samplePki } from '../fixtures/make-pki.js';
import { EXAMPLE_METADATA } from '../fixtures/make-sheet-records.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const main = join(root, 'src', 'cli', 'main.ts');
let dir: string;
let signed: string;
let metaPath: string;

const META = { ...EXAMPLE_METADATA };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-archive-cli-'));
  const pki = samplePki();
  const keySource = await openPkcs12KeySource({ path: pki.p12.staffRsa, password: pki.password });
  const sheet = await makePdf(join(dir, 'sheet.pdf'));
  signed = join(dir, 'signed.pdf');
  await signPdf({ input: sheet.path, output: signed, keySource });
  metaPath = join(dir, 'meta.json');
  await writeFile(metaPath, JSON.stringify(META));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function mapsign(t: TestCatalog, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', main, ...args], { cwd: root, env: { ...process.env, ...t.env, MAPSIGN_ACTOR: 'cli-test' } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe.each(BACKENDS)('mapsign archive, search and audit on %s', (kind: BackendKind) => {
  let t: TestCatalog;

  beforeAll(async () => {
    t = await openTestCatalog(kind);
  });

  afterAll(async () => {
    await t?.cleanup();
  });

  it('archives a signed sheet and prints its id and a new random public code as JSON', async () => {
    const result = await mapsign(t, ['archive', 'add', signed, '--meta', metaPath, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, sheetId: 1, revision: 1, isNewSheet: true, publicCode: expect.stringMatching(/^[a-z2-7]{26}$/) });
    const shown = await mapsign(t, ['archive', 'show', '1']);
    expect(shown.stdout).toContain(`public code ${(JSON.parse(result.stdout) as { publicCode: string }).publicCode}`);
  });

  it('refuses metadata with an unknown field with exit 65 and ARCHIVE_METADATA_INVALID', async () => {
    const bad = join(dir, `${kind}-bad.json`);
    await writeFile(bad, JSON.stringify({ ...META, sheetNumber: '26', owner: 'Nguyễn Văn A' }));
    const result = await mapsign(t, ['archive', 'add', signed, '--meta', bad]);
    expect(result.code).toBe(65);
    expect(result.stderr).toContain('ARCHIVE_METADATA_INVALID');
    expect(result.stderr).toContain('owner: is not a field');
  });

  it('finds the sheet with "to 25 thua 112" and a commune filter', async () => {
    const result = await mapsign(t, ['search', 'tờ 25 thửa 112', '--commune', 'tran bien', '--from', '2020-01-01', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).items.map((s: { id: number }) => s.id)).toEqual([1]);
    const none = await mapsign(t, ['search', 'vung tau']);
    expect(none.stdout).toContain('no sheet found');
  });

  it('writes the archived file out unchanged', async () => {
    const output = join(dir, `${kind}-out.pdf`);
    const result = await mapsign(t, ['archive', 'get', '1', '-o', output]);
    expect(result.code, result.stderr).toBe(0);
    const sha = async (p: string) => createHash('sha256').update(await readFile(p)).digest('hex');
    expect(await sha(output)).toBe(await sha(signed));
  });

  it('names an edited audit entry and exits 65', async () => {
    expect((await mapsign(t, ['audit', 'verify'])).code).toBe(0);
    for (const sql of disableAuditGuard(kind)) await t.exec(sql);
    await t.exec("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2");
    const result = await mapsign(t, ['audit', 'verify']);
    expect(result.code).toBe(65);
    expect(result.stderr).toContain('AUDIT_TAMPERED');
    expect(result.stderr).toContain('entry #2');
  });

  it('reports a blob missing from the store and exits 65', async () => {
    expect((await mapsign(t, ['archive', 'check'])).code).toBe(0);
    const sha256 = createHash('sha256').update(await readFile(signed)).digest('hex');
    await unlink(join(t.archiveOptions.dataDir, 'blobs', 'objects', sha256.slice(0, 2), sha256));
    const result = await mapsign(t, ['archive', 'check', '--json']);
    expect(result.code).toBe(65);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, error: { code: 'ARCHIVE_CORRUPT', details: { problems: [expect.stringContaining('missing-blob: sheet 1 revision 1')] } } });
  });
});
