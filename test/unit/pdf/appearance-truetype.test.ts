import fontkit from '@pdf-lib/fontkit';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { TrueTypeFont } from '../../../src/pdf/appearance-truetype.js';

const require = createRequire(import.meta.url);
const REGULAR = readFileSync(require.resolve('@expo-google-fonts/be-vietnam-pro/400Regular/BeVietnamPro_400Regular.ttf'));
const SEMIBOLD = readFileSync(require.resolve('@expo-google-fonts/be-vietnam-pro/600SemiBold/BeVietnamPro_600SemiBold.ttf'));

/** The sum of a font's big-endian 32-bit words, as OpenType checksums are computed. */
function checksum(data: Buffer): number {
  const padded = Buffer.concat([data, Buffer.alloc((4 - (data.length % 4)) % 4)]);
  let sum = 0;
  for (let at = 0; at < padded.length; at += 4) sum = (sum + padded.readUInt32BE(at)) >>> 0;
  return sum;
}

function tableDirectory(font: Buffer): Map<string, { checkSum: number; data: Buffer }> {
  const tables = new Map<string, { checkSum: number; data: Buffer }>();
  for (let i = 0; i < font.readUInt16BE(4); i++) {
    const at = 12 + 16 * i;
    const offset = font.readUInt32BE(at + 8);
    tables.set(font.toString('latin1', at, at + 4), { checkSum: font.readUInt32BE(at + 4), data: font.subarray(offset, offset + font.readUInt32BE(at + 12)) });
  }
  return tables;
}

/** A simple glyph: one closed triangle with the given corner points. */
function triangle(points: Array<[number, number]>): Buffer {
  const g = Buffer.alloc(10 + 2 + 2 + 3 + 12);
  g.writeInt16BE(1, 0);
  g.writeInt16BE(Math.min(...points.map((p) => p[0])), 2);
  g.writeInt16BE(Math.min(...points.map((p) => p[1])), 4);
  g.writeInt16BE(Math.max(...points.map((p) => p[0])), 6);
  g.writeInt16BE(Math.max(...points.map((p) => p[1])), 8);
  g.writeUInt16BE(2, 10);
  g.writeUInt16BE(0, 12);
  g.fill(0x01, 14, 17);
  let [x, y] = [0, 0];
  points.forEach(([px, py], i) => {
    g.writeInt16BE(px - x, 17 + 2 * i);
    g.writeInt16BE(py - y, 23 + 2 * i);
    [x, y] = [px, py];
  });
  return g;
}

/** A composite glyph of `parts` (glyph id, x and y offset), the last with a scale. */
function composite(parts: Array<[number, number, number]>): Buffer {
  const chunks = parts.map(([gid, dx, dy], i) => {
    const isLast = i === parts.length - 1;
    const c = Buffer.alloc(isLast ? 10 : 8);
    c.writeUInt16BE(0x0001 | 0x0002 | (isLast ? 0x0008 : 0x0020), 0);
    c.writeUInt16BE(gid, 2);
    c.writeInt16BE(dx, 4);
    c.writeInt16BE(dy, 6);
    if (isLast) c.writeInt16BE(0x2000, 8);
    return c;
  });
  const header = Buffer.alloc(10);
  header.writeInt16BE(-1, 0);
  header.writeInt16BE(0, 2);
  header.writeInt16BE(0, 4);
  header.writeInt16BE(900, 6);
  header.writeInt16BE(900, 8);
  return Buffer.concat([header, ...chunks]);
}

