import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { inflateSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildStampAppearance, type StampAppearance, type StampAppearanceOptions } from '../../../src/pdf/appearance.js';
import { PdfDict, PdfName, PdfNewStream, PdfRef, type PdfObject } from '../../../src/pdf/objects.js';
import { serializeObject } from '../../../src/pdf/serialize.js';
import { makeSealPng, makeSignaturePng } from '../../fixtures/make-images.js';

const TTF_BYTES = readFileSync(createRequire(import.meta.url).resolve('@expo-google-fonts/be-vietnam-pro/400Regular/BeVietnamPro_400Regular.ttf')).length;
const MM = 72 / 25.4;

const LINES: StampAppearanceOptions['lines'] = [
  { text: 'KT. GIÁM ĐỐC', weight: 'semibold', position: 'header' },
  { text: 'PHÓ GIÁM ĐỐC', weight: 'semibold', position: 'header' },
  { text: 'Nguyễn Văn An', weight: 'semibold', size: 8 },
  { text: 'Ký bởi: Sở Nông nghiệp và Môi trường tỉnh Đồng Nai', align: 'left', size: 6 },
  { text: 'Thời gian ký: 2026-07-15T09:32:10+07:00', align: 'left', size: 6 },
];

function objectsByNumber(stamp: StampAppearance): Map<number, PdfObject> {
  return new Map(stamp.objects.map((o) => [o.ref.num, o.value ?? null]));
}

function deref(stamp: StampAppearance, value: PdfObject | undefined): PdfObject | undefined {
  return value instanceof PdfRef ? objectsByNumber(stamp).get(value.num) : value;
}

function dictOf(stamp: StampAppearance, value: PdfObject | undefined): PdfDict {
  const resolved = deref(stamp, value);
  if (resolved instanceof PdfNewStream) return resolved.dict;
  if (!(resolved instanceof PdfDict)) throw new Error('not a dictionary');
  return resolved;
}

function streamOf(stamp: StampAppearance, value: PdfObject | undefined): PdfNewStream {
  const resolved = deref(stamp, value);
  if (!(resolved instanceof PdfNewStream)) throw new Error('not a stream');
  return resolved;
}

function decoded(stream: PdfNewStream): Buffer {
  return stream.dict.getName('Filter') === 'FlateDecode' ? inflateSync(stream.data) : stream.data;
}

/** The Type 0 font behind a resource name, with its CIDFont, descriptor and font file. */
function fontParts(stamp: StampAppearance, resource: string): { font: PdfDict; fontFile: PdfNewStream; toUnicode: string } {
  const fonts = stamp.appearance.dict.get('Resources') as PdfDict;
  const font = dictOf(stamp, (fonts.get('Font') as PdfDict).get(resource));
  const descendants = font.get('DescendantFonts') as PdfObject[];
  const cidFont = dictOf(stamp, descendants[0]);
  const descriptor = dictOf(stamp, cidFont.get('FontDescriptor'));
  return { font, fontFile: streamOf(stamp, descriptor.get('FontFile2')), toUnicode: decoded(streamOf(stamp, font.get('ToUnicode'))).toString('latin1') };
}

/** The code points a /ToUnicode CMap maps to (bfchar and bfrange entries). */
function unicodeOf(cmap: string): Set<number> {
  const points = new Set<number>();
  for (const m of cmap.matchAll(/<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]{4,})>/g)) {
    const hex = m[2]!;
    const units = hex.match(/.{4}/g)!.map((u) => parseInt(u, 16));
    for (const cp of String.fromCharCode(...units)) points.add(cp.codePointAt(0)!);
  }
  return points;
}

let full: StampAppearance;

beforeAll(async () => {
  full = await buildStampAppearance({
    width: 98 * MM,
    height: 46 * MM,
    lines: LINES,
    signatureImage: makeSignaturePng(),
    sealImage: makeSealPng(),
    qrText: 'https://kiemtra.example.vn/ho-so/000.00.31.H56-260715-0012',
    firstObjectNumber: 500,
  });
});

