// Crashes: a BullMQ worker process killed with SIGKILL after it wrote a signed file but before it
// recorded it; new worker processes (the real workers/ entry points) take the stalled job over,
// and every sheet ends with exactly one signature per role, archived exactly once, none lost. The
// embedded queue, stopped while a job runs, resumes it when the service starts again.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signPdf, type SignPdfOptions } from '../../src/signing/index.js';
import { makePdf } from '../fixtures/make-pdf.js';
import { REPO_ROOT } from '../support/cli.js';
import { multipart, sheetMetadata, startTestService, waitFor, type TestService } from '../support/service.js';
import { pdfsig } from '../support/verifiers.js';

let dir: string;
const sheets: Buffer[] = [];
const children: ChildProcess[] = [];
const SIGNERS = JSON.stringify({ 'department-seal': { p12: join(REPO_ROOT, 'certs-sample/department-seal.p12'), password: 'mapsign-sample' }, 'survey-unit': { p12: join(REPO_ROOT, 'certs-sample/staff-ec.p12'), password: 'mapsign-sample' } });
const ROLES = [{ role: 'survey-unit', signer: 'survey-unit' }, { role: 'department', signer: 'department-seal' }];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-queue-crash-'));
  for (let i = 0; i < 3; i++) sheets.push(await readFile((await makePdf(join(dir, `s${i}.pdf`), { pageSize: 'A0', pages: i + 1 })).path));
});

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function startChild(script: string, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, script), ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.resume();
  child.stderr?.resume();
  children.push(child);
  return child;
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function submitThree(service: TestService, key: string): Promise<string> {
  const body = multipart([
    { name: 'request', value: JSON.stringify({ signatures: ROLES, sheets: [0, 1, 2].map((i) => ({ part: `s${i}`, metadata: sheetMetadata(80 + i) })) }), type: 'application/json' },
    ...sheets.map((bytes, i) => ({ name: `s${i}`, value: bytes, filename: `s${i}.pdf`, type: 'application/pdf' })),
  ]);
  const response = await service.app.inject({ method: 'POST', url: '/v1/sign-requests', payload: body.payload, headers: { ...body.headers, authorization: `Bearer ${key}`, 'idempotency-key': 'crash-1' } });
  expect(response.statusCode, response.body).toBe(202);
  return (response.json() as { id: string }).id;
}

async function expectSignedOnce(service: TestService, id: string): Promise<void> {
  const request = (await service.runtime.store.get(id))!;
  for (const sheet of request.sheets) {
    expect(sheet).toMatchObject({ state: 'done', step: 2, archivedStep: 2 });
    const archived = await service.runtime.archive.getSheet(sheet.archiveSheetId!);
    expect(archived.revisions.map((r) => r.revision)).toEqual([1, 2]);
    expect(archived.signatures.map((s) => s.signerName)).toEqual(['Trần Thị Bình', 'Sở Nông nghiệp và Môi trường tỉnh Đồng Nai']);
    const path = join(dir, `check-${id}-${sheet.index}.pdf`);
    await service.runtime.archive.saveFile(sheet.archiveSheetId!, path, { overwrite: true });
    const checked = await pdfsig(path);
    expect(checked.signatures.map((s) => [s.commonName, s.isValid])).toEqual([
      ['Trần Thị Bình', true],
      ['Sở Nông nghiệp và Môi trường tỉnh Đồng Nai', true],
    ]);
  }
  const archivedEvents = [];
  let after = 0;
  for (;;) {
    const page = await service.runtime.archive.catalog.readAudit(after, 1000);
    archivedEvents.push(...page.filter((e) => e.kind === 'archived'));
    if (page.length < 1000) break;
    after = page[page.length - 1]!.seq;
  }
  expect(archivedEvents).toHaveLength(request.sheets.length * 2);
}

describe('a BullMQ worker killed mid-job', () => {
  it('is replaced by new workers that finish every sheet with exactly one signature per role', async () => {
    const service = await startTestService({ redis: true, runWorkers: false, env: { MAPSIGN_SIGNERS: SIGNERS, MAPSIGN_SIGN_CONCURRENCY: '1' } });
    try {
      const marker = join(dir, 'signed-but-not-recorded');
      const env = { ...service.env, MAPSIGN_SIGNERS: SIGNERS, MAPSIGN_SIGN_CONCURRENCY: '1', MAPSIGN_TEST_MARKER: marker };
      const doomed = startChild('test/support/service-worker-child.ts', [], env);
      const id = await submitThree(service, service.keys.portal);
      await waitFor(async () => (existsSync(marker) ? true : undefined), 60_000, 'the doomed worker to sign');
      doomed.kill('SIGKILL');
      await exited(doomed);
      const orphan = (await readFile(marker, 'utf8')).trim();
      const workers = ['workers/sign-worker.ts', 'workers/archive-worker.ts', 'workers/notify-worker.ts'].map((script) => startChild(script, [], { ...service.env, MAPSIGN_SIGNERS: SIGNERS }));
      await waitFor(async () => ((await service.runtime.store.get(id))!.sheets.every((s) => s.state === 'done') ? true : undefined), 120_000, 'the new workers to finish');
      await expectSignedOnce(service, id);
      // The file the killed worker signed was never recorded, so never archived.
      expect(await service.runtime.archive.catalog.findRevision(orphan)).toBeNull();
      for (const worker of workers) worker.kill('SIGTERM');
      expect(await Promise.all(workers.map(exited))).toEqual([0, 0, 0]);
    } finally {
      await service.close();
    }
  });
});