/** A small TrueType font: A and B simple, C built of A and B, D built of C (nested composite). */
function makeCompositeFont(): Buffer {
  const glyphs = [Buffer.alloc(0), triangle([[0, 0], [400, 0], [200, 600]]), triangle([[0, 0], [300, 300], [0, 300]]), composite([[1, 0, 0], [2, 450, 100]]), composite([[3, 50, 0]])];
  const glyf = Buffer.concat(glyphs.map((g) => Buffer.concat([g, Buffer.alloc((4 - (g.length % 4)) % 4)])));
  const loca = Buffer.alloc(4 * (glyphs.length + 1));
  let offset = 0;
  glyphs.forEach((g, i) => {
    loca.writeUInt32BE(offset, 4 * i);
    offset += g.length + ((4 - (g.length % 4)) % 4);
  });
  loca.writeUInt32BE(offset, 4 * glyphs.length);
  const hmtx = Buffer.alloc(4 * glyphs.length);
  glyphs.forEach((_, i) => hmtx.writeUInt16BE(500 + 100 * i, 4 * i));
  const head = Buffer.alloc(54);
  head.writeUInt32BE(0x00010000, 0);
  head.writeUInt32BE(0x5f0f3cf5, 12);
  head.writeUInt16BE(1000, 18);
  head.writeInt16BE(900, 40);
  head.writeInt16BE(900, 42);
  head.writeInt16BE(1, 50);
  const hhea = Buffer.alloc(36);
  hhea.writeUInt32BE(0x00010000, 0);
  hhea.writeInt16BE(800, 4);
  hhea.writeInt16BE(-200, 6);
  hhea.writeUInt16BE(glyphs.length, 34);
  const maxp = Buffer.alloc(32);
  maxp.writeUInt32BE(0x00010000, 0);
  maxp.writeUInt16BE(glyphs.length, 4);
  // cmap format 4: A..D → 1..4, then the final 0xFFFF segment.
  const cmap = Buffer.alloc(4 + 8 + 14 + 4 * 8 + 2);
  cmap.writeUInt16BE(1, 2);
  cmap.writeUInt16BE(3, 4);
  cmap.writeUInt16BE(1, 6);
  cmap.writeUInt32BE(12, 8);
  const sub = cmap.subarray(12);
  sub.writeUInt16BE(4, 0);
  sub.writeUInt16BE(sub.length, 2);
  sub.writeUInt16BE(4, 6);
  sub.writeUInt16BE(0x44, 14);
  sub.writeUInt16BE(0xffff, 16);
  sub.writeUInt16BE(0x41, 20);
  sub.writeUInt16BE(0xffff, 22);
  sub.writeUInt16BE((1 - 0x41) & 0xffff, 24);
  sub.writeUInt16BE(1, 26);
  const tables: Array<[string, Buffer]> = [
    ['cmap', cmap],
    ['glyf', glyf],
    ['head', head],
    ['hhea', hhea],
    ['hmtx', hmtx],
    ['loca', loca],
    ['maxp', maxp],
  ];
  const directory = Buffer.alloc(12 + 16 * tables.length);
  directory.writeUInt32BE(0x00010000, 0);
  directory.writeUInt16BE(tables.length, 4);
  let at = directory.length;
  tables.forEach(([tag, data], i) => {
    directory.write(tag, 12 + 16 * i, 'latin1');
    directory.writeUInt32BE(at, 12 + 16 * i + 8);
    directory.writeUInt32BE(data.length, 12 + 16 * i + 12);
    at += data.length + ((4 - (data.length % 4)) % 4);
  });
  return Buffer.concat([directory, ...tables.map(([, data]) => Buffer.concat([data, Buffer.alloc((4 - (data.length % 4)) % 4)]))]);
}

