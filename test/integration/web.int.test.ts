// The web pages in a real browser (Debian's headless Chromium through playwright-core), as Vite
// builds them (vite.web.config.ts): an applicant checks a signed sheet and an altered one on the
// public page and opens a QR target; a staff member logs in, signs three waiting sheets in one
// batch, finds them by searching "vung tau" without diacritics and downloads one that pdfsig
// reports valid, narrows the archive search with its filters, and reads a sheet's page with its
// audit trail. Screenshots go to a temporary folder, or to docs/screenshots/ with UPDATE_DOCS=1.

import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppDeps } from '../../src/api/deps.js';
import { registerWebRoutes } from '../../src/api/routes/web.js';
import { makePdf } from '../fixtures/make-pdf.js';
import { appendIncrement, dict, PdfNewStream } from '../fixtures/make-signed.js';
import { launchBrowser, listen } from '../support/browser.js';
import { multipart, sheetMetadata, startTestService, waitFor, type TestService } from '../support/service.js';
import { pdfsig } from '../support/verifiers.js';

const REPO = join(import.meta.dirname, '../..');
const IS_UPDATING_DOCS = process.env['UPDATE_DOCS'] === '1';

let dir: string;
let service: TestService;
let browser: Browser;
let base: string;
let signedPath: string;
let alteredPath: string;
let signedSheetId: number;
let signedPublicCode: string;
let screenshots: string;
let previousWebDir: string | undefined;

const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

interface RequestView { status: string; sheets: Array<{ status: string; sheetId: number | null; fileUrl: string | null }> }

async function submitForStaff(idempotencyKey: string, sheets: Array<{ part: string; bytes: Buffer; metadata: ReturnType<typeof sheetMetadata> }>): Promise<string> {
  const body = multipart([
    { name: 'request', value: JSON.stringify({ signatures: [{ role: 'department' }], sheets: sheets.map((s) => ({ part: s.part, metadata: s.metadata })) }), type: 'application/json' },
    ...sheets.map((s) => ({ name: s.part, value: s.bytes, filename: `${s.part}.pdf`, type: 'application/pdf' })),
  ]);
  const response = await service.app.inject({ method: 'POST', url: '/v1/sign-requests', payload: body.payload, headers: { ...body.headers, ...bearer(service.keys.portal), 'idempotency-key': idempotencyKey } });
  expect(response.statusCode, response.body).toBe(202);
  const id = (response.json() as { id: string }).id;
  await poll(id, (b) => b.status === 'waiting-signature');
  return id;
}

/** Signs every waiting task of a request as the staff member, through the API; returns the request when completed. */
async function signAsStaff(requestId: string): Promise<RequestView> {
  const all = ((await service.app.inject({ method: 'GET', url: '/v1/tasks', headers: bearer(service.keys.staff) })).json() as { items: Array<{ id: string; requestId: string }> }).items;
  const ids = all.filter((t) => t.requestId === requestId).map((t) => t.id);
  const signed = await service.app.inject({ method: 'POST', url: '/v1/tasks/sign', payload: { tasks: ids }, headers: bearer(service.keys.staff) });
  expect(signed.statusCode, signed.body).toBe(202);
  return poll(requestId, (b) => b.status === 'completed');
}

async function poll(id: string, until: (body: RequestView) => boolean): Promise<RequestView> {
  return waitFor(async () => {
    const body = (await service.app.inject({ method: 'GET', url: `/v1/sign-requests/${id}`, headers: bearer(service.keys.portal) })).json() as RequestView;
    return until(body) ? body : undefined;
  }, 120_000, `request ${id}`);
}

