// Visible stamps on large-format sheets, checked by renderers and extractors we did not write:
// pdftoppm draws the page at low resolution and the stamp's ink must lie in its box (as the viewer
// sees the page, under every /Rotate, /UserUnit and an offset /CropBox); pdftotext must read the
// Vietnamese back exactly; jsQR must decode the QR code; pdfsig and qpdf must accept every revision.

import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jsqr from 'jsqr';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PdfDict, PdfReader, PdfRef, PdfStream, loadStampTemplates, resolveStampTemplate, type StampTemplates, type VisibleStampOptions } from '../../src/pdf/index.js';
import { openPkcs12KeySource, type KeySource } from '../../src/pki/index.js';
import { signPdf } from '../../src/signing/index.js';
import { makeSealPng, makeSignaturePng } from '../fixtures/make-images.js';
import { makePdf, type MakePdfOptions } from '../fixtures/make-pdf.js';
import { samplePki } from '../fixtures/make-pki.js';
import { pdfsig, qpdfCheck, runCommand } from '../support/verifiers.js';

// jsqr is CommonJS with a `default` export: TypeScript (NodeNext) and Vite disagree on what the default import is.
type JsQr = typeof jsqr.default;
const jsQR: JsQr = (typeof jsqr === 'function' ? jsqr : jsqr.default) as JsQr;
const pki = samplePki();
const DOSSIER = '000.00.31.H56-260715-0012';
const QR_URL = `https://kiemtra.mapsign.example.vn/ho-so/${DOSSIER}`;
const SIZES = { A0: [2384, 3370], A1: [1684, 2384] } as const;
const DOCS_IMAGE = fileURLToPath(new URL('../../docs/stamp-example.png', import.meta.url));

let dir: string;
let templates: StampTemplates;
let keys: Record<'staffRsa' | 'staffEc' | 'departmentSeal', KeySource>;
const signatureImage = makeSignaturePng();
const sealImage = makeSealPng();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-stamp-'));
  templates = await loadStampTemplates();
  keys = {
    staffRsa: await openPkcs12KeySource({ path: pki.p12.staffRsa, password: pki.password }),
    staffEc: await openPkcs12KeySource({ path: pki.p12.staffEc, password: pki.password }),
    departmentSeal: await openPkcs12KeySource({ path: pki.p12.departmentSeal, password: pki.password }),
  };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The four parties of a land allocation sheet, in signing order. */
const PARTIES: Array<{ role: string; key: keyof typeof keys; organisation?: string; lines: string[] }> = [
  { role: 'don-vi-do-dac', key: 'staffEc', organisation: 'Công ty CP Đo đạc X', lines: ['ĐƠN VỊ ĐO ĐẠC', 'GIÁM ĐỐC', 'Trần Thị Bình', 'Ký bởi: Công ty CP Đo đạc X'] },
  { role: 'ubnd-xa', key: 'staffRsa', organisation: 'UBND Phường Trấn Biên', lines: ['TM. ỦY BAN NHÂN DÂN', 'CHỦ TỊCH', 'Nguyễn Văn An', 'Ký bởi: UBND Phường Trấn Biên'] },
  { role: 'van-phong-dang-ky', key: 'staffRsa', lines: ['KT. GIÁM ĐỐC', 'PHÓ GIÁM ĐỐC', 'Nguyễn Văn An', 'Ký bởi: Sở Nông nghiệp và Môi trường tỉnh Đồng Nai'] },
  // The department's seal certificate names the organisation, not a person: no name line.
  { role: 'so-nnmt', key: 'departmentSeal', lines: ['KT. GIÁM ĐỐC', 'PHÓ GIÁM ĐỐC', 'Ký bởi: Sở Nông nghiệp và Môi trường tỉnh Đồng Nai'] },
];

function stampFor(role: string, organisation?: string): VisibleStampOptions {
  const t = resolveStampTemplate(templates, role);
  return {
    box: t.box,
    corner: t.corner,
    lines: t.lines,
    fields: { role: t.label, authority: t.authority, title: t.title, dossierCode: DOSSIER, organisation },
    signatureImage,
    sealImage,
    qrText: QR_URL,
  };
}

/** The displayed page in millimetres, computed from the fixture's own numbers (not from our reader). */
function displayedPageMm(options: MakePdfOptions): { width: number; height: number } {
  const [w, h] = SIZES[options.pageSize as 'A0' | 'A1'];
  const inset = w >= 1000 ? 36 : 18;
  const [cw, ch] = options.cropBoxOffset ? [w - 2 * inset, h - inset - inset * 1.5] : [w, h];
  const unit = options.userUnit ?? 1;
  const toMm = (pt: number): number => (pt * unit * 25.4) / 72;
  const isQuarterTurn = options.rotate === 90 || options.rotate === 270;
  return { width: toMm(isQuarterTurn ? ch : cw), height: toMm(isQuarterTurn ? cw : ch) };
}

