// Redis restarted while requests are queued (a private redis-server with --appendonly yes): the
// queued jobs survive; a request made while Redis is away is refused with 503 and kept, and the
// same Idempotency-Key enqueues it once Redis is back; `mapsign worker all` then finishes both.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePdf } from '../fixtures/make-pdf.js';
import { REPO_ROOT } from '../support/cli.js';
import { multipart, sheetMetadata, startTestService, waitFor, type TestService } from '../support/service.js';
import { pdfsig } from '../support/verifiers.js';

let dir: string;
let port: number;
let redis: ChildProcess | null = null;
let service: TestService;
const sheets: Buffer[] = [];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = server.address() as { port: number };
      server.close(() => resolve(p));
    });
  });
}

async function startRedis(): Promise<void> {
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--dir', dir], { stdio: 'ignore' });
  await waitFor(async () => {
    const ping = spawn('redis-cli', ['-p', String(port), 'ping'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    ping.stdout.on('data', (c: Buffer) => (out += c.toString()));
    await new Promise((resolve) => ping.once('exit', resolve));
    return out.trim() === 'PONG' ? true : undefined;
  }, 20_000, 'redis-server');
}

async function stopRedis(): Promise<void> {
  const child = redis!;
  const exit = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exit;
  redis = null;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-redis-restart-'));
  port = await freePort();
  for (let i = 0; i < 3; i++) sheets.push(await readFile((await makePdf(join(dir, `s${i}.pdf`), { pageSize: 'A4', pages: i + 1 })).path));
  await startRedis();
  service = await startTestService({ redis: true, runWorkers: false, env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
});

afterAll(async () => {
  await service?.close({ graceMs: 1000 });
  if (redis) await stopRedis();
  await rm(dir, { recursive: true, force: true });
});

async function submit(idempotencyKey: string, numbers: number[], files: Buffer[]) {
  const body = multipart([
    { name: 'request', value: JSON.stringify({ signatures: [{ role: 'department', signer: 'department-seal' }], sheets: numbers.map((n, i) => ({ part: `s${i}`, metadata: sheetMetadata(n) })) }), type: 'application/json' },
    ...files.map((bytes, i) => ({ name: `s${i}`, value: bytes, filename: `s${i}.pdf`, type: 'application/pdf' })),
  ]);
  return service.app.inject({ method: 'POST', url: '/v1/sign-requests', payload: body.payload, headers: { ...body.headers, authorization: `Bearer ${service.keys.portal}`, 'idempotency-key': idempotencyKey } });
}

describe('Redis restarted while requests are queued', () => {
  it('loses no request', async () => {
    const queued = await submit('before-restart', [101, 102], [sheets[0]!, sheets[1]!]);
    expect(queued.statusCode).toBe(202);
    const first = (queued.json() as { id: string }).id;
    await stopRedis();
    const refused = await submit('during-outage', [103], [sheets[2]!]);
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toMatchObject({ code: 'QUEUE_UNAVAILABLE' });
    expect((await service.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
    await startRedis();
    const retried = await waitFor(async () => {
      const response = await submit('during-outage', [103], [sheets[2]!]);
      return response.statusCode === 202 ? response : undefined;
    }, 30_000, 'the API to reach Redis again');
    const second = (retried.json() as { id: string }).id;
    const worker = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), 'worker', 'all'], { cwd: REPO_ROOT, env: { ...process.env, ...service.env }, stdio: 'ignore' });
    try {
      for (const id of [first, second]) {
        await waitFor(async () => ((await service.runtime.store.get(id))!.sheets.every((s) => s.state === 'done') ? true : undefined), 120_000, `request ${id}`);
        for (const sheet of (await service.runtime.store.get(id))!.sheets) {
          const path = join(dir, `${id}-${sheet.index}.pdf`);
          await service.runtime.archive.saveFile(sheet.archiveSheetId!, path);
          expect((await pdfsig(path)).signatures.map((s) => s.isValid)).toEqual([true]);
        }
      }
    } finally {
      const exit = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
      worker.kill('SIGTERM');
      expect(await exit).toBe(0);
    }
  });
});
