// npm run bench:service — BENCH_SHEETS sheets (default 500) of about BENCH_SHEET_MIB MiB (default 5)
// through the HTTP API of `mapsign serve` with 1 and 2 workers (BullMQ worker processes when Redis
// answers at BENCH_REDIS_URL, else the embedded queue with that sign concurrency), one sheet per
// request, completion taken from each request's webhook. Printed next to bare signing of the same
// sheet by signPdf with the same parallelism in the same run: sheets per minute, p95 latency, and
// the service's share of bare throughput. Target (issue 6): service throughput ≥ 80 % of bare.
// With Redis, two layouts (BENCH_LAYOUTS, default "all,split"): every worker process runs every
// queue, or the workers sign and one more process archives, verifies and notifies.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { openAsBlob } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPkcs12KeySource } from '../src/pki/index.js';
import { BullmqQueue } from '../src/queue/index.js';
import { signPdf } from '../src/signing/index.js';
import { makeBenchSheet } from '../test/fixtures/make-pdf.js';
import { samplePki } from '../test/fixtures/make-pki.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = join(process.env['BENCH_DIR'] ?? join(root, 'bench', 'out'), 'service');
const sheets = Number(process.env['BENCH_SHEETS'] ?? 500);
const sheetMiB = Number(process.env['BENCH_SHEET_MIB'] ?? 5);
const workerCounts = (process.env['BENCH_WORKERS'] ?? '1,2').split(',').map(Number);
type Layout = 'all' | 'split';
const layouts = (process.env['BENCH_LAYOUTS'] ?? 'all,split').split(',') as Layout[];
const uploadsInFlight = Number(process.env['BENCH_UPLOADS'] ?? 8);
const redisUrl = process.env['BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const pki = samplePki();

interface Result {
  label: string;
  seconds: number;
  sheetsPerMinute: number;
  p95Seconds: number | null;
}

function isRedisUp(): boolean {
  const url = new URL(redisUrl);
  return spawnSync('redis-cli', ['-h', url.hostname, '-p', url.port || '6379', 'ping'], { encoding: 'utf8' }).stdout?.trim() === 'PONG';
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function pool(count: number, parallel: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < count) await work(next++);
  }));
}

async function bare(input: string, parallel: number): Promise<Result> {
  const keySource = await openPkcs12KeySource({ path: pki.p12.departmentSeal, password: pki.password });
  const latencies: number[] = [];
  const started = performance.now();
  await pool(sheets, parallel, async (i) => {
    const t0 = performance.now();
    const output = join(outDir, `bare-${i}.pdf`);
    await signPdf({ input, output, keySource, reason: 'bench', overwrite: true });
    await rm(output, { force: true });
    latencies.push((performance.now() - t0) / 1000);
  });
  const seconds = (performance.now() - started) / 1000;
  return { label: `bare signPdf, ${parallel} at a time`, seconds, sheetsPerMinute: (sheets / seconds) * 60, p95Seconds: percentile(latencies, 95) };
}

function start(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  // BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the service's processes.
  const nodeArgs = (process.env['BENCH_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, cli, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.setEncoding('utf8');
  // Keep the last of what it says, and say it if it stops before the run is over: a dead worker
  // would otherwise look like a hang.
  let said = '';
  child.stderr?.on('data', (chunk: string) => (said = (said + chunk).slice(-4000)));
  child.once('exit', (code, signal) => {
    if (signal !== 'SIGTERM' && !isStopping) console.error(`mapsign ${args.join(' ')} stopped (code ${code}, signal ${signal}):\n${said}`);
  });
  return child;
}

let isStopping = false;

async function listening(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stderr?.on('data', (chunk: string) => {
      text += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(text);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`mapsign serve exited with ${code}: ${text}`)));
  });
}

