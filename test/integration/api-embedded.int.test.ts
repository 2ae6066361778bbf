// The signing service on its embedded default (SQLite queue, SQLite catalog), through app.inject():
// sheets with their metadata flow from upload to signed and archived, the downloads pass pdfsig
// with exactly one signature per role; idempotent resubmission, 409, 413, 415, 422; the auth
// matrix; staff signatures; a signed webhook; search, Range, verification, metrics, OpenAPI.

import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNotPdf, makePdf } from '../fixtures/make-pdf.js';
import { multipart, sheetMetadata, startTestService, waitFor, type TestService } from '../support/service.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/service-webhook.js';
import { pdfsig } from '../support/verifiers.js';

interface SheetView {
  status: string;
  sheetId: number | null;
  revision: number | null;
  fileUrl: string | null;
  signaturesDone: number;
  waitingForRole: string | null;
  error: { code: string } | null;
}
interface RequestView {
  id: string;
  status: string;
  sheets: SheetView[];
  notification: { attempts: number; deliveredAt: string | null } | null;
}

let dir: string;
let service: TestService;
let receiver: WebhookReceiver;
const pdf: Buffer[] = [];
let big: Buffer;
let notPdf: Buffer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-api-embedded-'));
  for (const [i, size] of (['A1', 'A0', 'A1', 'A4', 'A4'] as const).entries()) pdf.push(await readFile((await makePdf(join(dir, `sheet-${i}.pdf`), { pageSize: size, pages: i + 1 })).path));
  big = await readFile((await makePdf(join(dir, 'big.pdf'), { pageSize: 'A4', sizeMiB: 1 })).path);
  notPdf = await readFile(await makeNotPdf(join(dir, 'not.pdf')));
  receiver = await startWebhookReceiver();
  service = await startTestService({ env: { MAPSIGN_MAX_UPLOAD_BYTES: String(512 * 1024), MAPSIGN_VERIFY_RATE: '3' } });
});

afterAll(async () => {
  await service?.close();
  await receiver?.close();
  await rm(dir, { recursive: true, force: true });
});

const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

function submission(request: unknown, files: Array<{ part: string; bytes: Buffer }>) {
  return multipart([
    { name: 'request', value: JSON.stringify(request), type: 'application/json' },
    ...files.map((f) => ({ name: f.part, value: f.bytes, filename: `${f.part}.pdf`, type: 'application/pdf' })),
  ]);
}

async function submit(key: string, idempotencyKey: string | null, request: unknown, files: Array<{ part: string; bytes: Buffer }>) {
  const body = submission(request, files);
  return service.app.inject({
    method: 'POST',
    url: '/v1/sign-requests',
    payload: body.payload,
    headers: { ...body.headers, ...bearer(key), ...(idempotencyKey === null ? {} : { 'idempotency-key': idempotencyKey }) },
  });
}

async function poll(id: string, key: string, until: (body: RequestView) => boolean): Promise<RequestView> {
  return waitFor(async () => {
    const body = (await service.app.inject({ method: 'GET', url: `/v1/sign-requests/${id}`, headers: bearer(key) })).json() as RequestView;
    return until(body) ? body : undefined;
  }, 120_000, `request ${id}`);
}

async function download(url: string, key: string, name: string): Promise<string> {
  const file = await service.app.inject({ method: 'GET', url, headers: bearer(key) });
  expect(file.statusCode, file.body).toBe(200);
  const path = join(dir, name);
  await writeFile(path, file.rawPayload);
  return path;
}

const seal = [{ role: 'department', signer: 'department-seal' }];
let firstRequest: RequestView;

