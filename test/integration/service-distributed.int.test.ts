// The distributed mode: with DATABASE_URL and REDIS_URL, `mapsign serve` (API only) and
// `mapsign worker` run as separate processes that share nothing but PostgreSQL, Redis and the
// folder of files. Keys made by `mapsign keys create` authenticate at the running API, a request
// goes through a server signature and a staff signature to a signed callback, the API's /metrics
// shows what the worker process tallied, and no service.sqlite is created: requests, staff
// claims, deliveries and keys all live in PostgreSQL.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE_URL } from '../fixtures/archive-backends.js';
import { makePdf } from '../fixtures/make-pdf.js';
import { SAMPLE_PKI_DIR } from '../fixtures/make-pki.js';
import { dropSchema, uniqueSchema } from '../fixtures/service-store-backends.js';
import { mapsign, REPO_ROOT } from '../support/cli.js';
import { multipart, REDIS_URL, removeQueueKeys, sheetMetadata, waitFor } from '../support/service.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/service-webhook.js';
import { pdfsig } from '../support/verifiers.js';

const schema = uniqueSchema('distributed');
const prefix = `mapsign-test-${Math.random().toString(36).slice(2, 10)}`;
const children: ChildProcess[] = [];
let dataDir: string;
let env: Record<string, string>;
let api: string;
let receiver: WebhookReceiver;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function start(args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  child.once('exit', (code) => {
    if (code !== 0 && code !== null) process.stderr.write(`mapsign ${args[0]} exited ${code}: ${stderr}\n`);
  });
  children.push(child);
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** Makes a key with `mapsign keys create` and returns the last line of its output, and the webhook secret it printed. */
async function createKey(args: string[]): Promise<{ key: string; webhookSecret: string | null }> {
  const created = await mapsign(['keys', 'create', ...args], env);
  expect(created.code, created.stderr).toBe(0);
  const lines = created.stdout.trim().split('\n');
  return { key: lines[lines.length - 1]!, webhookSecret: /(whsec_\S+)/.exec(created.stdout)?.[1] ?? null };
}

const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

interface View {
  status: string;
  sheets: Array<{ status: string; sheetId: number | null; fileUrl: string | null; signaturesDone: number }>;
  notification: { attempts: number; deliveredAt: string | null } | null;
}

async function view(id: string, key: string): Promise<View> {
  return (await (await fetch(`${api}/v1/sign-requests/${id}`, { headers: bearer(key) })).json()) as View;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mapsign-distributed-'));
  receiver = await startWebhookReceiver();
  const port = await freePort();
  api = `http://127.0.0.1:${port}`;
  env = {
    MAPSIGN_DATA_DIR: dataDir,
    DATABASE_URL: TEST_DATABASE_URL,
    MAPSIGN_PG_SCHEMA: schema,
    REDIS_URL,
    MAPSIGN_QUEUE_PREFIX: prefix,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    MAPSIGN_BACKOFF_MS: '100',
    MAPSIGN_CALLBACK_ALLOW: '127.0.0.1',
    MAPSIGN_SHUTDOWN_GRACE_MS: '5000',
    STAFF_P12_PASSWORD: 'mapsign-sample',
  };
});

afterAll(async () => {
  for (const child of children.splice(0)) await stop(child);
  await removeQueueKeys(REDIS_URL, prefix);
  await receiver?.close();
  await dropSchema(schema);
  await rm(dataDir, { recursive: true, force: true });
});

