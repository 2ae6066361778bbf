// The web pages in a real browser (Debian's headless Chromium through playwright-core): an
// applicant checks a signed sheet and an altered one on the public page and opens a QR target;
// a staff member logs in, signs three waiting sheets in one batch, finds them by searching
// "vung tau" without diacritics and downloads one that pdfsig reports valid. Screenshots go to
// docs/screenshots/.

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePdf } from '../fixtures/make-pdf.js';
import { appendIncrement, dict, PdfNewStream } from '../fixtures/make-signed.js';
import { launchBrowser, listen } from '../support/browser.js';
import { multipart, sheetMetadata, startTestService, waitFor, type TestService } from '../support/service.js';
import { pdfsig } from '../support/verifiers.js';

const SCREENSHOTS = join(import.meta.dirname, '../../docs/screenshots');

let dir: string;
let service: TestService;
let browser: Browser;
let base: string;
let signedPath: string;
let alteredPath: string;
let signedSheetId: number;

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

async function poll(id: string, until: (body: RequestView) => boolean): Promise<RequestView> {
  return waitFor(async () => {
    const body = (await service.app.inject({ method: 'GET', url: `/v1/sign-requests/${id}`, headers: bearer(service.keys.portal) })).json() as RequestView;
    return until(body) ? body : undefined;
  }, 120_000, `request ${id}`);
}

async function openPage(path: string, width = 1100): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  await page.goto(`${base}${path}`);
  return page;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-web-'));
  await mkdir(SCREENSHOTS, { recursive: true });
  service = await startTestService();
  base = await listen(service);
  browser = await launchBrowser();

  // A sheet signed by the staff member Nguyễn Văn An through the API, for the applicant.
  const bytes = await readFile((await makePdf(join(dir, 'applicant.pdf'), { pageSize: 'A1' })).path);
  const requestId = await submitForStaff('web-applicant', [{ part: 's1', bytes, metadata: sheetMetadata(80) }]);
  const task = ((await service.app.inject({ method: 'GET', url: '/v1/tasks', headers: bearer(service.keys.staff) })).json() as { items: Array<{ id: string; requestId: string }> }).items.find((t) => t.requestId === requestId)!;
  const signed = await service.app.inject({ method: 'POST', url: '/v1/tasks/sign', payload: { tasks: [task.id] }, headers: bearer(service.keys.staff) });
  expect(signed.statusCode, signed.body).toBe(202);
  const done = await poll(requestId, (b) => b.status === 'completed');
  const sheet = done.sheets[0]!;
  signedSheetId = sheet.sheetId!;
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
    await page.screenshot({ path: join(SCREENSHOTS, 'verify-result.png'), fullPage: true });
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
    await page.screenshot({ path: join(SCREENSHOTS, 'verify-altered.png'), fullPage: true });
    await page.close();
  });

  it('shows the archived record at the QR code\'s /v/:code address and compares a copy with it', async () => {
    const page = await openPage(`/v/${signedSheetId}`, 390);
    await page.locator('#archived-record').waitFor();
    expect(await page.locator('#archived-record').textContent()).toContain('Nguyễn Văn An');
    await page.getByLabel('Tệp PDF tờ bản đồ').setInputFiles(signedPath);
    await page.getByRole('button', { name: 'Kiểm tra' }).click();
    await page.locator('#compare').waitFor();
    expect(await page.locator('#compare').textContent()).toBe('Bản của bạn trùng khớp với bản lưu trữ.');
    await page.close();
  });

  it('serves only the page files, with their content types', async () => {
    const css = await fetch(`${base}/web/style.css`);
    expect(css.headers.get('content-type')).toContain('text/css');
    expect((await fetch(`${base}/web/verify.js`)).headers.get('content-type')).toContain('text/javascript');
    for (const path of ['/web/..%2F..%2Fapi%2Fapp.ts', '/web/%2E%2E%2Fpackage.json', '/web/nothing.js']) expect((await fetch(`${base}${path}`)).status).toBe(404);
  });
});

describe('staff pages', () => {
  it('lets a staff member sign three waiting sheets in one batch, find them by "vung tau" and download a valid one', async () => {
    const vungTau = { province: 'Thành phố Hồ Chí Minh', commune: 'Phường Vũng Tàu', legacyDistrict: 'Vũng Tàu', dossierCode: '000.00.31.H29-260801-0042' };
    // Distinct files (page counts): identical inputs signed in the same second would be byte-identical.
    const sheets = [];
    for (const n of [91, 92, 93]) sheets.push({ part: `p${n}`, bytes: await readFile((await makePdf(join(dir, `vt-${n}.pdf`), { pageSize: 'A4', pages: n - 90 })).path), metadata: sheetMetadata(n, vungTau) });
    const requestId = await submitForStaff('web-staff', sheets);

    const page = await openPage('/staff');
    await page.getByLabel('Khóa API của cán bộ').fill(service.keys.staff);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    const rows = page.locator(`tr[data-task^="${requestId}."]`);
    await rows.first().waitFor();
    expect(await rows.count()).toBe(3);
    for (let i = 0; i < 3; i++) await rows.nth(i).locator('input[name=task]').check();
    await page.getByRole('button', { name: 'Ký các tờ đã chọn' }).click();
    await page.getByText('Đã ký xong: 3/3').waitFor({ timeout: 120_000 });
    expect(await rows.locator('td.result').allTextContents()).toEqual(['Đã ký xong (Lần sửa 1)', 'Đã ký xong (Lần sửa 1)', 'Đã ký xong (Lần sửa 1)']);
    await page.screenshot({ path: join(SCREENSHOTS, 'staff-batch.png'), fullPage: true });

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

    await found.first().getByRole('button', { name: 'Xem' }).click();
    await page.locator('#sheet-title').waitFor();
    expect(await page.locator('#sheet').textContent()).toContain('Nguyễn Văn An');
    await page.close();
  });
});