async function openPage(path: string, width = 1100): Promise<Page> {
  // A browser set to Vietnamese (navigator.language, Accept-Language).
  const page = await browser.newPage({ viewport: { width, height: 900 }, locale: 'vi-VN' });
  await page.goto(`${base}${path}`);
  return page;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-web-'));
  screenshots = IS_UPDATING_DOCS ? join(REPO, 'docs/screenshots') : join(dir, 'screenshots');
  await mkdir(screenshots, { recursive: true });
  // The pages as `npm run build` makes them, into a folder of this run's own.
  const webDir = join(dir, 'web');
  await build({ configFile: join(REPO, 'vite.web.config.ts'), logLevel: 'silent', build: { outDir: webDir, emptyOutDir: true } });
  previousWebDir = process.env['MAPSIGN_WEB_DIR'];
  process.env['MAPSIGN_WEB_DIR'] = webDir;
  service = await startTestService();
  base = await listen(service);
  browser = await launchBrowser();

  // A sheet signed by the staff member Nguyễn Văn An through the API, for the applicant.
  const bytes = await readFile((await makePdf(join(dir, 'applicant.pdf'), { pageSize: 'A1' })).path);
  const requestId = await submitForStaff('web-applicant', [{ part: 's1', bytes, metadata: sheetMetadata(80) }]);
  const sheet = (await signAsStaff(requestId)).sheets[0]!;
  signedSheetId = sheet.sheetId!;
  signedPublicCode = ((await service.app.inject({ method: 'GET', url: `/v1/sheets/${signedSheetId}`, headers: bearer(service.keys.portal) })).json() as { publicCode: string }).publicCode;
  signedPath = join(dir, 'ban-do-da-ky.pdf');
  await writeFile(signedPath, (await service.app.inject({ method: 'GET', url: sheet.fileUrl!, headers: bearer(service.keys.portal) })).rawPayload);

  // The same sheet with its page drawing replaced in a later revision.
  alteredPath = join(dir, 'ban-do-bi-sua.pdf');
  await appendIncrement(signedPath, alteredPath, async (reader, allocate) => {
    const page = await reader.getPage(1);
    const content = allocate();
    const drawing = new PdfNewStream(dict({}), Buffer.from('1 1 1 rg 0 0 3000 3000 re f 0 g BT /F1 60 Tf 200 400 Td (THUA SO 999 - DAT O 10000 m2) Tj ET', 'latin1'));
    return [{ ref: content, value: drawing }, { ref: page.ref, value: page.dict.clone().set('Contents', content) }];
  });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await service?.close();
  if (previousWebDir === undefined) delete process.env['MAPSIGN_WEB_DIR'];
  else process.env['MAPSIGN_WEB_DIR'] = previousWebDir;
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('public verification page', () => {
  it('shows an applicant the valid verdict and the signer\'s Vietnamese name for a signed sheet', async () => {
    const page = await openPage('/', 390);
    expect(await page.getAttribute('html', 'lang')).toBe('vi');
    await page.getByLabel('Tệp PDF tờ bản đồ').setInputFiles(signedPath);
    await page.getByRole('button', { name: 'Kiểm tra' }).click();
    const verdict = page.locator('.verdict[data-verdict]');
    await verdict.waitFor();
    expect(await verdict.getAttribute('data-verdict')).toBe('PASSED');
    expect(await verdict.locator('h2').textContent()).toBe('Kết luận: Hợp lệ');
    expect(await page.locator('.signer-name').first().textContent()).toBe('Nguyễn Văn An');
    await page.setViewportSize({ width: 900, height: 1100 });
    await page.screenshot({ path: join(screenshots, 'verify-result.png'), fullPage: true });
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-role=download-json]').first().click()]);
    const report = JSON.parse(await readFile((await download.path())!, 'utf8')) as { verdict: { indication: string } };
    expect(report.verdict.indication).toBe('PASSED');

    await page.getByRole('button', { name: 'English' }).click();
    expect(await verdict.locator('h2').textContent()).toBe('Verdict: Valid');
    await page.close();
  });

  it('shows the not-valid verdict with the reason for a sheet altered after signing', async () => {
    const page = await openPage('/');
    await page.getByLabel('Tệp PDF tờ bản đồ').setInputFiles(alteredPath);
    await page.getByRole('button', { name: 'Kiểm tra' }).focus();
    await page.keyboard.press('Enter');
    const verdict = page.locator('.verdict[data-verdict]');
    await verdict.waitFor();
    expect(await verdict.getAttribute('data-verdict')).toBe('FAILED');
    expect(await verdict.locator('h2').textContent()).toBe('Kết luận: Không hợp lệ');
    expect(await verdict.locator('.verdict-text').textContent()).toContain('nội dung bản vẽ của trang bị thay đổi');
    await page.screenshot({ path: join(screenshots, 'verify-altered.png'), fullPage: true });
    await page.close();
  });

  it('shows the archived record at the QR code\'s /v/:code address (the sheet\'s public code) and compares a copy with it', async () => {
    const page = await openPage(`/v/${signedPublicCode}`, 390);
    await page.locator('#archived-record').waitFor();
    expect(await page.locator('#archived-record').textContent()).toContain('Nguyễn Văn An');
    await page.getByLabel('Tệp PDF tờ bản đồ').setInputFiles(signedPath);
    await page.getByRole('button', { name: 'Kiểm tra' }).click();
    await page.locator('#compare').waitFor();
    expect(await page.locator('#compare').textContent()).toBe('Bản của bạn trùng khớp với bản lưu trữ.');
    await page.close();
  });

  it('finds no archived sheet at /v/<the sheet\'s numeric id>: only its public code opens it', async () => {
    const page = await openPage(`/v/${signedSheetId}`, 390);
    await page.getByText('Không tìm thấy tờ bản đồ này trong kho lưu trữ.').waitFor();
    expect(await page.locator('#archived-record').count()).toBe(0);
    await page.close();
  });

  it('serves the built pages and their hashed assets from this origin, and nothing else under /web', async () => {
    const html = await (await fetch(`${base}/`)).text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    // No CDN: every script and style sheet is one of ours.
    for (const asset of assets) expect(asset).toMatch(/^\/web\/assets\/[A-Za-z0-9_.-]+\.(js|css)$/);
    for (const asset of assets) {
      const response = await fetch(`${base}${asset}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain(asset.endsWith('.css') ? 'text/css' : 'text/javascript');
      expect(response.headers.get('cache-control')).toContain('immutable');
    }
    expect((await fetch(`${base}/staff/sheets/${signedSheetId}`)).headers.get('content-type')).toContain('text/html');
    for (const path of ['/web/assets/..%2F..%2Fpackage.json', '/web/assets/%2E%2E%2Findex.html', '/web/assets/nothing.js', '/web/staff.js', '/web/index.html']) expect((await fetch(`${base}${path}`)).status, path).toBe(404);
  });

  it('says the pages must be built when the web folder holds no build', async () => {
    const empty = join(dir, 'not-built');
    await mkdir(empty, { recursive: true });
    const saved = process.env['MAPSIGN_WEB_DIR'];
    process.env['MAPSIGN_WEB_DIR'] = empty;
    const app = Fastify();
    try {
      registerWebRoutes(app, {} as AppDeps);
      const response = await app.inject({ method: 'GET', url: '/staff' });
      expect(response.statusCode).toBe(500);
      expect(response.body).toContain('run npm run build');
    } finally {
      process.env['MAPSIGN_WEB_DIR'] = saved;
      await app.close();
    }
  });
});

async function logIn(path: string, width = 1100): Promise<Page> {
  const page = await openPage(path, width);
  await page.getByLabel('Khóa API của cán bộ').fill(service.keys.staff);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  return page;
}

describe('staff pages', () => {
  it('lets a staff member sign three waiting sheets in one batch, find them by "vung tau" and download a valid one', async () => {
    const vungTau = { province: 'Thành phố Hồ Chí Minh', commune: 'Phường Vũng Tàu', legacyDistrict: 'Vũng Tàu', dossierCode: '000.00.31.H29-260801-0042' };
    // Distinct files (page counts): identical inputs signed in the same second would be byte-identical.
    const sheets = [];
    for (const n of [91, 92, 93]) sheets.push({ part: `p${n}`, bytes: await readFile((await makePdf(join(dir, `vt-${n}.pdf`), { pageSize: 'A4', pages: n - 90 })).path), metadata: sheetMetadata(n, vungTau) });
    const requestId = await submitForStaff('web-staff', sheets);

    const page = await logIn('/staff');
    const rows = page.locator(`tr[data-task^="${requestId}."]`);
    await rows.first().waitFor();
    expect(await rows.count()).toBe(3);
    for (let i = 0; i < 3; i++) await rows.nth(i).locator('input[name=task]').check();
    await page.getByRole('button', { name: 'Ký các tờ đã chọn' }).click();
    await page.getByText('Đã ký xong: 3/3').waitFor({ timeout: 120_000 });
    expect(await rows.locator('td.result').allTextContents()).toEqual(['Đã ký xong (Lần sửa 1)', 'Đã ký xong (Lần sửa 1)', 'Đã ký xong (Lần sửa 1)']);
    await page.screenshot({ path: join(screenshots, 'staff-batch.png'), fullPage: true });

    await page.getByLabel(/Tìm theo xã/).fill('vung tau');
    await page.getByRole('button', { name: 'Tìm', exact: true }).click();
    const found = page.locator('#results-table tbody tr');
    await found.first().waitFor();
    expect(await found.count()).toBe(3);
    expect(await found.first().textContent()).toContain('Nguyễn Văn An');

    const [download] = await Promise.all([page.waitForEvent('download'), found.first().locator('[data-role=download]').click()]);
    const saved = join(dir, 'downloaded.pdf');
    await download.saveAs(saved);
    const checked = await pdfsig(saved);
    expect(checked.signatures.map((s) => s.commonName)).toEqual(['Nguyễn Văn An']);
    expect(checked.signatures.every((s) => s.isValid), checked.output).toBe(true);
    await page.close();
  });

  it('narrows the archive search by commune, document kind, signer and signing dates, from the keyboard', async () => {
    const tamThang = { province: 'Thành phố Hồ Chí Minh', commune: 'Phường Tam Thắng', legacyDistrict: 'Vũng Tàu', dossierCode: '000.00.31.H29-260802-0007' };
    const kinds = { 71: 'ban-do-dia-chinh', 72: 'trich-luc', 73: 'trich-luc' } as const;
    const sheets = [];
    for (const n of [71, 72, 73] as const) {
      sheets.push({ part: `t${n}`, bytes: await readFile((await makePdf(join(dir, `tt-${n}.pdf`), { pageSize: 'A4', pages: n - 70 })).path), metadata: sheetMetadata(n, { ...tamThang, documentKind: kinds[n] }) });
    }
    const signed = await signAsStaff(await submitForStaff('web-filters', sheets));
    // The days of signing in Vietnam time, as the date filters read them (not "today": midnight may pass).
    const days = [];
    for (const s of signed.sheets.slice(1)) {
      const record = (await service.app.inject({ method: 'GET', url: `/v1/sheets/${s.sheetId}`, headers: bearer(service.keys.staff) })).json() as { signedAt: string };
      days.push(new Date(Date.parse(record.signedAt) + 7 * 3_600_000).toISOString().slice(0, 10));
    }
    const [firstDay, lastDay] = [days.sort()[0]!, days[days.length - 1]!];

    const page = await logIn('/staff');
    const found = page.locator('#results-table tbody tr');
    const status = page.locator('#search-status');
    const sheetNumbers = async (): Promise<string[]> => (await found.allTextContents()).map((text) => /Số tờ (\d+)/.exec(text)?.[1] ?? '?').sort();
    const search = async (expected: string): Promise<void> => {
      // Enter in a field submits the form; the status says "loading" until the answer is shown.
      await page.getByLabel('Xã/phường').press('Enter');
      await expect.poll(() => status.textContent()).toBe(expected);
    };

    // The commune typed without diacritics: the three Tam Thắng sheets, not the Vũng Tàu ones.
    await page.getByLabel('Xã/phường').fill('tam thang');
    await search('3 kết quả');
    expect(await sheetNumbers()).toEqual(['71', '72', '73']);

    await page.getByLabel('Loại tài liệu').selectOption({ label: 'Trích lục' });
    await search('2 kết quả');
    expect(await sheetNumbers()).toEqual(['72', '73']);
    expect(await found.first().textContent()).toContain('Trích lục');

    await page.getByLabel('Người ký hoặc cơ quan ký').fill('nguyen van an');
    await search('2 kết quả');
    await page.getByLabel('Người ký hoặc cơ quan ký').fill('tran thi binh');
    await search('Không tìm thấy kết quả.');
    await page.getByLabel('Người ký hoặc cơ quan ký').fill('');

    await page.getByLabel('Ký từ ngày').fill('2020-01-01');
    await page.getByLabel('Đến ngày').fill('2020-12-31');
    await search('Không tìm thấy kết quả.');
    await page.getByLabel('Đến ngày').fill(lastDay);
    await search('2 kết quả');
    await page.getByLabel('Ký từ ngày').fill(firstDay);
    await page.getByLabel('Đến ngày').fill('2020-12-31');
    await page.getByLabel('Xã/phường').press('Enter');
    await expect.poll(() => status.textContent()).toBe('Ngày bắt đầu phải trước hoặc bằng ngày kết thúc.');
    await page.getByLabel('Đến ngày').fill(lastDay);
    await search('2 kết quả');
    await page.screenshot({ path: join(screenshots, 'staff-search.png'), fullPage: true });

    // Clearing the filters brings the whole archive back.
    await page.getByRole('button', { name: 'Xóa bộ lọc' }).click();
    await page.getByRole('button', { name: 'Tìm', exact: true }).click();
    await expect.poll(() => status.textContent()).toMatch(/^\d+\+? kết quả$/);
    expect(Number((await status.textContent())!.split(' ')[0])).toBeGreaterThanOrEqual(7);

    await page.getByRole('button', { name: 'English' }).click();
    expect(await page.getByLabel('Document kind').locator('option:checked').textContent()).toBe('Any');
    await page.getByRole('button', { name: 'Tiếng Việt' }).click();
    await page.close();
  });

  it('shows a sheet\'s page with its revisions, signatures and audit trail, and downloads a revision into the trail', async () => {
    const page = await logIn(`/staff/sheets/${signedSheetId}`);
    await page.locator('#sheet-title').waitFor();
    expect(await page.locator('#sheet-title').textContent()).toBe('Số tờ 80 — Phường Trấn Biên');
    expect(await page.locator('#signatures-table .signer-name').allTextContents()).toEqual(['Nguyễn Văn An']);
    expect(await page.locator('#tasks-section').isHidden()).toBe(true);
    // The public code, for staff to print, and the public page it opens.
    expect(await page.locator('[data-role=public-link]').getAttribute('href')).toBe(`/v/${signedPublicCode}`);
    expect(await page.locator('dl.facts').first().textContent()).toContain(signedPublicCode);

    const trail = page.locator('#audit-table tbody tr');
    const kinds = async (): Promise<string[]> => trail.evaluateAll((rows) => rows.map((row) => row.getAttribute('data-kind') ?? ''));
    // Received from the portal, signed by the staff member, archived by the queue with its
    // verification, then downloaded by the portal.
    expect(await kinds()).toEqual(['received', 'signed', 'archived', 'verified', 'downloaded']);
    expect(await trail.first().textContent()).toContain('Tiếp nhận');
    expect(await trail.first().textContent()).toContain('system:portal');
    expect(await trail.nth(1).textContent()).toContain('staff:an');
    expect(await trail.nth(2).textContent()).toContain('Lưu trữ');
    expect(await trail.nth(3).textContent()).toContain('hợp lệ');

    const revision = (await service.app.inject({ method: 'GET', url: `/v1/sheets/${signedSheetId}`, headers: bearer(service.keys.staff) })).json() as { revisions: Array<{ revision: number; sha256: string }> };
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#revisions-table tr[data-revision="1"] [data-role=download-revision]').click()]);
    expect(download.suggestedFilename()).toBe(`sheet-${signedSheetId}-r1.pdf`);
    const saved = join(dir, 'revision-1.pdf');
    await download.saveAs(saved);
    expect(createHash('sha256').update(await readFile(saved)).digest('hex')).toBe(revision.revisions[0]!.sha256);
    await expect.poll(kinds).toEqual(['received', 'signed', 'archived', 'verified', 'downloaded', 'downloaded']);
    expect(await trail.last().textContent()).toContain('staff:an');
    await page.screenshot({ path: join(screenshots, 'staff-sheet.png'), fullPage: true });

    // From the sheet back to the lists, and from a search result to a sheet's page.
    await page.getByRole('link', { name: /Quay lại danh sách/ }).click();
    await page.locator('#search-section').waitFor();
    expect(new URL(page.url()).pathname).toBe('/staff');
    await page.getByLabel(/Tìm theo xã/).fill('tran bien to 80');
    await page.getByLabel(/Tìm theo xã/).press('Enter');
    await page.locator('#results-table tbody tr').first().waitFor();
    await page.locator('#results-table a[data-role=open]').first().click();
    await page.locator('#sheet-title').waitFor();
    expect(new URL(page.url()).pathname).toBe(`/staff/sheets/${signedSheetId}`);
    await page.goBack();
    await page.locator('#search-section').waitFor();
    expect(await page.locator('#results-table tbody tr').count()).toBe(1);
    await page.close();
  });
});

describe('GET /v1/sheets/:id/audit', () => {
  const audit = (url: string, headers: Record<string, string> = {}) => service.app.inject({ method: 'GET', url, headers });

  it('refuses a call without a key (401) and a key without sheets:read (403)', async () => {
    const anonymous = await audit(`/v1/sheets/${signedSheetId}/audit`);
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ code: 'AUTH_REQUIRED' });
    const wrongScope = await audit(`/v1/sheets/${signedSheetId}/audit`, bearer(service.keys.verifyOnly));
    expect(wrongScope.statusCode).toBe(403);
    expect(wrongScope.json()).toMatchObject({ code: 'AUTH_FORBIDDEN' });
  });

  it('hides another system\'s sheet (404) and answers 404 for a sheet not in the archive', async () => {
    expect((await audit(`/v1/sheets/${signedSheetId}/audit`, bearer(service.keys.registry))).statusCode).toBe(404);
    const missing = await audit('/v1/sheets/999999/audit', bearer(service.keys.staff));
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'ARCHIVE_NOT_FOUND' });
  });

  it('gives the owning system and staff the sheet\'s entries in chain order, in pages', async () => {
    const owner = await audit(`/v1/sheets/${signedSheetId}/audit`, bearer(service.keys.portal));
    expect(owner.statusCode).toBe(200);
    const body = owner.json() as { sheetId: number; items: Array<{ seq: number; kind: string; sheetId: number; actor: string; at: string; details: Record<string, unknown>; prevHash: string; hash: string }>; nextAfter: number | null };
    expect(body.sheetId).toBe(signedSheetId);
    expect(body.items.slice(0, 5).map((e) => e.kind)).toEqual(['received', 'signed', 'archived', 'verified', 'downloaded']);
    expect(body.items.every((e) => e.sheetId === signedSheetId && /^[0-9a-f]{64}$/.test(e.hash) && !Number.isNaN(Date.parse(e.at)))).toBe(true);
    const [received, signed, archived] = body.items as Array<(typeof body.items)[number] & { sha256: string }>;
    expect(signed!.details['requestId']).toBe(received!.details['requestId']);
    expect(received!.actor).toMatch(/^system:/);
    expect(signed).toMatchObject({ actor: 'staff:an', details: { step: 0, signerName: 'Nguyễn Văn An', inputSha256: received!.sha256 } });
    expect(signed!.sha256).toBe(archived!.sha256);
    expect(archived!.details).toMatchObject({ revision: 1, signatures: 1 });
    expect(body.items.map((e) => e.seq)).toEqual([...body.items.map((e) => e.seq)].sort((x, y) => x - y));
    expect(body.nextAfter).toBeNull();

    const first = (await audit(`/v1/sheets/${signedSheetId}/audit?limit=1`, bearer(service.keys.staff))).json() as typeof body;
    expect(first.items.map((e) => e.seq)).toEqual([body.items[0]!.seq]);
    expect(first.nextAfter).toBe(body.items[0]!.seq);
    const second = (await audit(`/v1/sheets/${signedSheetId}/audit?limit=1&after=${first.nextAfter}`, bearer(service.keys.staff))).json() as typeof body;
    expect(second.items.map((e) => e.seq)).toEqual([body.items[1]!.seq]);
    expect((await audit(`/v1/sheets/${signedSheetId}/audit?limit=1000`, bearer(service.keys.staff))).statusCode).toBe(400);
  });

  it('is in the OpenAPI document', async () => {
    const openapi = (await service.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toContain('/v1/sheets/{id}/audit');
  });
});
