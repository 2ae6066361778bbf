// A process killed with SIGKILL while archiving leaves no partial blob and no disagreement:
// killed while streaming a 200 MB blob (only a temporary file remains, removed on the next
// start), and killed after the blob became visible but before its catalog rows (the ingest
// intent lets the next start roll the blob back).

import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openArchive } from '../../src/archive/index.js';
import { openPkcs12KeySource } from '../../src/pki/index.js';
import { signPdf } from '../../src/signing/index.js';
import { BACKENDS, openTestCatalog, type BackendKind, type TestCatalog } from '../fixtures/archive-backends.js';
import { makePdf } from '../fixtures/make-pdf.js';
import { samplePki } from '../fixtures/make-pki.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const child = join(root, 'test', 'fixtures', 'archive-crash-child.ts');
let dir: string;
let signed: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-archive-crash-'));
  const pki = samplePki();
  const keySource = await openPkcs12KeySource({ path: pki.p12.staffRsa, password: pki.password });
  const sheet = await makePdf(join(dir, 'sheet.pdf'), { pageSize: 'A0' });
  signed = join(dir, 'signed.pdf');
  await signPdf({ input: sheet.path, output: signed, keySource });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the child until it prints `signal`, then kills it with SIGKILL; resolves once it is gone. */
function runAndKill(t: TestCatalog, args: string[], signal: string): Promise<{ output: string; killedBy: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, ...args], { cwd: root, env: { ...process.env, ...t.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(signal)) proc.kill('SIGKILL');
    });
    proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.on('error', reject);
    proc.on('exit', (_code, killedBy) => resolve({ output, killedBy }));
  });
}

async function listDir(path: string): Promise<string[]> {
  return readdir(path).catch(() => []);
}

async function visibleBlobs(dataDir: string): Promise<string[]> {
  const objects = join(dataDir, 'blobs', 'objects');
  const names: string[] = [];
  for (const folder of await listDir(objects)) names.push(...(await listDir(join(objects, folder))));
  return names;
}

describe.each(BACKENDS)('archive after a SIGKILL on %s', (kind: BackendKind) => {
  let t: TestCatalog;

  beforeAll(async () => {
    t = await openTestCatalog(kind);
  });

  afterAll(async () => {
    await t?.cleanup();
  });

  it('shows no partial blob after a kill while streaming 200 MB, and check is clean', async () => {
    const { output, killedBy } = await runAndKill(t, ['during-blob'], 'half');
    expect(killedBy, output).toBe('SIGKILL');
    const temp = join(t.archiveOptions.dataDir, 'blobs', 'tmp');
    const leftovers = await listDir(temp);
    expect(leftovers).toHaveLength(1);
    expect((await stat(join(temp, leftovers[0]!))).size).toBeGreaterThan(50 * 1024 * 1024);
    expect(await visibleBlobs(t.archiveOptions.dataDir)).toEqual([]);

    const archive = await openArchive({ ...t.archiveOptions, catalog: await t.reopen() });
    expect(await listDir(temp)).toEqual([]);
    const check = await archive.check();
    expect(check).toMatchObject({ isConsistent: true, revisions: 0, blobs: 0, problems: [] });
    expect((await archive.verifyAudit()).entries).toBe(0);
  });

  it('rolls back a blob that became visible before its catalog rows, and check is clean', async () => {
    const { output, killedBy } = await runAndKill(t, ['before-commit', signed], 'committed');
    expect(killedBy, output).toBe('SIGKILL');
    expect(await visibleBlobs(t.archiveOptions.dataDir)).toHaveLength(1);

    const catalog = await t.reopen();
    const before = await openArchive({ ...t.archiveOptions, catalog, recover: false });
    expect((await before.check()).problems.map((p) => p.kind)).toEqual(['interrupted-ingest']);

    const after = await openArchive({ ...t.archiveOptions, catalog });
    expect(await visibleBlobs(t.archiveOptions.dataDir)).toEqual([]);
    expect(await catalog.listIntents()).toEqual([]);
    expect(await after.check()).toMatchObject({ isConsistent: true, revisions: 0, blobs: 0 });
    expect((await catalog.counts()).sheets).toBe(0);
  });
});