async function service(input: string, workers: number, useRedis: boolean, layout: Layout): Promise<Result> {
  const dataDir = join(outDir, `data-${workers}`);
  await rm(dataDir, { recursive: true, force: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MAPSIGN_DATA_DIR: dataDir,
    PORT: '0',
    LOG_LEVEL: 'warn',
    MAPSIGN_MAX_SHEETS: '10',
    MAPSIGN_SIGN_CONCURRENCY: useRedis ? '1' : String(workers),
    MAPSIGN_ARCHIVE_CONCURRENCY: useRedis ? '1' : String(workers),
    REDIS_URL: useRedis ? redisUrl : '',
    MAPSIGN_QUEUE_PREFIX: `mapsign-bench-${process.pid}-${workers}`,
    MAPSIGN_CALLBACK_ALLOW: '127.0.0.1',
  };
  const key = spawnSync(process.execPath, [cli, 'keys', 'create', '--name', 'bench', '--scopes', 'sign:request,sheets:read'], { env, encoding: 'utf8' }).stdout.trim().split('\n').pop()!;
  const done = new Map<string, number>();
  let onAll: () => void = () => undefined;
  const allDone = new Promise<void>((resolve) => (onAll = resolve));
  const receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const id = (JSON.parse(body) as { data: { id: string } }).data.id;
      if (!done.has(id)) done.set(id, performance.now());
      response.statusCode = 204;
      response.end();
      if (done.size === sheets) onAll();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/cb`;
  const server = start(['serve'], env);
  isStopping = false;
  // 'all': each worker process runs every queue; 'split': the workers sign, and one more process
  // archives, verifies and notifies (the queues are separate so that they can be scaled apart).
  const workerProcesses = !useRedis
    ? []
    : layout === 'all'
      ? Array.from({ length: workers }, () => start(['worker', 'all'], env))
      : [...Array.from({ length: workers }, () => start(['worker', 'sign-sheet'], env)), start(['worker', 'archive-sheet', 'notify'], env)];
  const children = [server, ...workerProcesses];
  try {
    const url = await listening(server);
    const submitted = new Map<string, number>();
    const started = performance.now();
    await pool(sheets, uploadsInFlight, async (i) => {
      const form = new FormData();
      form.append('request', JSON.stringify({
        signatures: [{ role: 'department', signer: 'department-seal' }],
        sheets: [{ part: 's1', metadata: { dossierCode: '000.00.31.H56-260715-0012', procedureCode: '1.013823', procedureSuffix: 'H56', documentKind: 'ban-do-dia-chinh', province: 'Đồng Nai', commune: 'Phường Trấn Biên', sheetNumber: String(i + 1), parcelNumbers: [], scale: 1000, paperSize: 'A0', surveyUnit: 'Công ty CP Đo đạc X' } }],
        callbackUrl,
      }));
      form.append('s1', await openAsBlob(input, { type: 'application/pdf' }), 'sheet.pdf');
      const t0 = performance.now();
      const response = await fetch(`${url}/v1/sign-requests`, { method: 'POST', body: form, headers: { authorization: `Bearer ${key}`, 'idempotency-key': `bench-${i}` } });
      if (response.status !== 202) throw new Error(`upload ${i}: HTTP ${response.status} ${await response.text()}`);
      submitted.set(((await response.json()) as { id: string }).id, t0);
    });
    await allDone;
    const seconds = (Math.max(...done.values()) - started) / 1000;
    const latencies = [...submitted].map(([id, t0]) => (done.get(id)! - t0) / 1000);
    const topology = !useRedis ? 'embedded' : layout === 'all' ? `BullMQ, worker all ×${workers}` : `BullMQ, sign ×${workers} + archive/notify ×1`;
    return { label: `service, ${workers} worker${workers > 1 ? 's' : ''} (${topology})`, seconds, sheetsPerMinute: (sheets / seconds) * 60, p95Seconds: percentile(latencies, 95) };
  } finally {
    isStopping = true;
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => (child.exitCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', resolve)))));
    await new Promise((resolve) => receiver.close(resolve));
    await rm(dataDir, { recursive: true, force: true });
    if (useRedis) {
      const queue = new BullmqQueue({ url: redisUrl, prefix: env['MAPSIGN_QUEUE_PREFIX']!, retry: { attempts: { 'sign-sheet': 1, 'archive-sheet': 1, notify: 1 }, backoffMs: 1 } });
      await queue.waitUntilReady();
      await queue.obliterate().finally(() => queue.close({ graceMs: 0 }));
    }
  }
}

await mkdir(outDir, { recursive: true });
const input = (await makeBenchSheet(join(outDir, `sheet-${sheetMiB}MiB.pdf`), sheetMiB)).path;
const useRedis = isRedisUp();
console.log(`${sheets} sheets of ${sheetMiB} MiB; queue: ${useRedis ? `BullMQ at ${redisUrl}` : 'embedded (Redis not reachable)'}`);
const rows: Array<[Result, Result]> = [];
for (const workers of workerCounts) {
  const reference = await bare(input, workers);
  for (const layout of useRedis ? layouts : (['all'] as Layout[])) rows.push([reference, await service(input, workers, useRedis, layout)]);
}
console.log('');
console.log('| run | wall s | sheets/min | p95 latency s | share of bare |');
console.log('|---|---|---|---|---|');
for (const [reference, measured] of rows) {
  console.log(`| ${reference.label} | ${reference.seconds.toFixed(1)} | ${reference.sheetsPerMinute.toFixed(0)} | ${reference.p95Seconds?.toFixed(2)} | 100 % |`);
  const share = (measured.sheetsPerMinute / reference.sheetsPerMinute) * 100;
  console.log(`| ${measured.label} | ${measured.seconds.toFixed(1)} | ${measured.sheetsPerMinute.toFixed(0)} | ${measured.p95Seconds?.toFixed(2)} | ${share.toFixed(0)} % ${share >= 80 ? '(target met)' : '(below the 80 % target)'} |`);
}