describe('the distributed mode (DATABASE_URL and REDIS_URL)', () => {
  it('lets an API and a worker process that share only PostgreSQL, Redis and the files folder complete a request, with keys made by the CLI', async () => {
    // Made before any service process runs: the CLI migrates the tables itself.
    const portal = await createKey(['--name', 'portal', '--scopes', 'sign:request,sheets:read']);
    expect(portal.key).toMatch(/^msk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    const staff = await createKey(['--name', 'an', '--staff', '--roles', 'chief', '--p12', join(SAMPLE_PKI_DIR, 'staff-rsa.p12'), '--password-env', 'STAFF_P12_PASSWORD']);

    start(['serve']);
    start(['worker', 'all']);
    await waitFor(async () => ((await fetch(`${api}/readyz`).catch(() => null))?.ok ? true : undefined), 60_000, 'the API to be ready');

    const sheet = await readFile((await makePdf(join(dataDir, 'input.pdf'), { pageSize: 'A1' })).path);
    const request = {
      signatures: [{ role: 'department', signer: 'department-seal' }, { role: 'chief' }],
      sheets: [{ part: 's1', metadata: sheetMetadata(71) }],
      callbackUrl: receiver.url,
    };
    const body = multipart([{ name: 'request', value: JSON.stringify(request), type: 'application/json' }, { name: 's1', value: sheet, filename: 's1.pdf', type: 'application/pdf' }]);
    const accepted = await fetch(`${api}/v1/sign-requests`, { method: 'POST', body: body.payload, headers: { ...body.headers, ...bearer(portal.key), 'idempotency-key': 'distributed-1' } });
    expect(accepted.status, await accepted.clone().text()).toBe(202);
    const { id } = (await accepted.json()) as { id: string };

    // The worker signs with the server key, archives, and the sheet waits for a staff member.
    await waitFor(async () => ((await view(id, portal.key)).status === 'waiting-signature' ? true : undefined), 120_000, 'the server signature');
    const tasks = (await (await fetch(`${api}/v1/tasks`, { headers: bearer(staff.key) })).json()) as { items: Array<{ id: string; requestId: string }> };
    const ids = tasks.items.filter((t) => t.requestId === id).map((t) => t.id);
    expect(ids).toHaveLength(1);
    const signed = await fetch(`${api}/v1/tasks/sign`, { method: 'POST', body: JSON.stringify({ tasks: ids }), headers: { ...bearer(staff.key), 'content-type': 'application/json' } });
    expect(signed.status, await signed.clone().text()).toBe(202);

    // The worker finds the staff member's key and the system's webhook secret in PostgreSQL.
    const done = await waitFor(async () => {
      const current = await view(id, portal.key);
      return current.status === 'completed' && current.notification?.deliveredAt ? current : undefined;
    }, 120_000, 'the staff signature and the callback');
    expect(done.sheets).toEqual([expect.objectContaining({ status: 'done', signaturesDone: 2 })]);
    const delivery = receiver.deliveries[receiver.deliveries.length - 1]!;
    const message = new Webhook(portal.webhookSecret!).verify(delivery.body, delivery.headers as Record<string, string>) as { data: { id: string } };
    expect(message.data.id).toBe(id);
    const file = await fetch(`${api}${done.sheets[0]!.fileUrl}`, { headers: bearer(portal.key) });
    expect(file.status).toBe(200);
    const signedPath = join(dataDir, 'signed.pdf');
    await writeFile(signedPath, Buffer.from(await file.arrayBuffer()));
    expect((await pdfsig(signedPath)).signatures.map((s) => s.isValid)).toEqual([true, true]);

    // The API process runs no job: its job figures are what the worker process tallied in Redis.
    const prometheus = await createKey(['--name', 'prometheus', '--scopes', 'metrics']);
    const metrics = await (await fetch(`${api}/metrics`, { headers: bearer(prometheus.key) })).text();
    expect(metrics).toContain('mapsign_signatures_total 2\n');
    expect(metrics).toMatch(/mapsign_job_duration_seconds_count\{queue="archive-sheet",outcome="completed"\} 2\n/);
    expect(metrics).toMatch(/mapsign_job_duration_seconds_count\{queue="notify",outcome="completed"\} [1-9]\n/);

    // Nothing of the service went to SQLite: the rows are in PostgreSQL.
    expect(existsSync(join(dataDir, 'service.sqlite'))).toBe(false);
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schema}` });
    await client.connect();
    try {
      expect((await client.query('SELECT state, step, archived_step FROM request_sheets WHERE request_id = $1', [id])).rows).toEqual([{ state: 'done', step: 2, archived_step: 2 }]);
      expect((await client.query('SELECT account FROM staff_claims WHERE request_id = $1', [id])).rows).toEqual([{ account: 'an' }]);
      expect(Number((await client.query('SELECT count(*) AS n FROM webhook_deliveries WHERE request_id = $1 AND delivered', [id])).rows[0].n)).toBe(1);
    } finally {
      await client.end();
    }
  });

  it('refuses at the running API a key the CLI revoked, and accepts one it made while the API ran', async () => {
    const registry = await createKey(['--name', 'registry', '--scopes', 'sheets:read']);
    expect((await fetch(`${api}/v1/sheets`, { headers: bearer(registry.key) })).status).toBe(200);
    const revoked = await mapsign(['keys', 'revoke', 'registry'], env);
    expect(revoked.code, revoked.stderr).toBe(0);
    const refused = await fetch(`${api}/v1/sheets`, { headers: bearer(registry.key) });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { code: string }).code).toBe('AUTH_REQUIRED');
    const listed = await mapsign(['keys', 'list', '--json'], env);
    expect((JSON.parse(listed.stdout) as { keys: Array<{ name: string }> }).keys.map((k) => k.name)).toEqual(['portal', 'an', 'prometheus', 'registry']);
    expect(existsSync(join(dataDir, 'service.sqlite'))).toBe(false);
  });
});
