// The BullMQ adapter on the local Redis (a key prefix per test) with the catalog in PostgreSQL:
// a request of three sheets flows sign → archive → notify, the callback is retried after a 503
// and its HMAC checks; a sheet that cannot be signed fails once (UnrecoverableError), with its
// code, while the others finish; a retryable failure is retried with backoff; the same
// Idempotency-Key adds no job.

import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MapsignError } from '../../src/errors.js';
import type { BullmqQueue } from '../../src/queue/index.js';
import { signPdf, type SignPdfOptions } from '../../src/signing/index.js';
import { TEST_DATABASE_URL } from '../fixtures/archive-backends.js';
import { makePdf } from '../fixtures/make-pdf.js';
import { multipart, sheetMetadata, startTestService, waitFor, type TestService } from '../support/service.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/service-webhook.js';
import { pdfsig } from '../support/verifiers.js';

const schema = `mapsign_queue_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
let dir: string;
let service: TestService;
let receiver: WebhookReceiver;
const files: Buffer[] = [];
let encrypted: Buffer;
let failTsaOnce = true;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-queue-bullmq-'));
  for (let i = 0; i < 3; i++) files.push(await readFile((await makePdf(join(dir, `s${i}.pdf`), { pageSize: 'A1', pages: i + 1 })).path));
  encrypted = await readFile((await makePdf(join(dir, 'encrypted.pdf'), { encrypted: true })).path);
  receiver = await startWebhookReceiver();
  service = await startTestService({
    redis: true,
    env: { DATABASE_URL: TEST_DATABASE_URL, MAPSIGN_PG_SCHEMA: schema, MAPSIGN_SIGNERS: JSON.stringify({ 'department-seal': { p12: 'certs-sample/department-seal.p12', password: 'mapsign-sample' }, 'survey-unit': { p12: 'certs-sample/staff-ec.p12', password: 'mapsign-sample' } }) },
    overrides: {
      // The first signing of the good sheet in the retry-role request meets a TSA outage: a
      // retryable code. Keyed on the file, not on job order, since both sheets run at once.
      sign: async (options: SignPdfOptions) => {
        if (failTsaOnce && options.reason?.endsWith('retry-role') && (await stat(options.input)).size === files[0]!.length) {
          failTsaOnce = false;
          throw new MapsignError('TSA_UNAVAILABLE', 'the TSA did not answer (test)');
        }
        return signPdf(options);
      },
    },
  });
});

afterAll(async () => {
  await service?.close();
  await receiver?.close();
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => client.end());
  await rm(dir, { recursive: true, force: true });
});

const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

async function submit(idempotencyKey: string, request: unknown, parts: Array<{ part: string; bytes: Buffer }>) {
  const body = multipart([{ name: 'request', value: JSON.stringify(request), type: 'application/json' }, ...parts.map((p) => ({ name: p.part, value: p.bytes, filename: `${p.part}.pdf`, type: 'application/pdf' }))]);
  return service.app.inject({ method: 'POST', url: '/v1/sign-requests', payload: body.payload, headers: { ...body.headers, ...bearer(service.keys.portal), 'idempotency-key': idempotencyKey } });
}

interface View {
  status: string;
  sheets: Array<{ status: string; sheetId: number | null; fileUrl: string | null; signaturesDone: number; error: { code: string } | null }>;
  notification: { attempts: number; deliveredAt: string | null } | null;
}

async function poll(id: string, until: (view: View) => boolean): Promise<View> {
  return waitFor(async () => {
    const view = (await service.app.inject({ method: 'GET', url: `/v1/sign-requests/${id}`, headers: bearer(service.keys.portal) })).json() as View;
    return until(view) ? view : undefined;
  }, 120_000, `request ${id}`);
}

describe('BullMQ flows', () => {
  it('takes three sheets through two roles to signed, archived in PostgreSQL, and a callback retried after a 503', async () => {
    receiver.answer.push(503);
    const request = {
      signatures: [{ role: 'survey-unit', signer: 'survey-unit' }, { role: 'department', signer: 'department-seal' }],
      sheets: [0, 1, 2].map((i) => ({ part: `s${i}`, metadata: sheetMetadata(60 + i) })),
      callbackUrl: receiver.url,
    };
    const response = await submit('three-sheets', request, files.map((bytes, i) => ({ part: `s${i}`, bytes })));
    expect(response.statusCode, response.body).toBe(202);
    const { id } = response.json() as { id: string };
    const view = await poll(id, (v) => v.notification?.deliveredAt !== null && v.notification?.deliveredAt !== undefined);
    expect(view.status).toBe('completed');
    expect(view.notification!.attempts).toBe(2);
    expect(receiver.deliveries).toHaveLength(2);
    for (const delivery of receiver.deliveries) {
      const message = new Webhook(service.keys.portalWebhookSecret).verify(delivery.body, delivery.headers as Record<string, string>) as { type: string; data: { id: string } };
      expect(message).toMatchObject({ type: 'sign-request.completed', data: { id } });
    }
    expect(receiver.deliveries[0]!.headers['webhook-id']).toBe(receiver.deliveries[1]!.headers['webhook-id']);
    for (const sheet of view.sheets) {
      expect(sheet).toMatchObject({ status: 'done', signaturesDone: 2 });
      const file = await service.app.inject({ method: 'GET', url: sheet.fileUrl!, headers: bearer(service.keys.portal) });
      const path = join(dir, `flow-${sheet.sheetId}.pdf`);
      await writeFile(path, file.rawPayload);
      const checked = await pdfsig(path);
      expect(checked.signatures.map((s) => [s.commonName, s.isValid])).toEqual([
        ['Trần Thị Bình', true],
        ['Sở Nông nghiệp và Môi trường tỉnh Đồng Nai', true],
      ]);
      const archived = await service.runtime.archive.getSheet(sheet.sheetId!);
      expect(archived.revisions.map((r) => r.revision)).toEqual([1, 2]);
    }
    expect(service.runtime.archive.catalog.backend).toBe('postgres');
    const queue = service.runtime.queue as BullmqQueue;
    expect(await queue.getJob('notify', `notify.${id}`)).toMatchObject({ state: 'completed' });
    // The same key and body adds nothing: every job id comes from the request id.
    const before = await queue.counts();
    const again = await submit('three-sheets', request, files.map((bytes, i) => ({ part: `s${i}`, bytes })));
    expect((again.json() as { id: string }).id).toBe(id);
    expect(await queue.counts()).toEqual(before);
  });

  it('fails an unsignable sheet once with its code, retries a retryable failure, and finishes the others', async () => {
    const request = {
      signatures: [{ role: 'retry-role', signer: 'department-seal' }],
      sheets: [{ part: 'ok', metadata: sheetMetadata(70) }, { part: 'locked', metadata: sheetMetadata(71) }],
      callbackUrl: receiver.url,
    };
    const before = receiver.deliveries.length;
    const response = await submit('partly-bad', request, [{ part: 'ok', bytes: files[0]! }, { part: 'locked', bytes: encrypted }]);
    const { id } = response.json() as { id: string };
    const view = await poll(id, (v) => v.notification?.deliveredAt !== null && v.notification?.deliveredAt !== undefined);
    expect(view.status).toBe('completed-with-errors');
    expect(view.sheets[0]).toMatchObject({ status: 'done', signaturesDone: 1, error: null });
    expect(view.sheets[1]).toMatchObject({ status: 'failed', signaturesDone: 0, error: { code: 'PDF_ENCRYPTED' } });
    const queue = service.runtime.queue as BullmqQueue;
    const failed = await queue.getJob('sign-sheet', `sign-sheet.${id}.1.0`);
    expect(failed).toMatchObject({ state: 'failed', attemptsMade: 1 });
    expect(JSON.parse(failed!.failedReason!)).toMatchObject({ code: 'PDF_ENCRYPTED' });
    const retried = await queue.getJob('sign-sheet', `sign-sheet.${id}.0.0`);
    expect(retried).toMatchObject({ state: 'completed', attemptsMade: 2 });
    const message = JSON.parse(receiver.deliveries[before]!.body) as { type: string };
    expect(message.type).toBe('sign-request.completed-with-errors');
    const metrics = (await service.app.inject({ method: 'GET', url: '/metrics', headers: bearer(service.keys.metrics) })).body;
    expect(metrics).toMatch(/mapsign_job_failures_total\{queue="sign-sheet",code="PDF_ENCRYPTED",final="true"\} 1/);
    expect(metrics).toMatch(/mapsign_job_failures_total\{queue="sign-sheet",code="TSA_UNAVAILABLE",final="false"\} 1/);
  });

  it('is ready while Redis answers', async () => {
    expect((await service.app.inject({ method: 'GET', url: '/readyz' })).json()).toMatchObject({ status: 'ready', queueBackend: 'bullmq' });
  });
});
