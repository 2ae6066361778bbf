import fontkit from '@pdf-lib/fontkit';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { StampFont } from '../../../src/pdf/appearance-font.js';
import { PdfDict, PdfNewStream, PdfRef, type PdfObject } from '../../../src/pdf/objects.js';

const REGULAR = readFileSync(createRequire(import.meta.url).resolve('@expo-google-fonts/be-vietnam-pro/400Regular/BeVietnamPro_400Regular.ttf'));

function built(font: StampFont): { type0: PdfDict; cidFont: PdfDict; descriptor: PdfDict; fontFile: PdfNewStream; toUnicode: string; count: number } {
  let next = 10;
  const { ref, objects } = font.toObjects(() => new PdfRef(next++, 0));
  const byNumber = new Map<number, PdfObject | undefined>(objects.map((o) => [o.ref.num, o.value]));
  const at = (value: PdfObject | undefined): PdfObject | undefined => (value instanceof PdfRef ? byNumber.get(value.num) : value);
  const type0 = at(ref) as PdfDict;
  const cidFont = at((type0.get('DescendantFonts') as PdfObject[])[0]) as PdfDict;
  const descriptor = at(cidFont.get('FontDescriptor')) as PdfDict;
  const fontFile = at(descriptor.get('FontFile2')) as PdfNewStream;
  const toUnicode = inflateSync((at(type0.get('ToUnicode')) as PdfNewStream).data).toString('latin1');
  return { type0, cidFont, descriptor, fontFile, toUnicode, count: objects.length };
}

/** CID → Unicode text from a /ToUnicode CMap's bfchar entries. */
function toUnicodeMap(cmap: string): Map<number, string> {
  const map = new Map<number, string>();
  for (const m of cmap.slice(cmap.indexOf('beginbfchar')).matchAll(/<([0-9A-F]{4})> <([0-9A-F]+)>/g)) {
    map.set(parseInt(m[1]!, 16), Buffer.from(m[2]!, 'hex').swap16().toString('utf16le'));
  }
  return map;
}

function cidsOf(hex: string): number[] {
  return hex
    .slice(1, -1)
    .match(/.{4}/g)!
    .map((h) => parseInt(h, 16));
}

describe('StampFont', () => {
  it('gives each distinct character a CID of its own that /ToUnicode maps back to it', async () => {
    const text = 'Ký bởi: Sở Nông nghiệp và Môi trường tỉnh Đồng Nai';
    const font = await StampFont.for('regular', [text]);
    const map = toUnicodeMap(built(font).toUnicode);
    expect(cidsOf(font.encode(text)).map((cid) => map.get(cid)).join('')).toBe(text);
    expect(map.size).toBe(new Set(text).size);
  });

  it('never draws a ligature: every letter of "office" keeps its own CID', async () => {
    const font = await StampFont.for('regular', ['office']);
    expect(cidsOf(font.encode('office'))).toHaveLength(6);
  });

  it('draws a character the font lacks with the .notdef outline and still copies it out', async () => {
    const font = await StampFont.for('regular', ['№ 5 𝒜']);
    const parts = built(font);
    const map = toUnicodeMap(parts.toUnicode);
    expect(cidsOf(font.encode('№ 5 𝒜')).map((cid) => map.get(cid)).join('')).toBe('№ 5 𝒜');
    expect(parts.toUnicode).toContain('<D835DC9C>');
    const program = fontkit.create(inflateSync(parts.fontFile.data));
    const reference = fontkit.create(REGULAR);
    const cidOfNumero = cidsOf(font.encode('№'))[0]!;
    expect(program.getGlyph(cidOfNumero).path.toSVG()).toBe(reference.getGlyph(0).path.toSVG());
  });

  it('measures text with the advance widths fontkit reads, and writes them in /W by CID', async () => {
    const text = 'Nguyễn Văn An';
    const font = await StampFont.for('regular', [text]);
    const reference = fontkit.create(REGULAR);
    const expected = Array.from(text).reduce((sum, ch) => sum + reference.glyphForCodePoint(ch.codePointAt(0)!).advanceWidth, 0);
    expect(font.widthOf(text, 10)).toBeCloseTo((expected * 10) / reference.unitsPerEm, 6);
    const [first, widths] = built(font).cidFont.get('W') as [number, number[]];
    expect(first).toBe(0);
    const chars = Array.from(text);
    cidsOf(font.encode(text)).forEach((cid, i) => {
      expect(widths[cid]).toBe((reference.glyphForCodePoint(chars[i]!.codePointAt(0)!).advanceWidth * 1000) / reference.unitsPerEm);
    });
  });

  it('is a Type 0 font over a CIDFontType2 with a subset tag, Identity-H, a FontFile2 with /Length1 and five objects', async () => {
    const font = await StampFont.for('semibold', ['KT. GIÁM ĐỐC']);
    const parts = built(font);
    expect(parts.count).toBe(5);
    expect(parts.type0.getName('Subtype')).toBe('Type0');
    expect(parts.type0.getName('Encoding')).toBe('Identity-H');
    expect(parts.type0.getName('BaseFont')).toMatch(/^[A-Z]{6}\+BeVietnamPro-SemiBold$/);
    expect(parts.cidFont.getName('Subtype')).toBe('CIDFontType2');
    expect(parts.cidFont.getName('CIDToGIDMap')).toBe('Identity');
    expect(parts.descriptor.getName('FontName')).toBe(parts.type0.getName('BaseFont'));
    expect(parts.fontFile.dict.get('Length1')).toBe(inflateSync(parts.fontFile.data).length);
  });

  it('names the same texts with the same subset tag, and other texts with another', async () => {
    const tag = async (texts: string[]): Promise<string | undefined> => built(await StampFont.for('regular', texts)).type0.getName('BaseFont');
    expect(await tag(['Nguyễn Văn An'])).toBe(await tag(['Nguyễn Văn An']));
    expect(await tag(['Nguyễn Văn An'])).not.toBe(await tag(['Trần Thị Bình']));
  });
});