interface PixelBox {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** A template's box in the pixels of an image of the displayed page (y down), as fractions of the page. */
function expectedPixels(role: string, page: { width: number; height: number }, image: { width: number; height: number }): PixelBox {
  const { box, corner } = resolveStampTemplate(templates, role);
  const left = corner.endsWith('r') ? page.width - box.x - box.width : box.x;
  const bottom = corner.startsWith('b') ? box.y : page.height - box.y - box.height;
  return {
    left: (left / page.width) * image.width,
    right: ((left + box.width) / page.width) * image.width,
    top: (1 - (bottom + box.height) / page.height) * image.height,
    bottom: (1 - bottom / page.height) * image.height,
  };
}

async function render(path: string, dpi: number, crop?: PixelBox): Promise<PNG> {
  const prefix = join(dir, `render-${Math.random().toString(36).slice(2)}`);
  const region = crop
    ? ['-x', String(Math.floor(crop.left)), '-y', String(Math.floor(crop.top)), '-W', String(Math.ceil(crop.right - crop.left)), '-H', String(Math.ceil(crop.bottom - crop.top))]
    : [];
  const result = await runCommand('pdftoppm', ['-r', String(dpi), '-png', '-cropbox', '-singlefile', ...region, path, prefix]);
  expect(result.code, result.stderr).toBe(0);
  const png = PNG.sync.read(await readFile(`${prefix}.png`));
  await rm(`${prefix}.png`);
  return png;
}

function pixel(png: PNG, x: number, y: number): [number, number, number] {
  const at = (y * png.width + x) * 4;
  return [png.data[at]!, png.data[at + 1]!, png.data[at + 2]!];
}

/** Pixels that changed between two renders of the same page, split by whether they lie in `box` (grown by `slack` pixels). */
function changedPixels(before: PNG, after: PNG, box: PixelBox, slack: number): { inside: number; outside: Array<[number, number]> } {
  expect([after.width, after.height]).toEqual([before.width, before.height]);
  let inside = 0;
  const outside: Array<[number, number]> = [];
  for (let y = 0; y < after.height; y++) {
    for (let x = 0; x < after.width; x++) {
      const a = pixel(before, x, y);
      const b = pixel(after, x, y);
      if (Math.max(Math.abs(a[0] - b[0]), Math.abs(a[1] - b[1]), Math.abs(a[2] - b[2])) <= 40) continue;
      const isInside = x + 0.5 >= box.left - slack && x + 0.5 <= box.right + slack && y + 0.5 >= box.top - slack && y + 0.5 <= box.bottom + slack;
      if (isInside) inside++;
      else outside.push([x, y]);
    }
  }
  return { inside, outside };
}

/** Mean darkness of grey (not blue, not red) ink in a vertical strip of the box: the QR code is black on white. */
function greyInk(png: PNG, box: PixelBox, from: number, to: number): number {
  let sum = 0;
  let count = 0;
  const x0 = Math.ceil(box.left + (box.right - box.left) * from);
  const x1 = Math.floor(box.left + (box.right - box.left) * to);
  for (let y = Math.ceil(box.top); y < Math.floor(box.bottom); y++) {
    for (let x = x0; x < x1; x++) {
      const [r, g, b] = pixel(png, x, y);
      const isGrey = Math.max(r, g, b) - Math.min(r, g, b) < 40;
      sum += isGrey ? 255 - (r + g + b) / 3 : 0;
      count++;
    }
  }
  return sum / Math.max(1, count);
}

/**
 * pdftotext in content-stream order (-raw): its default reading order interleaves the stamp's
 * lines with the map labels that lie under the stamp's white background.
 */
async function pdftotextLines(path: string): Promise<string[]> {
  const result = await runCommand('pdftotext', ['-raw', '-enc', 'UTF-8', path, '-']);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.split('\n').map((line) => line.trim());
}

function vietnamTime(date: Date): string {
  const local = new Date(Math.floor(date.getTime() / 1000) * 1000 + 7 * 3600_000);
  return `${local.toISOString().slice(0, 19)}+07:00`;
}

const SHEETS: Array<[string, MakePdfOptions]> = [
  ...(['A0', 'A1'] as const).flatMap((pageSize) =>
    ([0, 90, 180, 270] as const).map((rotate): [string, MakePdfOptions] => [`${pageSize} with /Rotate ${rotate}`, { pageSize, rotate }]),
  ),
  ['A1 with /UserUnit 2', { pageSize: 'A1', userUnit: 2 }],
  ['A1 with an offset /CropBox', { pageSize: 'A1', cropBoxOffset: true }],
  ['A0 with /Rotate 90, /UserUnit 2 and an offset /CropBox', { pageSize: 'A0', rotate: 90, userUnit: 2, cropBoxOffset: true }],
];

describe('visible stamps of four signers on large-format sheets', () => {
  it.each(SHEETS)('puts each stamp of a sheet of %s in its box, upright, with exact Vietnamese text and valid signatures', async (label, options) => {
    const input = join(dir, `${label.replace(/\W+/g, '-')}.pdf`);
    await makePdf(input, options);
    const page = displayedPageMm(options);
    let current = input;
    let before = await render(current, 10);
    const times: Date[] = [];
    for (const [i, party] of PARTIES.entries()) {
      const output = `${input}.${i + 1}.pdf`;
      const signingTime = new Date(Date.now() - (PARTIES.length - i) * 60_000);
      times.push(signingTime);
      const result = await signPdf({ input: current, output, keySource: keys[party.key], signingTime, stamp: stampFor(party.role, party.organisation) });
      expect(result.stamp?.isClamped).toBe(false);
      const after = await render(output, 10);
      const box = expectedPixels(party.role, page, after);
      expect(box.left).toBeGreaterThanOrEqual(0);
      expect(box.top).toBeGreaterThanOrEqual(0);
      expect(box.right).toBeLessThanOrEqual(after.width);
      expect(box.bottom).toBeLessThanOrEqual(after.height);
      const changed = changedPixels(before, after, box, 1.5);
      expect(changed.outside, `${party.role}: ink outside its box`).toEqual([]);
      expect(changed.inside, `${party.role}: ink inside its box`).toBeGreaterThan(0.1 * (box.right - box.left) * (box.bottom - box.top));
      // Upright: the QR code is on the right of the stamp as the viewer sees it.
      expect(greyInk(after, box, 0.72, 0.97), `${party.role}: QR code on the right`).toBeGreaterThan(2 * greyInk(after, box, 0.03, 0.28));
      before = after;
      current = output;
    }

    const sig = await pdfsig(current);
    expect(sig.signatures, sig.output).toHaveLength(4);
    for (const s of sig.signatures) expect(s.isValid, sig.output).toBe(true);
    expect(sig.signatures[3]!.isTotalDocumentSigned).toBe(true);
    const qpdf = await qpdfCheck(current);
    expect(qpdf.code, qpdf.stdout + qpdf.stderr).toBe(0);

    // Each stamp's lines, exactly and in order, as a block of the extracted text.
    const text = (await pdftotextLines(current)).join('\n');
    for (const [i, party] of PARTIES.entries()) {
      const block = [...party.lines, `Thời gian ký: ${vietnamTime(times[i]!)}`, `Mã hồ sơ: ${DOSSIER}`].join('\n');
      expect(text, party.role).toContain(block);
    }
    expect(text).toContain('Nguyễn Văn An');
    expect(text).toContain('Sở Nông nghiệp và Môi trường');
  });
});

describe('the QR code of a stamp', () => {
  it.each<[string, MakePdfOptions]>([
    ['A1 with /Rotate 0', { pageSize: 'A1' }],
    ['A1 with /Rotate 90', { pageSize: 'A1', rotate: 90 }],
    ['A1 with /Rotate 180', { pageSize: 'A1', rotate: 180 }],
    ['A1 with /Rotate 270', { pageSize: 'A1', rotate: 270 }],
    ['A0 with /UserUnit 2 and an offset /CropBox', { pageSize: 'A0', userUnit: 2, cropBoxOffset: true }],
  ])('decodes to the verification URL, upright, on a sheet of %s', async (label, options) => {
    const input = join(dir, `qr-${label.replace(/\W+/g, '-')}.pdf`);
    const output = `${input}.signed.pdf`;
    await makePdf(input, options);
    await signPdf({ input, output, keySource: keys.departmentSeal, stamp: stampFor('so-nnmt') });
    // pdftoppm draws /UserUnit pages at their unit size, so the resolution is scaled to keep QR modules legible.
    const dpi = 200 * (options.userUnit ?? 1);
    const full = await render(output, 10);
    const page = displayedPageMm(options);
    const scale = dpi / 10;
    const lowBox = expectedPixels('so-nnmt', page, full);
    const crop = { left: lowBox.left * scale - 10, top: lowBox.top * scale - 10, right: lowBox.right * scale + 10, bottom: lowBox.bottom * scale + 10 };
    const image = await render(output, dpi, crop);
    const code = jsQR(new Uint8ClampedArray(image.data), image.width, image.height);
    expect(code, 'no QR code found').not.toBeNull();
    expect(code!.data).toBe(QR_URL);
    const { topLeftCorner, topRightCorner, bottomLeftCorner } = code!.location;
    expect(topRightCorner.x).toBeGreaterThan(topLeftCorner.x);
    expect(bottomLeftCorner.y).toBeGreaterThan(topLeftCorner.y);
    expect(Math.abs(topRightCorner.y - topLeftCorner.y)).toBeLessThan(3);
    expect((topLeftCorner.x + topRightCorner.x) / 2).toBeGreaterThan(image.width * 0.6);
  });
});

describe('the embedded stamp font in a signed sheet', () => {
  it('is a subset of Be Vietnam Pro far smaller than the TTF, with a /ToUnicode map', async () => {
    const input = join(dir, 'font.pdf');
    const output = join(dir, 'font-signed.pdf');
    await makePdf(input, { pageSize: 'A1' });
    await signPdf({ input, output, keySource: keys.staffRsa, stamp: stampFor('van-phong-dang-ky') });
    const ttf = await readFile(createRequire(import.meta.url).resolve('@expo-google-fonts/be-vietnam-pro/400Regular/BeVietnamPro_400Regular.ttf'));
    const reader = await PdfReader.open(output);
    try {
      const acroForm = (await reader.acroForm())!.dict;
      const fields = (await reader.resolve(acroForm.get('Fields'))) as PdfRef[];
      const widget = (await reader.resolveDict(fields.at(-1)))!;
      const appearance = await reader.resolve((widget.get('AP') as PdfDict).get('N'));
      expect(appearance).toBeInstanceOf(PdfStream);
      const resources = (appearance as PdfStream).dict.get('Resources') as PdfDict;
      const fontDict = (await reader.resolveDict((resources.get('Font') as PdfDict).get('F1')))!;
      expect(fontDict.getName('BaseFont')).toMatch(/^[A-Z]{6}\+BeVietnamPro-Regular$/);
      expect(fontDict.get('ToUnicode')).toBeInstanceOf(PdfRef);
      const cidFont = (await reader.resolveDict(((await reader.resolve(fontDict.get('DescendantFonts'))) as PdfRef[])[0]))!;
      const descriptor = (await reader.resolveDict(cidFont.get('FontDescriptor')))!;
      const fontFile = await reader.resolve(descriptor.get('FontFile2'));
      expect(fontFile).toBeInstanceOf(PdfStream);
      const bytes = await reader.readStream(fontFile as PdfStream, 1 << 20, 'font file');
      expect(bytes.length).toBeLessThan(ttf.length / 5);
    } finally {
      await reader.close();
    }
    const fonts = await runCommand('pdffonts', [output]);
    if (fonts.code === 0) expect(fonts.stdout).toMatch(/\+BeVietnamPro-Regular\s+CID TrueType\s+Identity-H\s+yes\s+yes\s+yes/);
  });
});

describe('docs/stamp-example.png', () => {
  it.runIf(process.env['UPDATE_DOCS'] === '1')('is rendered from an A1 sheet signed by the four parties', async () => {
    const input = join(dir, 'docs-example.pdf');
    await makePdf(input, { pageSize: 'A1' });
    let current = input;
    for (const [i, party] of PARTIES.entries()) {
      const output = `${input}.${i + 1}.pdf`;
      await signPdf({ input: current, output, keySource: keys[party.key], stamp: stampFor(party.role, party.organisation) });
      current = output;
    }
    const page = displayedPageMm({ pageSize: 'A1' });
    const dpi = 110;
    const mm = (value: number): number => (value / 25.4) * dpi;
    const crop = { left: mm(page.width - 420), top: mm(page.height - 62), right: mm(page.width - 4), bottom: mm(page.height - 4) };
    const prefix = join(dir, 'docs-example');
    const result = await runCommand('pdftoppm', ['-r', String(dpi), '-png', '-cropbox', '-singlefile', '-x', String(Math.round(crop.left)), '-y', String(Math.round(crop.top)), '-W', String(Math.round(crop.right - crop.left)), '-H', String(Math.round(crop.bottom - crop.top)), current, prefix]);
    expect(result.code, result.stderr).toBe(0);
    await copyFile(`${prefix}.png`, DOCS_IMAGE);
  });
});
