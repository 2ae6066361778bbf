// npm run bench:service — BENCH_SHEETS sheets (default 500) of about BENCH_SHEET_MIB MiB (default 5)
// through the HTTP API of `mapsign serve` with 1 and 2 workers (BullMQ worker processes when Redis
// answers at BENCH_REDIS_URL, else the embedded queue with that sign concurrency), one sheet per
// request, completion taken from each request's webhook. Printed next to bare signing of the same
// sheet by signPdf with the same parallelism in the same run: sheets per minute, p95 latency, and
// the service's share of bare throughput. Target (issue 6): service throughput ≥ 80 % of bare.
// With Redis, two layouts (BENCH_LAYOUTS, default "all,split"): every worker process runs every
// queue, or the workers sign and one more process archives, verifies and notifies.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { PdfReader } from '../src/pdf/index.js';
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
  /** CPU milliseconds per sheet, by process (user + system, and the system part), where measured. */
  cpuPerSheet?: Record<string, CpuTime>;
  /** The whole machine during the run (every process, /proc/stat). */
  machine?: MachineLoad | null;
}

interface CpuTime {
  total: number;
  system: number;
}

interface MachineLoad {
  /** Share of all cores' time that was busy, and the share spent in the kernel. */
  busy: number;
  kernel: number;
}

/** Jiffies of all cores since boot from /proc/stat: busy, of which kernel (system, irq, softirq), and idle. */
async function machineTicks(): Promise<{ busy: number; kernel: number; idle: number } | null> {
  const text = await readFile('/proc/stat', 'utf8').catch(() => null);
  const fields = text?.split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number);
  if (!fields || fields.length < 8) return null;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields as [number, number, number, number, number, number, number, number];
  return { busy: user + nice + system + irq + softirq + steal, kernel: system + irq + softirq, idle: idle + iowait };
}

/** Measures the machine's load from now until the returned function is called. */
async function watchMachine(): Promise<() => Promise<MachineLoad | null>> {
  const before = await machineTicks();
  return async () => {
    const after = await machineTicks();
    if (!before || !after) return null;
    const busy = after.busy - before.busy;
    const all = busy + after.idle - before.idle;
    return all > 0 ? { busy: busy / all, kernel: (after.kernel - before.kernel) / all } : null;
  };
}

function cpuOf(usage: NodeJS.CpuUsage): CpuTime {
  return { total: (usage.user + usage.system) / 1000 / sheets, system: usage.system / 1000 / sheets };
}

function cpuBetween(before: CpuSeconds | null | undefined, after: CpuSeconds | null | undefined): CpuTime | null {
  if (!before || !after) return null;
  return { total: ((after.user + after.system - before.user - before.system) * 1000) / sheets, system: ((after.system - before.system) * 1000) / sheets };
}

interface CpuSeconds {
  user: number;
  system: number;
}

/** User and system CPU seconds a live process has used so far (Linux /proc; null elsewhere). */
async function cpuSecondsOf(pid: number | undefined): Promise<CpuSeconds | null> {
  if (pid === undefined) return null;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (stat === null) return null;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
  return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
}

