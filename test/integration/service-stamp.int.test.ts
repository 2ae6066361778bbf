// Visible stamps on sheets the service signs (POST /v1/sign-requests with server keys, POST
// /v1/tasks/sign with a staff member's key), checked by tools we did not write: pdftotext reads
// the Vietnamese lines back, jsQR decodes the QR code to `<MAPSIGN_PUBLIC_URL>/v/<code>`, that
// code opens the archived record (its sequential id does not), pdfsig accepts every signature,
// and the widgets of two roles do not overlap.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsqr from 'jsqr';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PdfDict, PdfName, PdfReader } from '../../src/pdf/index.js';
import { makeSealPng, makeSignaturePng } from '../fixtures/make-images.js';
import { makePdf } from '../fixtures/make-pdf.js';
import { SAMPLE_PKI_DIR, SAMPLE_PKI_PASSWORD } from '../fixtures/make-pki.js';
import { multipart, sheetMetadata, startTestService, waitFor, type TestService } from '../support/service.js';
import { pdfsig, runCommand } from '../support/verifiers.js';

type JsQr = typeof jsqr.default;
const jsQR: JsQr = (typeof jsqr === 'function' ? jsqr : jsqr.default) as JsQr;

const PUBLIC_URL = 'https://kiemtra.mapsign.example.vn';
/** A1 portrait, as makePdf draws it: 594 × 841 mm. */
const PAGE_MM = { width: 594, height: 841 };
/** The boxes of config/stamp-templates.json, from the bottom-right corner. */
const BOXES: Record<string, [number, number, number, number]> = { 'van-phong-dang-ky': [112, 10, 98, 46], 'so-nnmt': [10, 10, 98, 46] };

interface SheetView {
  status: string;
  sheetId: number | null;
  fileUrl: string | null;
  error: { code: string } | null;
}

let dir: string;
let service: TestService;
let sheetPdf: Buffer[];
let staffKey: string;

const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-service-stamp-'));
  const signatureImage = join(dir, 'signature.png');
  const sealImage = join(dir, 'seal.png');
  await writeFile(signatureImage, makeSignaturePng());
  await writeFile(sealImage, makeSealPng());
  sheetPdf = [];
  for (let i = 0; i < 4; i++) sheetPdf.push(await readFile((await makePdf(join(dir, `sheet-${i}.pdf`), { pageSize: 'A1' })).path));
  const signers = {
    'department-seal': { p12: join(SAMPLE_PKI_DIR, 'department-seal.p12'), password: SAMPLE_PKI_PASSWORD, sealImage },
    officer: { p12: join(SAMPLE_PKI_DIR, 'staff-rsa.p12'), password: SAMPLE_PKI_PASSWORD, signatureImage, sealImage },
    surveyor: { p12: join(SAMPLE_PKI_DIR, 'staff-ec.p12'), password: SAMPLE_PKI_PASSWORD, signatureImage },
    'commune-chair': { p12: join(SAMPLE_PKI_DIR, 'staff-rsa.p12'), password: SAMPLE_PKI_PASSWORD, signatureImage, sealImage },
  };
  service = await startTestService({ env: { MAPSIGN_PUBLIC_URL: `${PUBLIC_URL}/`, MAPSIGN_SIGNERS: JSON.stringify(signers) } });
  staffKey = (
    await service.runtime.keys.create({
      name: 'binh-stamp',
      kind: 'staff',
      scopes: ['sheets:read'],
      roles: ['so-nnmt'],
      signer: { p12: join(SAMPLE_PKI_DIR, 'staff-ec.p12'), password: SAMPLE_PKI_PASSWORD, signatureImage, sealImage },
    })
  ).key;
});

afterAll(async () => {
  await service?.close();
  await rm(dir, { recursive: true, force: true });
});

async function submit(idempotencyKey: string, request: unknown, file: Buffer) {
  const body = multipart([
    { name: 'request', value: JSON.stringify(request), type: 'application/json' },
    { name: 's1', value: file, filename: 's1.pdf', type: 'application/pdf' },
  ]);
  return service.app.inject({ method: 'POST', url: '/v1/sign-requests', payload: body.payload, headers: { ...body.headers, ...bearer(service.keys.portal), 'idempotency-key': idempotencyKey } });
}

async function finished(id: string, status = 'completed'): Promise<SheetView> {
  const view = await waitFor(async () => {
    const body = (await service.app.inject({ method: 'GET', url: `/v1/sign-requests/${id}`, headers: bearer(service.keys.portal) })).json() as { status: string; sheets: SheetView[] };
    return body.status === status || body.status === 'failed' ? body : undefined;
  }, 120_000, `request ${id}`);
  expect(view.sheets[0]!.error).toBeNull();
  expect(view.status).toBe(status);
  return view.sheets[0]!;
}