describe('the embedded queue stopped mid-job', () => {
  it('resumes the persisted job when the service starts again', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'mapsign-embedded-restart-'));
    let hung = 0;
    const first = await startTestService({
      dataDir,
      env: { MAPSIGN_SIGNERS: SIGNERS },
      leaseMs: 1000,
      overrides: {
        sign: async (options: SignPdfOptions) => {
          const result = await signPdf(options);
          hung++;
          await new Promise(() => undefined);
          return result;
        },
      },
    });
    const id = await submitThree(first, first.keys.portal);
    await waitFor(async () => (hung > 0 ? true : undefined), 60_000, 'a job to hang');
    // Stop without waiting for the job: it stays `active` under the old lease, as after a crash.
    await first.close({ keepData: true, graceMs: 0 });
    const second = await startTestService({ dataDir, createKeys: false, env: { MAPSIGN_SIGNERS: SIGNERS }, leaseMs: 1000 });
    try {
      await waitFor(async () => ((await second.runtime.store.get(id))!.sheets.every((s) => s.state === 'done') ? true : undefined), 120_000, 'the restarted service to finish');
      await expectSignedOnce(second, id);
    } finally {
      await second.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('mapsign serve killed with SIGKILL', () => {
  it('resumes the request after a restart and loses no sheet', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'mapsign-serve-restart-'));
    const env = { MAPSIGN_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent', MAPSIGN_SIGNERS: SIGNERS, MAPSIGN_SIGN_CONCURRENCY: '1', MAPSIGN_LOCK_DURATION_MS: '2000', REDIS_URL: '' };
    const keys = startChild('src/cli/main.ts', ['keys', 'create', '--name', 'portal', '--scopes', 'sign:request,sheets:read'], env);
    let keyOutput = '';
    keys.stdout?.removeAllListeners('data');
    keys.stdout?.on('data', (chunk: Buffer) => (keyOutput += chunk.toString()));
    expect(await exited(keys)).toBe(0);
    const key = keyOutput.trim().split('\n').pop()!;
    expect(key).toMatch(/^msk_/);
    const start = async (): Promise<{ child: ChildProcess; url: string }> => {
      const child = startChild('src/cli/main.ts', ['serve'], env);
      let text = '';
      child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
      const url = await waitFor(async () => /listening on (http:\/\/\S+)/.exec(text)?.[1], 60_000, 'mapsign serve to listen');
      return { child, url };
    };
    try {
      const first = await start();
      const body = multipart([
        { name: 'request', value: JSON.stringify({ signatures: ROLES, sheets: [0, 1, 2].map((i) => ({ part: `s${i}`, metadata: sheetMetadata(90 + i) })) }), type: 'application/json' },
        ...sheets.map((bytes, i) => ({ name: `s${i}`, value: bytes, filename: `s${i}.pdf`, type: 'application/pdf' })),
      ]);
      const response = await fetch(`${first.url}/v1/sign-requests`, { method: 'POST', body: body.payload, headers: { ...body.headers, authorization: `Bearer ${key}`, 'idempotency-key': 'serve-crash' } });
      expect(response.status).toBe(202);
      const { statusUrl } = (await response.json()) as { statusUrl: string };
      // Kill as soon as some of the work is done, so that some is not.
      await waitFor(async () => {
        const view = (await (await fetch(`${first.url}${statusUrl}`, { headers: { authorization: `Bearer ${key}` } })).json()) as { sheets: Array<{ signaturesDone: number }> };
        return view.sheets.some((s) => s.signaturesDone > 0) ? true : undefined;
      }, 60_000, 'a first signature');
      first.child.kill('SIGKILL');
      await exited(first.child);
      const second = await start();
      const done = await waitFor(async () => {
        const view = (await (await fetch(`${second.url}${statusUrl}`, { headers: { authorization: `Bearer ${key}` } })).json()) as { status: string; sheets: Array<{ signaturesDone: number; revision: number; fileUrl: string }> };
        return view.status === 'completed' ? view : undefined;
      }, 120_000, 'the restarted service to finish');
      for (const [i, sheet] of done.sheets.entries()) {
        expect(sheet).toMatchObject({ signaturesDone: 2, revision: 2 });
        const path = join(dir, `serve-${i}.pdf`);
        await writeFile(path, Buffer.from(await (await fetch(`${second.url}${sheet.fileUrl}`, { headers: { authorization: `Bearer ${key}` } })).arrayBuffer()));
        expect((await pdfsig(path)).signatures.map((s) => s.isValid)).toEqual([true, true]);
      }
      second.child.kill('SIGTERM');
      expect(await exited(second.child)).toBe(0);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