/** The process id of the Redis server at redisUrl, to count its CPU too. */
function redisPid(): number | undefined {
  const url = new URL(redisUrl);
  const info = spawnSync('redis-cli', ['-h', url.hostname, '-p', url.port || '6379', 'info', 'server'], { encoding: 'utf8' }).stdout ?? '';
  const match = /process_id:(\d+)/.exec(info);
  return match ? Number(match[1]) : undefined;
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
  const cpuBefore = process.cpuUsage();
  const machine = await watchMachine();
  const started = performance.now();
  await pool(sheets, parallel, async (i) => {
    const t0 = performance.now();
    const output = join(outDir, `bare-${i}.pdf`);
    await signPdf({ input, output, keySource, reason: 'bench', overwrite: true });
    await rm(output, { force: true });
    latencies.push((performance.now() - t0) / 1000);
  });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return { label: `bare signPdf, ${parallel} at a time`, seconds, sheetsPerMinute: (sheets / seconds) * 60, p95Seconds: percentile(latencies, 95), cpuPerSheet: { bare: cpuOf(cpu) }, machine: await machine() };
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

/**
 * POSTs `head`, the file streamed from disk, then `tail`, and answers with the status and body.
 * The client of a dossier system runs on its own machine; here it shares the two cores with the
 * server, so it is kept as cheap as curl would be (fetch with FormData costs several times more).
 */
async function postFile(url: string, headers: Record<string, string>, head: Buffer, file: string, tail: Buffer): Promise<{ status: number; body: string }> {
  const size = (await stat(file)).size;
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', agent: uploadAgent, headers: { ...headers, 'content-length': String(head.length + size + tail.length) } });
    request.once('error', reject);
    request.once('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.once('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.once('error', reject);
    });
    request.write(head);
    const source = createReadStream(file, { highWaterMark: 1 << 20 });
    source.once('error', (error) => request.destroy(error));
    source.once('end', () => request.end(tail));
    source.pipe(request, { end: false });
  });
}

/** The sheet (and its distinct tail) as the raw body of a POST. */
function postRaw(url: string, file: string, fileTail: Buffer): Promise<{ status: number; body: string }> {
  return postFile(url, { 'content-type': 'application/pdf' }, Buffer.alloc(0), file, fileTail);
}

/**
 * The floor: the same sheets from the same client to a server that only stores each durably and
 * signs it (bench/upload-sign-floor-child.ts), `signers` at a time. What the service does beyond
 * this (queue, request store, archive, verification, callback) is its own overhead.
 */