async function download(sheet: SheetView, name: string): Promise<string> {
  const file = await service.app.inject({ method: 'GET', url: sheet.fileUrl!, headers: bearer(service.keys.portal) });
  expect(file.statusCode, file.body).toBe(200);
  const path = join(dir, name);
  await writeFile(path, file.rawPayload);
  return path;
}

async function pdftotext(path: string): Promise<string> {
  const result = await runCommand('pdftotext', ['-raw', '-enc', 'UTF-8', path, '-']);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

/** Renders the stamp box of `template` (bottom-right corner of the A1 page) at 200 dpi and decodes its QR code. */
async function decodeQr(path: string, template: string): Promise<string | null> {
  const [x, y, width, height] = BOXES[template]!;
  const dpi = 200;
  const px = (mm: number): number => (mm / 25.4) * dpi;
  const left = PAGE_MM.width - x - width;
  const top = PAGE_MM.height - y - height;
  const prefix = join(dir, `qr-${Math.random().toString(36).slice(2)}`);
  const crop = ['-x', String(Math.floor(px(left) - 10)), '-y', String(Math.floor(px(top) - 10)), '-W', String(Math.ceil(px(width) + 20)), '-H', String(Math.ceil(px(height) + 20))];
  const result = await runCommand('pdftoppm', ['-r', String(dpi), '-png', '-cropbox', '-singlefile', ...crop, path, prefix]);
  expect(result.code, result.stderr).toBe(0);
  const image = PNG.sync.read(await readFile(`${prefix}.png`));
  await rm(`${prefix}.png`);
  return jsQR(new Uint8ClampedArray(image.data), image.width, image.height)?.data ?? null;
}

/** The /Rect of every signature widget of the last page, in signing order. */
async function signatureRects(path: string): Promise<Array<[number, number, number, number]>> {
  const reader = await PdfReader.open(path);
  try {
    const page = await reader.getPage(await reader.pageCount());
    const annots = (await reader.resolve(page.dict.get('Annots'))) as unknown[];
    const rects: Array<[number, number, number, number]> = [];
    for (const ref of annots) {
      const annot = await reader.resolveDict(ref as PdfDict);
      if (!annot || (annot.get('FT') as PdfName | undefined)?.value !== 'Sig') continue;
      rects.push((await reader.resolve(annot.get('Rect'))) as unknown as [number, number, number, number]);
    }
    return rects;
  } finally {
    await reader.close();
  }
}

function overlaps(a: readonly number[], b: readonly number[]): boolean {
  const [ax0, ax1] = [Math.min(a[0]!, a[2]!), Math.max(a[0]!, a[2]!)];
  const [ay0, ay1] = [Math.min(a[1]!, a[3]!), Math.max(a[1]!, a[3]!)];
  const [bx0, bx1] = [Math.min(b[0]!, b[2]!), Math.max(b[0]!, b[2]!)];
  const [by0, by1] = [Math.min(b[1]!, b[3]!), Math.max(b[1]!, b[3]!)];
  return ax0 < bx1 && bx0 < ax1 && ay0 < by1 && by0 < ay1;
}

describe('visible stamps of server signatures', () => {
  let path: string;
  let sheetId: number;
  let publicCode: string;
  let requestViewCode: string | null;

  beforeAll(async () => {
    const request = {
      signatures: [
        { role: 'van-phong-dang-ky', signer: 'officer', stamp: {} },
        { role: 'so-nnmt', signer: 'department-seal', stamp: { template: 'so-nnmt', corner: 'br' } },
      ],
      sheets: [{ part: 's1', metadata: sheetMetadata(601) }],
    };
    const accepted = await submit('stamped-two-roles', request, sheetPdf[0]!);
    expect(accepted.statusCode, accepted.body).toBe(202);
    const sheet = await finished((accepted.json() as { id: string }).id);
    sheetId = sheet.sheetId!;
    requestViewCode = (sheet as SheetView & { publicCode: string | null }).publicCode;
    path = await download(sheet, 'stamped.pdf');
    const record = (await service.app.inject({ method: 'GET', url: `/v1/sheets/${sheetId}`, headers: bearer(service.keys.portal) })).json() as { publicCode: string };
    publicCode = record.publicCode;
  });

  it('archives each signature under the role its request named, not the procedure template\'s guess by position', async () => {
    const record = (await service.app.inject({ method: 'GET', url: `/v1/sheets/${sheetId}`, headers: bearer(service.keys.portal) })).json() as { signatures: Array<{ role: string | null }>; revisions: unknown[] };
    expect(record.revisions).toHaveLength(2);
    expect(record.signatures.map((s) => s.role)).toEqual(['van-phong-dang-ky', 'so-nnmt']);
  });

  it('gives the archived sheet a random public code that its staff and system views show', () => {
    expect(publicCode).toMatch(/^[a-z2-7]{26}$/);
    // The request's own status names it too, for the dossier system to print or link.
    expect(requestViewCode).toBe(publicCode);
  });

  it('prints each role\'s block with the signer\'s Vietnamese name, the organisation and the dossier code, which pdftotext copies out', async () => {
    const text = await pdftotext(path);
    expect(text).toContain('Nguyễn Văn An');
    expect(text).toContain('Ký bởi: Sở Nông nghiệp và Môi trường tỉnh Đồng Nai');
    expect(text).toContain('PHÓ GIÁM ĐỐC');
    expect(text).toContain(`Mã hồ sơ: ${sheetMetadata(601).dossierCode}`);
  });

  it('draws QR codes that decode to the sheet\'s verification URL <MAPSIGN_PUBLIC_URL>/v/<public code>', async () => {
    expect(await decodeQr(path, 'van-phong-dang-ky')).toBe(`${PUBLIC_URL}/v/${publicCode}`);
    expect(await decodeQr(path, 'so-nnmt')).toBe(`${PUBLIC_URL}/v/${publicCode}`);
  });

  it('opens the archived record by that code on the public route, and answers 404 for the sheet\'s numeric id', async () => {
    const byCode = await service.app.inject({ method: 'GET', url: `/v1/public/sheets/${publicCode}` });
    expect(byCode.statusCode, byCode.body).toBe(200);
    expect(byCode.json()).toMatchObject({ publicCode, revision: 2, signatures: [{ signerName: 'Nguyễn Văn An' }, {}] });
    expect(byCode.json()).not.toHaveProperty('id');
    expect((await service.app.inject({ method: 'GET', url: `/v1/public/sheets/${publicCode.toUpperCase()}` })).statusCode).toBe(200);
    const byId = await service.app.inject({ method: 'GET', url: `/v1/public/sheets/${sheetId}` });
    expect(byId.statusCode).toBe(404);
    expect(byId.json()).toMatchObject({ code: 'ARCHIVE_NOT_FOUND' });
  });

  it('keeps both signatures valid for pdfsig', async () => {
    const checked = await pdfsig(path);
    expect(checked.signatures.map((s) => s.commonName), checked.output).toEqual(['Nguyễn Văn An', 'Sở Nông nghiệp và Môi trường tỉnh Đồng Nai']);
    for (const s of checked.signatures) expect(s.isValid, checked.output).toBe(true);
  });

  it('puts the two roles\' widgets side by side without overlap', async () => {
    const rects = await signatureRects(path);
    expect(rects).toHaveLength(2);
    for (const rect of rects) expect(Math.abs(rect[2] - rect[0]) * Math.abs(rect[3] - rect[1])).toBeGreaterThan(0);
    expect(overlaps(rects[0]!, rects[1]!)).toBe(false);
  });

  it('keeps the sheet\'s code when a later request signs it again', async () => {
    const body = multipart([{ name: 'request', value: JSON.stringify({ signatures: [{ role: 'so-nnmt', signer: 'department-seal', stamp: { box: [10, 60, 98, 46] } }], sheets: [{ sheetId }] }), type: 'application/json' }]);
    const accepted = await service.app.inject({ method: 'POST', url: '/v1/sign-requests', payload: body.payload, headers: { ...body.headers, ...bearer(service.keys.portal), 'idempotency-key': 'stamped-again' } });
    expect(accepted.statusCode, accepted.body).toBe(202);
    const sheet = await finished((accepted.json() as { id: string }).id);
    expect(sheet.sheetId).toBe(sheetId);
    const again = await download(sheet, 'stamped-again.pdf');
    const record = (await service.app.inject({ method: 'GET', url: `/v1/sheets/${sheetId}`, headers: bearer(service.keys.portal) })).json() as { publicCode: string; revision: number };
    expect(record).toMatchObject({ publicCode, revision: 3 });
    expect((await signatureRects(again)).length).toBe(3);
    expect((await pdfsig(again)).signatures.every((s) => s.isValid)).toBe(true);
  });
});

describe('four roles signing in turn', () => {
  it('gives four blocks in a row that do not overlap, each with its role\'s title, and four valid signatures', async () => {
    const request = {
      signatures: [
        { role: 'don-vi-do-dac', signer: 'surveyor', stamp: {} },
        { role: 'ubnd-xa', signer: 'commune-chair', stamp: {} },
        { role: 'van-phong-dang-ky', signer: 'officer', stamp: {} },
        { role: 'so-nnmt', signer: 'department-seal', stamp: {} },
      ],
      sheets: [{ part: 's1', metadata: sheetMetadata(604) }],
    };
    const accepted = await submit('stamped-four-roles', request, sheetPdf[3]!);
    expect(accepted.statusCode, accepted.body).toBe(202);
    const path = await download(await finished((accepted.json() as { id: string }).id), 'four-roles.pdf');
    const rects = await signatureRects(path);
    expect(rects).toHaveLength(4);
    for (let i = 0; i < rects.length; i++) for (let j = i + 1; j < rects.length; j++) expect(overlaps(rects[i]!, rects[j]!), `widgets ${i + 1} and ${j + 1}`).toBe(false);
    const text = await pdftotext(path);
    for (const line of ['ĐƠN VỊ ĐO ĐẠC', 'TM. ỦY BAN NHÂN DÂN', 'CHỦ TỊCH', 'Trần Thị Bình', 'Nguyễn Văn An', 'Ký bởi: Sở Nông nghiệp và Môi trường tỉnh Đồng Nai']) expect(text).toContain(line);
    const checked = await pdfsig(path);
    expect(checked.signatures).toHaveLength(4);
    for (const s of checked.signatures) expect(s.isValid, checked.output).toBe(true);
  });
});

describe('stamps of staff signatures', () => {
  it('stamps the sheet a staff member signs with their key and their configured images', async () => {
    const request = { signatures: [{ role: 'so-nnmt', stamp: { qr: false } }], sheets: [{ part: 's1', metadata: sheetMetadata(602) }] };
    const accepted = await submit('stamped-staff', request, sheetPdf[1]!);
    expect(accepted.statusCode, accepted.body).toBe(202);
    const id = (accepted.json() as { id: string }).id;
    await finished(id, 'waiting-signature').catch(() => undefined);
    const tasks = (await service.app.inject({ method: 'GET', url: '/v1/tasks', headers: bearer(staffKey) })).json() as { items: Array<{ id: string; requestId: string; stamp: unknown }> };
    // The task tells the staff member the stamp their signature will carry.
    expect(tasks.items.filter((t) => t.requestId === id).map((t) => t.stamp)).toEqual([{ template: 'so-nnmt', box: null, corner: null, qr: false }]);
    const mine = tasks.items.filter((t) => t.requestId === id).map((t) => t.id);
    expect(mine).toHaveLength(1);
    const signed = await service.app.inject({ method: 'POST', url: '/v1/tasks/sign', payload: { tasks: mine }, headers: bearer(staffKey) });
    expect(signed.statusCode, signed.body).toBe(202);
    const path = await download(await finished(id), 'staff-stamped.pdf');
    const text = await pdftotext(path);
    expect(text).toContain('Trần Thị Bình');
    expect(text).toContain('KT. GIÁM ĐỐC');
    expect(await decodeQr(path, 'so-nnmt')).toBeNull();
    expect((await signatureRects(path)).length).toBe(1);
    expect((await pdfsig(path)).signatures.every((s) => s.isValid)).toBe(true);
  });
});

describe('stamp requests the service refuses', () => {
  it('answers 400 STAMP_TEMPLATE_UNKNOWN for a template it does not have, 400 USAGE_INVALID for a bad box or corner', async () => {
    const bad = async (key: string, stamp: unknown) =>
      (await submit(key, { signatures: [{ role: 'so-nnmt', signer: 'department-seal', stamp }], sheets: [{ part: 's1', metadata: sheetMetadata(603) }] }, sheetPdf[2]!)).json();
    expect(await bad('bad-template', { template: 'chi-cuc-quan-ly-dat-dai' })).toMatchObject({ status: 400, code: 'STAMP_TEMPLATE_UNKNOWN' });
    expect(await bad('bad-box', { box: [1, 2, 3] })).toMatchObject({ status: 400, code: 'USAGE_INVALID' });
    expect(await bad('bad-corner', { corner: 'middle' })).toMatchObject({ status: 400, code: 'USAGE_INVALID' });
  });
});