describe('TrueTypeFont', () => {
  it('maps every character of Be Vietnam Pro to the glyph and advance width that fontkit reads', () => {
    for (const bytes of [REGULAR, SEMIBOLD]) {
      const ours = new TrueTypeFont(bytes);
      const reference = fontkit.create(bytes);
      expect(reference.characterSet.length).toBeGreaterThan(400);
      for (const codePoint of reference.characterSet) {
        const glyph = reference.glyphForCodePoint(codePoint);
        expect(ours.glyphFor(codePoint), `U+${codePoint.toString(16)}`).toBe(glyph.id);
        expect(ours.advanceOf(glyph.id)).toBe(glyph.advanceWidth);
      }
      expect(ours.metrics.unitsPerEm).toBe(reference.unitsPerEm);
      expect(ours.metrics.ascent).toBe(reference.ascent);
      expect(ours.metrics.descent).toBe(reference.descent);
      expect(ours.metrics.capHeight).toBe(reference.capHeight);
      expect(ours.metrics.bbox).toEqual([reference.bbox.minX, reference.bbox.minY, reference.bbox.maxX, reference.bbox.maxY]);
    }
  });

  it('maps a character the font lacks to .notdef', () => {
    expect(new TrueTypeFont(REGULAR).glyphFor(0x2116)).toBe(0);
  });

  it('writes a subset whose glyph n is the n-th glyph asked for, with the same outline and advance width', () => {
    const ours = new TrueTypeFont(REGULAR);
    const reference = fontkit.create(REGULAR);
    const glyphs = [0, ...Array.from('Nguyễn Văn An, Sở Đồng Nai', (ch) => ours.glyphFor(ch.codePointAt(0)!))];
    const subset = fontkit.create(ours.subset(glyphs));
    expect(subset.numGlyphs).toBe(glyphs.length);
    glyphs.forEach((gid, n) => {
      expect(subset.getGlyph(n).path.toSVG()).toBe(reference.getGlyph(gid).path.toSVG());
      expect(subset.getGlyph(n).advanceWidth).toBe(reference.getGlyph(gid).advanceWidth);
    });
  });

  it('is a small fraction of the font for a stamp’s characters', () => {
    const ours = new TrueTypeFont(REGULAR);
    const glyphs = [0, ...new Set(Array.from('Ký bởi: Sở Nông nghiệp và Môi trường tỉnh Đồng Nai', (ch) => ours.glyphFor(ch.codePointAt(0)!)))];
    expect(ours.subset(glyphs).length).toBeLessThan(REGULAR.length / 8);
  });

  it('keeps only the tables a FontFile2 needs, with right checksums and checkSumAdjustment', () => {
    const ours = new TrueTypeFont(REGULAR);
    const subset = ours.subset([0, ours.glyphFor(0x1ec5)]);
    const tables = tableDirectory(subset);
    expect([...tables.keys()]).toEqual(['cvt ', 'fpgm', 'glyf', 'head', 'hhea', 'hmtx', 'loca', 'maxp', 'prep']);
    for (const [tag, { checkSum, data }] of tables) {
      const content = tag === 'head' ? Buffer.concat([data.subarray(0, 8), Buffer.alloc(4), data.subarray(12)]) : data;
      expect(checkSum, tag).toBe(checksum(content));
    }
    expect(checksum(subset)).toBe(0xb1b0afba);
  });

  it('appends the components of composite glyphs, nested ones too, and renumbers them', () => {
    const bytes = makeCompositeFont();
    const ours = new TrueTypeFont(bytes);
    const reference = fontkit.create(bytes);
    const d = ours.glyphFor(0x44);
    expect(d).toBe(4);
    const subset = fontkit.create(ours.subset([0, d]));
    // D, then its component C, then C's components A and B.
    expect(subset.numGlyphs).toBe(5);
    expect(subset.getGlyph(1).path.toSVG()).toBe(reference.getGlyph(4).path.toSVG());
    expect(subset.getGlyph(2).path.toSVG()).toBe(reference.getGlyph(3).path.toSVG());
    expect(subset.getGlyph(1).advanceWidth).toBe(900);
  });

  it('reuses a component that was asked for as a glyph of its own', () => {
    const ours = new TrueTypeFont(makeCompositeFont());
    const subset = fontkit.create(ours.subset([0, 1, 2, 3]));
    expect(subset.numGlyphs).toBe(4);
  });

  it('refuses a font that is not TrueType', () => {
    expect(() => new TrueTypeFont(Buffer.from('OTTO\0\0\0\0\0\0\0\0'))).toThrow(expect.objectContaining({ code: 'INTERNAL_ERROR' }));
  });
});