describe('POST /v1/sign-requests on the embedded queue', () => {
  it('signs and archives two sheets, calls back with a Standard Webhooks signature, and serves files that pdfsig accepts', async () => {
    const request = { signatures: seal, sheets: [{ part: 's1', metadata: sheetMetadata(25) }, { part: 's2', metadata: sheetMetadata(26) }], callbackUrl: receiver.url };
    const response = await submit(service.keys.portal, 'two-sheets-1', request, [{ part: 's1', bytes: pdf[0]! }, { part: 's2', bytes: pdf[1]! }]);
    expect(response.statusCode, response.body).toBe(202);
    const accepted = response.json() as { id: string; statusUrl: string; status: string };
    expect(accepted.statusUrl).toBe(`/v1/sign-requests/${accepted.id}`);
    expect(response.headers['location']).toBe(accepted.statusUrl);
    firstRequest = await poll(accepted.id, service.keys.portal, (b) => b.status !== 'processing' && b.notification?.deliveredAt !== null);
    expect(firstRequest.status).toBe('completed');
    for (const sheet of firstRequest.sheets) {
      expect(sheet).toMatchObject({ status: 'done', signaturesDone: 1, revision: 1, error: null });
      const path = await download(sheet.fileUrl!, service.keys.portal, `first-${sheet.sheetId}.pdf`);
      const checked = await pdfsig(path);
      expect(checked.signatures, checked.output).toHaveLength(1);
      expect(checked.signatures[0]).toMatchObject({ isValid: true, isTotalDocumentSigned: true });
    }
    expect(receiver.deliveries).toHaveLength(1);
    const delivery = receiver.deliveries[0]!;
    const payload = new Webhook(service.keys.portalWebhookSecret).verify(delivery.body, delivery.headers as Record<string, string>) as { type: string; data: RequestView };
    expect(payload.type).toBe('sign-request.completed');
    expect(payload.data.id).toBe(accepted.id);
    expect(delivery.headers['webhook-id']).toBe(`msg_${accepted.id}`);
    expect(() => new Webhook(service.keys.portalWebhookSecret).verify(delivery.body.replace('completed', 'failed'), delivery.headers as Record<string, string>)).toThrow();
  });

  it('answers the same request for the same Idempotency-Key and body, and 409 for another body', async () => {
    const request = { signatures: seal, sheets: [{ part: 's1', metadata: sheetMetadata(25) }, { part: 's2', metadata: sheetMetadata(26) }], callbackUrl: receiver.url };
    const again = await submit(service.keys.portal, 'two-sheets-1', request, [{ part: 's1', bytes: pdf[0]! }, { part: 's2', bytes: pdf[1]! }]);
    expect(again.statusCode).toBe(202);
    expect((again.json() as { id: string }).id).toBe(firstRequest.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const other = await submit(service.keys.portal, 'two-sheets-1', request, [{ part: 's1', bytes: pdf[2]! }, { part: 's2', bytes: pdf[1]! }]);
    expect(other.statusCode).toBe(409);
    expect(other.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(other.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', status: 409, type: 'urn:mapsign:error:IDEMPOTENCY_KEY_REUSED' });
    expect((other.json() as { requestId: string }).requestId).toBeTruthy();
    // The same key from another system is another request.
    const registry = await submit(service.keys.registry, 'two-sheets-1', { signatures: seal, sheets: [{ part: 's1', metadata: sheetMetadata(40) }] }, [{ part: 's1', bytes: pdf[3]! }]);
    expect(registry.statusCode).toBe(202);
    expect((registry.json() as { id: string }).id).not.toBe(firstRequest.id);
    await poll((registry.json() as { id: string }).id, service.keys.registry, (b) => b.status === 'completed');
  });

  it('refuses bad uploads with 400, 413, 415 and 422 and keeps none of their files', async () => {
    const one = { signatures: seal, sheets: [{ part: 's1', metadata: sheetMetadata(30) }] };
    expect((await submit(service.keys.portal, null, one, [{ part: 's1', bytes: pdf[2]! }])).json()).toMatchObject({ status: 400, code: 'IDEMPOTENCY_KEY_REQUIRED' });
    expect((await submit(service.keys.portal, 'big', one, [{ part: 's1', bytes: big }])).json()).toMatchObject({ status: 413, code: 'UPLOAD_TOO_LARGE' });
    expect((await submit(service.keys.portal, 'not-pdf', one, [{ part: 's1', bytes: notPdf }])).json()).toMatchObject({ status: 415, code: 'PDF_NOT_PDF' });
    expect((await submit(service.keys.portal, 'no-key', { signatures: [{ role: 'department', signer: 'nobody' }], sheets: one.sheets }, [{ part: 's1', bytes: pdf[2]! }])).json()).toMatchObject({ status: 422, code: 'SIGNER_UNKNOWN' });
    const badMeta = await submit(service.keys.portal, 'bad-meta', { signatures: seal, sheets: [{ part: 's1', metadata: { ...sheetMetadata(30), scale: 'big' } }] }, [{ part: 's1', bytes: pdf[2]! }]);
    expect(badMeta.json()).toMatchObject({ status: 400, code: 'ARCHIVE_METADATA_INVALID' });
    expect((await submit(service.keys.portal, 'missing-part', one, [])).json()).toMatchObject({ status: 400, code: 'USAGE_INVALID' });
    expect((await submit(service.keys.portal, 'extra-part', one, [{ part: 's1', bytes: pdf[2]! }, { part: 's9', bytes: pdf[3]! }])).json()).toMatchObject({ status: 400, code: 'USAGE_INVALID' });
    const notJson = multipart([{ name: 'request', value: '{"signatures":', type: 'application/json' }]);
    const refused = await service.app.inject({ method: 'POST', url: '/v1/sign-requests', payload: notJson.payload, headers: { ...notJson.headers, ...bearer(service.keys.portal), 'idempotency-key': 'not-json' } });
    expect(refused.statusCode).toBe(400);
    // Only the files of the accepted requests remain in the working store.
    const stored = await service.runtime.files.has(createHash('sha256').update(pdf[2]!).digest('hex'));
    expect(stored).toBeNull();
  });
});

describe('auth', () => {
  it('answers 401 without a key or with a bad one, 403 without the scope, 404 for another system\'s request', async () => {
    const noKey = await service.app.inject({ method: 'GET', url: `/v1/sign-requests/${firstRequest.id}` });
    expect(noKey.statusCode).toBe(401);
    expect(noKey.json()).toMatchObject({ code: 'AUTH_REQUIRED' });
    expect(noKey.headers['www-authenticate']).toMatch(/^Bearer/);
    expect((await service.app.inject({ method: 'GET', url: '/v1/sheets', headers: bearer('msk_000000000000_' + 'A'.repeat(43)) })).statusCode).toBe(401);
    expect((await service.app.inject({ method: 'GET', url: '/v1/sheets', headers: { authorization: 'Basic abc' } })).statusCode).toBe(401);
    const wrongScope = await submit(service.keys.verifyOnly, 'scope', { signatures: seal, sheets: [{ part: 's1', metadata: sheetMetadata(31) }] }, [{ part: 's1', bytes: pdf[2]! }]);
    expect(wrongScope.statusCode).toBe(403);
    expect(wrongScope.json()).toMatchObject({ code: 'AUTH_FORBIDDEN' });
    const foreign = await service.app.inject({ method: 'GET', url: `/v1/sign-requests/${firstRequest.id}`, headers: bearer(service.keys.registry) });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toMatchObject({ code: 'REQUEST_NOT_FOUND' });
    const sheetId = firstRequest.sheets[0]!.sheetId!;
    expect((await service.app.inject({ method: 'GET', url: `/v1/sheets/${sheetId}/file`, headers: bearer(service.keys.registry) })).statusCode).toBe(404);
    expect((await service.app.inject({ method: 'GET', url: '/v1/tasks', headers: bearer(service.keys.portal) })).statusCode).toBe(403);
    const staffSubmits = await submit(service.keys.staff, 'staff', { signatures: seal, sheets: [{ part: 's1', metadata: sheetMetadata(31) }] }, [{ part: 's1', bytes: pdf[2]! }]);
    expect(staffSubmits.statusCode).toBe(403);
  });

  it('never writes an API key to the logs', async () => {
    const lines: string[] = [];
    const { pino } = await import('pino');
    const { buildApp } = await import('../../src/api/index.js');
    const logger = pino({ level: 'trace', redact: { paths: (await import('../../src/api/index.js')).LOG_REDACTIONS, censor: '[redacted]' } }, { write: (line: string) => lines.push(line) });
    const runtime = service.runtime;
    const app = await buildApp({
      service: runtime.service,
      archive: runtime.archive,
      files: runtime.files,
      keys: runtime.keys,
      verifyFile: runtime.verifyReport,
      isTrustConfigured: true,
      serverSigners: ['department-seal'],
      limits: { maxUploadBytes: 1024, maxSheetsPerRequest: 2, verifyRatePerMinute: 10 },
      loggerInstance: logger,
    });
    await app.inject({ method: 'GET', url: '/v1/sheets', headers: bearer(service.keys.portal) });
    await app.inject({ method: 'GET', url: '/v1/sheets', headers: bearer('msk_000000000000_' + 'B'.repeat(43)) });
    await app.close();
    expect(lines.length).toBeGreaterThan(2);
    const text = lines.join('\n');
    expect(text).not.toContain(service.keys.portal.slice(4));
    expect(text).not.toContain('B'.repeat(43));
    expect(text).toContain('"reqId"');
  });
});

describe('staff signatures', () => {
  it('waits for a staff member holding the role, who signs a batch with their own key only', async () => {
    const request = { signatures: [{ role: 'surveyor-seal', signer: 'department-seal' }, { role: 'department' }], sheets: [{ part: 'a', metadata: sheetMetadata(51) }, { part: 'b', metadata: sheetMetadata(52) }] };
    const accepted = (await submit(service.keys.portal, 'staff-flow', request, [{ part: 'a', bytes: pdf[3]! }, { part: 'b', bytes: pdf[4]! }])).json() as { id: string };
    const waiting = await poll(accepted.id, service.keys.portal, (b) => b.status === 'waiting-signature');
    expect(waiting.sheets.map((s) => s.waitingForRole)).toEqual(['department', 'department']);
    const tasks = (await service.app.inject({ method: 'GET', url: '/v1/tasks', headers: bearer(service.keys.staff) })).json() as { items: Array<{ id: string; requestId: string; fileUrl: string }> };
    const mine = tasks.items.filter((t) => t.requestId === accepted.id);
    expect(mine).toHaveLength(2);
    expect((await service.app.inject({ method: 'GET', url: '/v1/tasks', headers: bearer(service.keys.staffNoKey) })).json()).toEqual({ items: [] });
    const review = await service.app.inject({ method: 'GET', url: mine[0]!.fileUrl, headers: bearer(service.keys.staff) });
    expect(review.statusCode).toBe(200);
    expect(review.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    const othersKey = await service.app.inject({ method: 'POST', url: '/v1/tasks/sign', payload: { tasks: mine.map((t) => t.id), signer: 'department-seal' }, headers: bearer(service.keys.staff) });
    expect(othersKey.statusCode).toBe(403);
    const noRole = await service.app.inject({ method: 'POST', url: '/v1/tasks/sign', payload: { tasks: mine.map((t) => t.id) }, headers: bearer(service.keys.staffNoKey) });
    expect(noRole.statusCode).toBe(403);
    const signed = await service.app.inject({ method: 'POST', url: '/v1/tasks/sign', payload: { tasks: mine.map((t) => t.id), signer: 'an' }, headers: bearer(service.keys.staff) });
    expect(signed.statusCode, signed.body).toBe(202);
    expect((signed.json() as { results: Array<{ isAccepted: boolean }> }).results.every((r) => r.isAccepted)).toBe(true);
    const twice = await service.app.inject({ method: 'POST', url: '/v1/tasks/sign', payload: { tasks: [mine[0]!.id] }, headers: bearer(service.keys.staff) });
    expect(twice.json()).toMatchObject({ status: 409, code: 'TASK_NOT_AVAILABLE' });
    const done = await poll(accepted.id, service.keys.portal, (b) => b.status === 'completed');
    for (const sheet of done.sheets) {
      expect(sheet).toMatchObject({ signaturesDone: 2, revision: 2 });
      const checked = await pdfsig(await download(sheet.fileUrl!, service.keys.portal, `staff-${sheet.sheetId}.pdf`));
      expect(checked.signatures.map((s) => s.commonName)).toEqual(['Sở Nông nghiệp và Môi trường tỉnh Đồng Nai', 'Nguyễn Văn An']);
      expect(checked.signatures.every((s) => s.isValid)).toBe(true);
    }
  });

  it('signs an archived sheet again when a request references it', async () => {
    const sheetId = firstRequest.sheets[0]!.sheetId!;
    const accepted = (await submit(service.keys.portal, 'next-signature', { signatures: seal, sheets: [{ sheetId }] }, [])).json() as { id: string };
    const done = await poll(accepted.id, service.keys.portal, (b) => b.status !== 'processing');
    expect(done.status).toBe('completed');
    expect(done.sheets[0]).toMatchObject({ sheetId, revision: 2, signaturesDone: 1 });
    const checked = await pdfsig(await download(`/v1/sheets/${sheetId}/file`, service.keys.portal, 'next.pdf'));
    expect(checked.signatures).toHaveLength(2);
    expect((await submit(service.keys.registry, 'foreign-sheet', { signatures: seal, sheets: [{ sheetId }] }, [])).json()).toMatchObject({ status: 404, code: 'ARCHIVE_NOT_FOUND' });
  });
});

describe('sheets, verification and probes', () => {
  it('finds a system\'s own sheets by search typed without diacritics', async () => {
    const found = (await service.app.inject({ method: 'GET', url: `/v1/sheets?q=${encodeURIComponent('tran bien to 26')}`, headers: bearer(service.keys.portal) })).json() as { items: Array<{ id: number; metadata: { sheetNumber: string } }> };
    expect(found.items.map((i) => i.metadata.sheetNumber)).toEqual(['26']);
    const foreign = (await service.app.inject({ method: 'GET', url: '/v1/sheets?q=to%2026', headers: bearer(service.keys.registry) })).json() as { items: unknown[] };
    expect(foreign.items).toEqual([]);
    const staffResponse = await service.app.inject({ method: 'GET', url: '/v1/sheets?q=to%2040', headers: bearer(service.keys.staff) });
    const staff = staffResponse.json() as { items: unknown[] };
    expect(staff.items, staffResponse.body).toHaveLength(1);
    expect(staff.items).toHaveLength(1);
    expect((await service.app.inject({ method: 'GET', url: '/v1/sheets?limit=1000', headers: bearer(service.keys.portal) })).statusCode).toBe(400);
  });

  it('serves byte ranges of a file', async () => {
    const sheet = firstRequest.sheets[1]!;
    const full = await service.app.inject({ method: 'GET', url: `/v1/sheets/${sheet.sheetId}/file?revision=1`, headers: bearer(service.keys.portal) });
    const part = await service.app.inject({ method: 'GET', url: `/v1/sheets/${sheet.sheetId}/file?revision=1`, headers: { ...bearer(service.keys.portal), range: 'bytes=100-199' } });
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 100-199/${full.rawPayload.length}`);
    expect(part.rawPayload.equals(full.rawPayload.subarray(100, 200))).toBe(true);
    const tail = await service.app.inject({ method: 'GET', url: `/v1/sheets/${sheet.sheetId}/file?revision=1`, headers: { ...bearer(service.keys.portal), range: 'bytes=-10' } });
    expect(tail.rawPayload.equals(full.rawPayload.subarray(full.rawPayload.length - 10))).toBe(true);
    const outside = await service.app.inject({ method: 'GET', url: `/v1/sheets/${sheet.sheetId}/file?revision=1`, headers: { ...bearer(service.keys.portal), range: `bytes=${full.rawPayload.length}-` } });
    expect(outside.statusCode).toBe(416);
  });

  it('reports the verification of an archived sheet, stored when it was archived', async () => {
    const sheet = firstRequest.sheets[0]!;
    const response = await service.app.inject({ method: 'GET', url: `/v1/sheets/${sheet.sheetId}/verification?revision=1`, headers: bearer(service.keys.portal) });
    expect(response.statusCode).toBe(200);
    const body = response.json() as { isValid: boolean; isStored: boolean; report: { verdict: { indication: string } } };
    expect(body).toMatchObject({ isValid: true, isStored: true });
    expect(body.report.verdict.indication).toBe('PASSED');
    const text = await service.app.inject({ method: 'GET', url: `/v1/sheets/${sheet.sheetId}/verification?format=text&lang=en`, headers: bearer(service.keys.portal) });
    expect(text.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('verifies an upload for anyone, and throttles a client past its rate', async () => {
    const path = await download(firstRequest.sheets[1]!.fileUrl!, service.keys.portal, 'public.pdf');
    const body = multipart([{ name: 'file', value: await readFile(path), filename: 'to-26.pdf', type: 'application/pdf' }]);
    const report = await service.app.inject({ method: 'POST', url: '/v1/verify', payload: body.payload, headers: body.headers });
    expect(report.statusCode, report.body).toBe(200);
    expect(report.json()).toMatchObject({ verdict: { indication: 'PASSED' }, file: { name: 'to-26.pdf' } });
    const text = await service.app.inject({ method: 'POST', url: '/v1/verify?format=text', payload: body.payload, headers: body.headers });
    expect(text.body).toMatch(/Sở Nông nghiệp và Môi trường/);
    const notPdfBody = multipart([{ name: 'file', value: notPdf, filename: 'x.pdf', type: 'application/pdf' }]);
    expect((await service.app.inject({ method: 'POST', url: '/v1/verify', payload: notPdfBody.payload, headers: notPdfBody.headers })).json()).toMatchObject({ status: 415 });
    const throttled = await service.app.inject({ method: 'POST', url: '/v1/verify', payload: body.payload, headers: body.headers });
    expect(throttled.statusCode).toBe(429);
    expect(throttled.json()).toMatchObject({ code: 'RATE_LIMITED' });
    expect(throttled.headers['retry-after']).toBeTruthy();
    // A key with the verify scope has its own, larger allowance.
    expect((await service.app.inject({ method: 'POST', url: '/v1/verify', payload: body.payload, headers: { ...body.headers, ...bearer(service.keys.verifyOnly) } })).statusCode).toBe(200);
  });

  it('answers health, readiness, Prometheus metrics and the OpenAPI 3.1 document', async () => {
    expect((await service.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await service.app.inject({ method: 'GET', url: '/readyz' })).json()).toMatchObject({ status: 'ready', queueBackend: 'embedded' });
    const metrics = (await service.app.inject({ method: 'GET', url: '/metrics', headers: bearer(service.keys.metrics) })).body;
    expect(metrics).toMatch(/mapsign_queue_jobs\{queue="sign-sheet",state="completed"\} [1-9]/);
    expect(metrics).toMatch(/mapsign_signed_bytes_total [1-9]/);
    expect(metrics).toMatch(/mapsign_job_duration_seconds_count\{queue="archive-sheet",outcome="completed"\} [1-9]/);
    expect(metrics).toMatch(/mapsign_sign_requests_total\{outcome="replayed"\} 1/);
    const openapi = (await service.app.inject({ method: 'GET', url: '/docs/json' })).json() as { openapi: string; paths: Record<string, unknown> };
    expect(openapi.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(['/v1/sign-requests', '/v1/sign-requests/{id}', '/v1/sheets', '/v1/sheets/{id}/file', '/v1/sheets/{id}/verification', '/v1/verify', '/v1/tasks', '/v1/tasks/sign']));
    expect((await service.app.inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400);
    expect((await service.app.inject({ method: 'GET', url: '/nothing-here' })).json()).toMatchObject({ status: 404, code: 'ROUTE_NOT_FOUND' });
  });
});