async function floor(input: string, signers: number): Promise<Result> {
  const tailOf = await distinctTails(input);
  const storeDir = join(outDir, `floor-${signers}`);
  await rm(storeDir, { recursive: true, force: true });
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', 'upload-sign-floor-child.ts'), storeDir, pki.p12.departmentSeal, pki.password], {
    cwd: root,
    env: { ...process.env, FLOOR_SIGNERS: String(signers) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.setEncoding('utf8');
  try {
    const url = await listening(child);
    const latencies: number[] = [];
    const cpuBefore = await cpuSecondsOf(child.pid);
    const clientCpuBefore = process.cpuUsage();
    const machine = await watchMachine();
    const started = performance.now();
    await pool(sheets, uploadsInFlight, async (i) => {
      const t0 = performance.now();
      const response = await postRaw(`${url}/sheets`, input, tailOf(i));
      if (response.status !== 200) throw new Error(`floor ${i}: HTTP ${response.status} ${response.body}`);
      latencies.push((performance.now() - t0) / 1000);
    });
    const seconds = (performance.now() - started) / 1000;
    const load = await machine();
    const clientCpu = process.cpuUsage(clientCpuBefore);
    const cpuAfter = await cpuSecondsOf(child.pid);
    const cpuPerSheet: Record<string, CpuTime> = { 'client (bench)': cpuOf(clientCpu) };
    const server = cpuBetween(cpuBefore, cpuAfter);
    if (server) cpuPerSheet['server'] = server;
    return { label: `floor: upload and sign over HTTP, ${signers} at a time`, seconds, sheetsPerMinute: (sheets / seconds) * 60, p95Seconds: percentile(latencies, 95), cpuPerSheet, machine: load };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    await rm(storeDir, { recursive: true, force: true });
  }
}

/**
 * A few hundred bytes that make the sheet a different file for each request: an incremental
 * update holding only a trailer with a new /ID. Dossier systems send different sheets; the same
 * bytes 500 times would be stored once and measure the store's deduplication, not the service.
 */
async function distinctTails(file: string): Promise<(index: number) => Buffer> {
  const reader = await PdfReader.open(file);
  try {
    if (reader.lastXrefKind !== 'table') throw new Error(`${file}: the bench sheet must end with a cross-reference table`);
    const root = reader.rootRef;
    const size = reader.nextObjectNumber;
    const prev = reader.sections[0]!.offset;
    const xrefAt = reader.size + 1;
    return (index) => {
      const id = randomBytes(12).toString('hex') + index.toString(16).padStart(8, '0');
      return Buffer.from(`\nxref\n0 1\n0000000000 65535 f\r\ntrailer\n<< /Size ${size} /Root ${root.num} ${root.gen} R /Prev ${prev} /ID [<${id}> <${id}>] >>\nstartxref\n${xrefAt}\n%%EOF\n`, 'latin1');
    };
  } finally {
    await reader.close();
  }
}

const uploadAgent = new Agent({ keepAlive: true, maxSockets: uploadsInFlight });

/** One multipart request: the `request` JSON, then the sheet (and its distinct tail) as part `s1`. */
function postMultipart(url: string, requestJson: string, file: string, headers: Record<string, string>, fileTail: Buffer = Buffer.alloc(0)): Promise<{ status: number; body: string }> {
  const boundary = `mapsign-bench-${randomBytes(12).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="request"\r\nContent-Type: application/json\r\n\r\n${requestJson}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="s1"; filename="sheet.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
  );
  const tail = Buffer.concat([fileTail, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  return postFile(url, { ...headers, 'content-type': `multipart/form-data; boundary=${boundary}` }, head, file, tail);
}

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
  const tailOf = await distinctTails(input);
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
    // With DATABASE_URL (the catalog, and with Redis the requests and keys, in PostgreSQL): a
    // schema of this run's own, dropped after it.
    MAPSIGN_PG_SCHEMA: `mapsign_bench_${process.pid}_${workers}_${layout}`,
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
    const redis = useRedis ? redisPid() : undefined;
    const redisCpuBefore = await cpuSecondsOf(redis);
    const cpuBefore = await Promise.all(children.map((child) => cpuSecondsOf(child.pid)));
    const clientCpuBefore = process.cpuUsage();
    const machine = await watchMachine();
    const started = performance.now();
    await pool(sheets, uploadsInFlight, async (i) => {
      const requestJson = JSON.stringify({
        signatures: [{ role: 'department', signer: 'department-seal' }],
        sheets: [{ part: 's1', metadata: { dossierCode: '000.00.31.H56-260715-0012', procedureCode: '1.013823', procedureSuffix: 'H56', documentKind: 'ban-do-dia-chinh', province: 'Đồng Nai', commune: 'Phường Trấn Biên', sheetNumber: String(i + 1), parcelNumbers: [], scale: 1000, paperSize: 'A0', surveyUnit: 'Công ty CP Đo đạc X' } }],
        callbackUrl,
      });
      const t0 = performance.now();
      const response = await postMultipart(`${url}/v1/sign-requests`, requestJson, input, { authorization: `Bearer ${key}`, 'idempotency-key': `bench-${i}` }, tailOf(i));
      if (response.status !== 202) throw new Error(`upload ${i}: HTTP ${response.status} ${response.body}`);
      submitted.set((JSON.parse(response.body) as { id: string }).id, t0);
    });
    await allDone;
    const load = await machine();
    const seconds = (Math.max(...done.values()) - started) / 1000;
    const clientCpu = process.cpuUsage(clientCpuBefore);
    const cpuAfter = await Promise.all(children.map((child) => cpuSecondsOf(child.pid)));
    const redisCpuAfter = await cpuSecondsOf(redis);
    const names = ['api', ...workerProcesses.map((_, i) => (layout === 'split' && i === workerProcesses.length - 1 ? 'archive/notify' : `worker ${i + 1}`))];
    const cpuPerSheet: Record<string, CpuTime> = { 'client (bench)': cpuOf(clientCpu) };
    children.forEach((_, i) => {
      const used = cpuBetween(cpuBefore[i], cpuAfter[i]);
      if (used) cpuPerSheet[names[i]!] = used;
    });
    const redisUsed = cpuBetween(redisCpuBefore, redisCpuAfter);
    if (redisUsed) cpuPerSheet['redis'] = redisUsed;
    const latencies = [...submitted].map(([id, t0]) => (done.get(id)! - t0) / 1000);
    const topology = !useRedis ? 'embedded' : layout === 'all' ? `BullMQ, worker all ×${workers}` : `BullMQ, sign ×${workers} + archive/notify ×1`;
    return { label: `service, ${workers} worker${workers > 1 ? 's' : ''} (${topology})`, seconds, sheetsPerMinute: (sheets / seconds) * 60, p95Seconds: percentile(latencies, 95), cpuPerSheet, machine: load };
  } finally {
    isStopping = true;
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => (child.exitCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', resolve)))));
    await new Promise((resolve) => receiver.close(resolve));
    await rm(dataDir, { recursive: true, force: true });
    if (env['DATABASE_URL']) {
      const client = new pg.Client({ connectionString: env['DATABASE_URL'] });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${env['MAPSIGN_PG_SCHEMA']!} CASCADE`).finally(() => client.end());
    }
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
const rows: Array<[Result, Result, Result]> = [];
for (const workers of workerCounts) {
  const reference = await bare(input, workers);
  const floorResult = await floor(input, workers);
  for (const layout of useRedis ? layouts : (['all'] as Layout[])) rows.push([reference, floorResult, await service(input, workers, useRedis, layout)]);
}
console.log('');
console.log('| run | wall s | sheets/min | p95 latency s | share of bare | share of floor |');
console.log('|---|---|---|---|---|---|');
const printed = new Set<Result>();
for (const [reference, floorResult, measured] of rows) {
  for (const baseline of [reference, floorResult]) {
    if (printed.has(baseline)) continue;
    printed.add(baseline);
    const share = baseline === reference ? '100 %' : `${((baseline.sheetsPerMinute / reference.sheetsPerMinute) * 100).toFixed(0)} %`;
    console.log(`| ${baseline.label} | ${baseline.seconds.toFixed(1)} | ${baseline.sheetsPerMinute.toFixed(0)} | ${baseline.p95Seconds?.toFixed(2)} | ${share} | ${baseline === floorResult ? '100 %' : ''} |`);
  }
  const share = (measured.sheetsPerMinute / reference.sheetsPerMinute) * 100;
  const ofFloor = (measured.sheetsPerMinute / floorResult.sheetsPerMinute) * 100;
  console.log(`| ${measured.label} | ${measured.seconds.toFixed(1)} | ${measured.sheetsPerMinute.toFixed(0)} | ${measured.p95Seconds?.toFixed(2)} | ${share.toFixed(0)} % ${share >= 80 ? '(target met)' : '(below the 80 % target)'} | ${ofFloor.toFixed(0)} % |`);
}
console.log('');
console.log(`CPU ms per sheet by process, user + system (of which in the kernel); the machine has ${availableParallelism()} cores:`);
for (const measured of [...new Set(rows.flat())]) {
  if (!measured.cpuPerSheet) continue;
  const parts = Object.entries(measured.cpuPerSheet).map(([name, cpu]) => `${name} ${cpu.total.toFixed(1)} (${cpu.system.toFixed(1)})`);
  const total = Object.values(measured.cpuPerSheet).reduce((sum, cpu) => sum + cpu.total, 0);
  const load = measured.machine ? `; machine ${(measured.machine.busy * 100).toFixed(0)} % busy, ${(measured.machine.kernel * 100).toFixed(0)} % in the kernel` : '';
  console.log(`- ${measured.label}: ${parts.join(', ')}; total ${total.toFixed(1)}${load}`);
}
