// A signing service for tests: a temporary data folder, the embedded queue (or BullMQ on the local
// Redis under a prefix of its own), API keys of two dossier systems and a staff member, and the
// Fastify app to drive with app.inject(). Multipart bodies are built with the platform FormData.

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { SheetMetadata } from '../../src/archive/index.js';
import { JOB_KIND_NAMES, buildServiceApp, loadServiceConfig, openServiceRuntime, type ServiceRuntime } from '../../src/cli/commands/worker.js';
import { BullmqQueue, type ProcessorDeps } from '../../src/queue/index.js';
import { SAMPLE_PKI_DIR } from '../fixtures/make-pki.js';
import { EXAMPLE_METADATA } from '../fixtures/make-sheet-records.js';

export const REDIS_URL = process.env['MAPSIGN_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

export interface TestKeys {
  /** Dossier system `portal`: sign:request and sheets:read. */
  portal: string;
  /** Another dossier system, `registry`, with the same scopes. */
  registry: string;
  /** A key with only `verify`. */
  verifyOnly: string;
  /** Staff `an` with role `department` and the staff-rsa key. */
  staff: string;
  /** Staff `binh` with role `surveyor` and no signing key. */
  staffNoKey: string;
  /** `prometheus`, with only the `metrics` scope (GET /metrics). */
  metrics: string;
  portalWebhookSecret: string;
}

export interface TestService {
  app: FastifyInstance;
  runtime: ServiceRuntime;
  keys: TestKeys;
  dataDir: string;
  env: Record<string, string>;
  close(options?: { keepData?: boolean; graceMs?: number }): Promise<void>;
}

export interface StartTestServiceOptions {
  /** Extra environment (MAPSIGN_MAX_UPLOAD_BYTES, …). */
  env?: Record<string, string>;
  /** BullMQ on the local Redis with a fresh prefix; jobs run in this process unless `runWorkers` is false. */
  redis?: boolean;
  runWorkers?: boolean;
  /** Reuse a data folder (a restart). */
  dataDir?: string;
  /** Create the API keys (default true; false when restarting on a folder that has them). */
  createKeys?: boolean;
  overrides?: Partial<ProcessorDeps>;
  leaseMs?: number;
}

export async function startTestService(options: StartTestServiceOptions = {}): Promise<TestService> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'mapsign-service-')));
  const env: Record<string, string> = {
    MAPSIGN_DATA_DIR: dataDir,
    MAPSIGN_BACKOFF_MS: '100',
    MAPSIGN_LOCK_DURATION_MS: '3000',
    MAPSIGN_STALLED_INTERVAL_MS: '1000',
    MAPSIGN_WEBHOOK_TIMEOUT_MS: '3000',
    // Webhook receivers of the tests listen on loopback, which the callback policy refuses by default.
    MAPSIGN_CALLBACK_ALLOW: '127.0.0.1',
    LOG_LEVEL: 'silent',
    ...(options.redis ? { REDIS_URL, MAPSIGN_QUEUE_PREFIX: `mapsign-test-${randomBytes(6).toString('hex')}` } : {}),
    ...options.env,
  };
  const config = loadServiceConfig({ PATH: process.env['PATH'], ...env });
  const logger = pino({ level: process.env['MAPSIGN_TEST_LOG'] ?? 'silent' });
  const runWorkers = options.runWorkers ?? true;
  const runtime = await openServiceRuntime(config, { role: options.redis ? (runWorkers ? 'worker' : 'api') : 'embedded', logger, overrides: options.overrides, leaseMs: options.leaseMs });
  const app = await buildServiceApp(runtime, config);
  await app.ready();
  if (runWorkers) await runtime.startWorkers(JOB_KIND_NAMES);
  await runtime.service.resume();
  let keys: TestKeys;
  if (options.createKeys ?? true) {
    const portal = await runtime.keys.create({ name: 'portal', kind: 'system', scopes: ['sign:request', 'sheets:read'] });
    const registry = await runtime.keys.create({ name: 'registry', kind: 'system', scopes: ['sign:request', 'sheets:read'] });
    const verifyOnly = await runtime.keys.create({ name: 'checker', kind: 'system', scopes: ['verify'] });
    const staff = await runtime.keys.create({ name: 'an', kind: 'staff', scopes: ['sheets:read'], roles: ['department'], signer: { p12: join(SAMPLE_PKI_DIR, 'staff-rsa.p12'), password: 'mapsign-sample' } });
    const staffNoKey = await runtime.keys.create({ name: 'binh', kind: 'staff', scopes: ['sheets:read'], roles: ['surveyor'] });
    const metrics = await runtime.keys.create({ name: 'prometheus', kind: 'system', scopes: ['metrics'] });
    keys = { portal: portal.key, registry: registry.key, verifyOnly: verifyOnly.key, staff: staff.key, staffNoKey: staffNoKey.key, metrics: metrics.key, portalWebhookSecret: portal.record.webhookSecret! };
  } else {
    keys = { portal: '', registry: '', verifyOnly: '', staff: '', staffNoKey: '', metrics: '', portalWebhookSecret: (await runtime.keys.get('portal'))?.webhookSecret ?? '' };
  }
  return {
    app,
    runtime,
    keys,
    dataDir,
    env,
    async close(closeOptions = {}) {
      await app.close();
      await runtime.close({ graceMs: closeOptions.graceMs ?? 5000 });
      if (options.redis && !closeOptions.keepData) await removeQueueKeys(env['REDIS_URL']!, env['MAPSIGN_QUEUE_PREFIX']!);
      if (!closeOptions.keepData && !options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Removes every BullMQ key of a prefix, once its workers are closed (they write as they stop). */
export async function removeQueueKeys(url: string, prefix: string): Promise<void> {
  const queue = new BullmqQueue({ url, prefix, retry: { attempts: { 'sign-sheet': 1, 'archive-sheet': 1, notify: 1 }, backoffMs: 1 } });
  try {
    await queue.waitUntilReady();
    await queue.obliterate();
  } catch {
    // Redis is gone (a test stopped it): nothing to remove.
  } finally {
    await queue.close({ graceMs: 0 });
  }
}

export interface Part {
  name: string;
  value: string | Buffer;
  filename?: string;
  type?: string;
}

/** A multipart/form-data body and its content type, as curl -F would send it (a part without filename is a field). */
export function multipart(parts: Part[]): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----mapsign${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename === undefined ? '' : `; filename="${part.filename}"`}`;
    const type = part.type ? `\r\nContent-Type: ${part.type}` : '';
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}${type}\r\n\r\n`), Buffer.isBuffer(part.value) ? part.value : Buffer.from(part.value), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** Sheet metadata of the archive contract; `n` makes the sheet number (and so the sheet) distinct. */
export function sheetMetadata(n: number, overrides: Partial<SheetMetadata> = {}): SheetMetadata {
  return { ...EXAMPLE_METADATA, sheetNumber: String(n), parcelNumbers: [String(100 + n)], ...overrides };
}

/** Polls `probe` until it returns a value other than undefined. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 60_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