describe('buildStampAppearance', () => {
  it('numbers its objects from firstObjectNumber, each once, and reports the next free number', () => {
    const numbers = full.objects.map((o) => o.ref.num).sort((a, b) => a - b);
    expect(numbers[0]).toBe(500);
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(numbers).toEqual(numbers.map((_, i) => 500 + i));
    expect(full.nextObjectNumber).toBe(500 + numbers.length);
  });

  it('refers only to its own objects', () => {
    const own = new Set(full.objects.map((o) => o.ref.num));
    const text = [full.appearance, ...full.objects.map((o) => o.value ?? null)].map((v) => (v instanceof PdfNewStream ? serializeObject(v.dict) : serializeObject(v))).join('\n');
    for (const m of text.matchAll(/(\d+) 0 R/g)) expect(own.has(Number(m[1]))).toBe(true);
  });

  it('is a form XObject with the box, matrix and resources of the stamp', () => {
    const dict = full.appearance.dict;
    expect(dict.getName('Type')).toBe('XObject');
    expect(dict.getName('Subtype')).toBe('Form');
    expect(dict.get('BBox')).toEqual([0, 0, 98 * MM, 46 * MM]);
    expect(dict.get('Matrix')).toEqual([1, 0, 0, 1, 0, 0]);
    const resources = dict.get('Resources') as PdfDict;
    expect([...(resources.get('Font') as PdfDict).entries.keys()].sort()).toEqual(['F1', 'F2']);
    expect([...(resources.get('XObject') as PdfDict).entries.keys()].sort()).toEqual(['Im1', 'Im2']);
  });

  it('embeds a subset of Be Vietnam Pro much smaller than the TTF, as a Type 0 font with /ToUnicode', () => {
    for (const resource of ['F1', 'F2']) {
      const { font, fontFile, toUnicode } = fontParts(full, resource);
      expect(font.getName('Subtype')).toBe('Type0');
      expect(font.getName('Encoding')).toBe('Identity-H');
      expect(font.getName('BaseFont')).toMatch(/^[A-Z]{6}\+BeVietnamPro-(Regular|SemiBold)$/);
      expect(decoded(fontFile).length).toBeLessThan(TTF_BYTES / 4);
      expect(toUnicode).toContain('begincmap');
    }
  });

  it('maps every Vietnamese letter it shows back to Unicode, so that text can be copied and searched', () => {
    const regular = unicodeOf(fontParts(full, 'F1').toUnicode);
    const semibold = unicodeOf(fontParts(full, 'F2').toUnicode);
    for (const ch of 'Ký bởiSởNôngnghiệpvàMôitrườngtỉnhĐồngNaiThờigianký') expect(regular.has(ch.codePointAt(0)!), ch).toBe(true);
    for (const ch of 'KT.GIÁMĐỐCPHÓNguyễnVănAn') expect(semibold.has(ch.codePointAt(0)!), ch).toBe(true);
  });

  it('normalises decomposed text to NFC before choosing glyphs', async () => {
    const nfc = await buildStampAppearance({ width: 200, height: 60, lines: [{ text: 'Nguyễn Văn An' }], firstObjectNumber: 1 });
    const nfd = await buildStampAppearance({ width: 200, height: 60, lines: [{ text: 'Nguyễn Văn An'.normalize('NFD') }], firstObjectNumber: 1 });
    expect(decoded(nfd.appearance)).toEqual(decoded(nfc.appearance));
    expect(unicodeOf(fontParts(nfd, 'F1').toUnicode).has(0x1ec5)).toBe(true);
  });

  it('embeds PNG transparency as an /SMask', () => {
    const xobjects = (full.appearance.dict.get('Resources') as PdfDict).get('XObject') as PdfDict;
    for (const resource of ['Im1', 'Im2']) {
      const image = dictOf(full, xobjects.get(resource));
      expect(image.getName('Subtype')).toBe('Image');
      expect(dictOf(full, image.get('SMask')).getName('ColorSpace')).toBe('DeviceGray');
    }
  });

  it('draws the seal after the signature, over its left third', () => {
    const content = decoded(full.appearance).toString('latin1');
    const placed = (resource: string): number[] => {
      const m = new RegExp(`q ([\\d.]+) 0 0 ([\\d.]+) ([\\d.]+) ([\\d.]+) cm /${resource} Do Q`).exec(content);
      if (!m) throw new Error(`${resource} not drawn`);
      return m.slice(1).map(Number);
    };
    const [sigWidth, , sigX] = placed('Im1') as [number, number, number, number];
    const [sealWidth, , sealX] = placed('Im2') as [number, number, number, number];
    expect(content.indexOf('/Im2 Do')).toBeGreaterThan(content.indexOf('/Im1 Do'));
    expect(sealX + sealWidth).toBeCloseTo(sigX + sigWidth / 3, 1);
    expect(sealX).toBeLessThan(sigX);
  });

  it('draws the QR code as filled rectangles, with no image', async () => {
    const onlyQr = await buildStampAppearance({ width: 200, height: 80, lines: [], qrText: 'https://kiemtra.example.vn/x', firstObjectNumber: 1 });
    const content = decoded(onlyQr.appearance).toString('latin1');
    expect(content.match(/ re\n/g)?.length).toBeGreaterThan(50);
    expect(onlyQr.objects).toEqual([]);
    expect(onlyQr.appearance.dict.get('Resources')).toBeInstanceOf(PdfDict);
  });

  it('shrinks a line that is wider than the box so that it fits', async () => {
    const long = 'Ký bởi: Sở Nông nghiệp và Môi trường tỉnh Đồng Nai, Văn phòng Đăng ký đất đai, Chi nhánh Biên Hòa';
    const stamp = await buildStampAppearance({ width: 120, height: 40, lines: [{ text: long, size: 9 }], firstObjectNumber: 1 });
    const size = Number(/\/F1 ([\d.]+) Tf/.exec(decoded(stamp.appearance).toString('latin1'))![1]);
    expect(size).toBeLessThan(9);
    expect(size).toBeGreaterThan(2);
  });

  it('refuses an image that is not a PNG', async () => {
    await expect(buildStampAppearance({ width: 200, height: 80, lines: [], sealImage: Buffer.from('GIF89a'), firstObjectNumber: 1 })).rejects.toMatchObject({ code: 'USAGE_INVALID' });
  });

  it('refuses a PNG with more pixels than a stamp needs, before decoding it', async () => {
    const header = Buffer.from(makeSealPng());
    header.writeUInt32BE(50_000, 16);
    header.writeUInt32BE(50_000, 20);
    await expect(buildStampAppearance({ width: 200, height: 80, lines: [], signatureImage: header, firstObjectNumber: 1 })).rejects.toMatchObject({ code: 'USAGE_INVALID' });
  });

  it('uses the matrix it is given', async () => {
    const stamp = await buildStampAppearance({ width: 100, height: 50, lines: [{ text: 'x' }], matrix: [0, 0.5, -0.5, 0, 25, 0], firstObjectNumber: 1 });
    expect(stamp.appearance.dict.get('Matrix')).toEqual([0, 0.5, -0.5, 0, 25, 0]);
    expect(stamp.appearance.dict.get('Type')).toEqual(new PdfName('XObject'));
  });
});
