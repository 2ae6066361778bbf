// The service's guards on its embedded default, through app.inject(): callbacks to internal
// addresses refused at submission (IP literals) and at delivery (names resolving to loopback),
// /metrics only for a key with the `metrics` scope, and a staff signature taken just before the
// process died enqueued again when the service restarts.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePdf } from '../fixtures/make-pdf.js';
import { multipart, sheetMetadata, startTestService, waitFor, type TestService } from '../support/service.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/service-webhook.js';

let dir: string;
let sheet: Buffer;
let receiver: WebhookReceiver;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-security-'));
  sheet = await readFile((await makePdf(join(dir, 'sheet.pdf'), { pageSize: 'A4' })).path);
  receiver = await startWebhookReceiver();
});

afterAll(async () => {
  await receiver?.close();
  await rm(dir, { recursive: true, force: true });
});

const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

async function submit(service: TestService, idempotencyKey: string, request: unknown) {
  const body = multipart([
    { name: 'request', value: JSON.stringify(request), type: 'application/json' },
    { name: 's1', value: sheet, filename: 's1.pdf', type: 'application/pdf' },
  ]);
  return service.app.inject({ method: 'POST', url: '/v1/sign-requests', payload: body.payload, headers: { ...body.headers, ...bearer(service.keys.portal), 'idempotency-key': idempotencyKey } });
}

const seal = [{ role: 'department', signer: 'department-seal' }];

describe('callbackUrl with no MAPSIGN_CALLBACK_ALLOW', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ env: { MAPSIGN_CALLBACK_ALLOW: '' } });
  });
  afterAll(async () => {
    await service?.close();
  });

  it('answers 400 CALLBACK_URL_REFUSED to a callback at an internal IP literal, and keeps nothing', async () => {
    for (const [n, callbackUrl] of ['http://169.254.169.254/latest/meta-data/', receiver.url, 'http://[::1]:8080/cb', 'http://10.0.0.5/cb', 'http://2130706433/cb'].entries()) {
      const response = await submit(service, `refused-${n}`, { signatures: seal, sheets: [{ part: 's1', metadata: sheetMetadata(60 + n) }], callbackUrl });
      expect(response.statusCode, callbackUrl).toBe(400);
      expect(response.json(), callbackUrl).toMatchObject({ code: 'CALLBACK_URL_REFUSED' });
    }
    expect(await service.runtime.store.listOpen()).toEqual([]);
  });

  it('signs the sheets but refuses the delivery when the callback host resolves to loopback', async () => {
    const callbackUrl = receiver.url.replace('127.0.0.1', 'localhost');
    const accepted = await submit(service, 'resolves-to-loopback', { signatures: seal, sheets: [{ part: 's1', metadata: sheetMetadata(70) }], callbackUrl });
    expect(accepted.statusCode, accepted.body).toBe(202);
    const id = (accepted.json() as { id: string }).id;
    const view = await waitFor(async () => {
      const body = (await service.app.inject({ method: 'GET', url: `/v1/sign-requests/${id}`, headers: bearer(service.keys.portal) })).json() as { status: string; notification: { attempts: number; lastError: string | null } };
      return body.status === 'completed' && body.notification.attempts > 0 ? body : undefined;
    }, 120_000, 'the request to finish and its delivery to be tried');
    expect(view.notification.lastError).toMatch(/^CALLBACK_URL_REFUSED: /);
    // Not retried: one attempt, and the receiver on loopback never heard of it.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await service.runtime.store.get(id))!.deliveries).toHaveLength(1);
    expect(receiver.deliveries).toEqual([]);
  });
});

describe('GET /metrics', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(async () => {
    await service?.close();
  });

  it('refuses an anonymous scrape with 401 and a key without the metrics scope with 403', async () => {
    const anonymous = await service.app.inject({ method: 'GET', url: '/metrics' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ code: 'AUTH_REQUIRED' });
    expect(anonymous.body).not.toContain('mapsign_');
    for (const key of [service.keys.portal, service.keys.staff]) expect((await service.app.inject({ method: 'GET', url: '/metrics', headers: bearer(key) })).json()).toMatchObject({ status: 403, code: 'AUTH_FORBIDDEN' });
  });

  it('serves the metrics to a key with the metrics scope, which opens nothing else', async () => {
    const scrape = await service.app.inject({ method: 'GET', url: '/metrics', headers: bearer(service.keys.metrics) });
    expect(scrape.statusCode).toBe(200);
    expect(scrape.body).toContain('mapsign_queue_jobs');
    expect((await service.app.inject({ method: 'GET', url: '/v1/sheets', headers: bearer(service.keys.metrics) })).statusCode).toBe(403);
  });
});

describe('a staff signature taken just before the process died', () => {
  it('is enqueued again with the staff member\'s key when the service restarts', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'mapsign-staff-restart-'));
    const first = await startTestService({ dataDir });
    let second: TestService | undefined;
    try {
      const accepted = await submit(first, 'staff-crash', { signatures: [{ role: 'department' }], sheets: [{ part: 's1', metadata: sheetMetadata(80) }] });
      expect(accepted.statusCode, accepted.body).toBe(202);
      const id = (accepted.json() as { id: string }).id;
      const tasks = (await first.app.inject({ method: 'GET', url: '/v1/tasks', headers: bearer(first.keys.staff) })).json() as { items: Array<{ id: string; requestId: string }> };
      const task = tasks.items.find((t) => t.requestId === id)!;
      // The fault: the process "dies" between taking the task and adding its jobs (addFlow never returns).
      let isEnqueueing = false;
      first.runtime.queue.addFlow = () => {
        isEnqueueing = true;
        return new Promise(() => undefined);
      };
      void first.runtime.service.signTasks({ account: 'an', roles: ['department'] }, [task.id]);
      await waitFor(async () => (isEnqueueing ? true : undefined), 10_000, 'the task to be taken');
      expect((await first.runtime.store.get(id))!.sheets[0]!.state).toBe('queued');
      await first.close({ keepData: true, graceMs: 0 });

      second = await startTestService({ dataDir, createKeys: false });
      const done = await waitFor(async () => {
        const request = (await second!.runtime.store.get(id))!;
        return request.sheets[0]!.state === 'done' ? request : undefined;
      }, 60_000, 'the taken signature to be applied after the restart');
      expect(done.sheets[0]!.history.map((h) => h.signer)).toEqual([{ kind: 'staff', account: 'an' }]);
      expect(done.sheets[0]!.history[0]!.signerName).toBe('Nguyễn Văn An');
      // Taken once: it no longer waits for anyone.
      expect(await second.runtime.store.listTasks(['department'], 100)).toEqual([]);
    } finally {
      await second?.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
