// Reads what a PDF needs from a TrueType font (OpenType spec: table directory, cmap formats 4 and
// 12, head, hhea, hmtx, maxp, loca, glyf, OS/2, post) and writes a subset font program holding
// only the glyphs asked for, renumbered from 0 — the tables ISO 32000-2 §9.9 asks of a FontFile2.

import { MapsignError } from '../errors.js';

/** Font-wide metrics in font units, for the PDF font descriptor (§9.8). */
export interface TrueTypeMetrics {
  unitsPerEm: number;
  /** xMin, yMin, xMax, yMax of all glyphs. */
  bbox: [number, number, number, number];
  ascent: number;
  descent: number;
  capHeight: number;
  xHeight: number;
  italicAngle: number;
  isFixedPitch: boolean;
  isItalic: boolean;
  /** OS/2 sFamilyClass, class in the high byte. */
  familyClass: number;
}

/** Tables a FontFile2 needs (§9.9, Table 125): the outlines, their metrics and the hinting programs. */
const SUBSET_TABLES = ['cvt ', 'fpgm', 'glyf', 'head', 'hhea', 'hmtx', 'loca', 'maxp', 'prep'] as const;

// Composite glyph flags (OpenType 'glyf' table).
const ARG_1_AND_2_ARE_WORDS = 0x0001;
const WE_HAVE_A_SCALE = 0x0008;
const MORE_COMPONENTS = 0x0020;
const WE_HAVE_AN_X_AND_Y_SCALE = 0x0040;
const WE_HAVE_A_TWO_BY_TWO = 0x0080;

function malformed(message: string): never {
  throw new MapsignError('INTERNAL_ERROR', `stamp font: ${message}`);
}

/** A TrueType font read once; glyph lookups and subsets need no further parsing. */
export class TrueTypeFont {
  readonly metrics: TrueTypeMetrics;
  readonly numGlyphs: number;
  private readonly tables = new Map<string, Buffer>();
  private readonly cmap = new Map<number, number>();
  private readonly advances: Uint16Array;
  private readonly leftBearings: Int16Array;
  private readonly glyphOffsets: Uint32Array;

  constructor(private readonly bytes: Buffer) {
    const version = bytes.length >= 12 ? bytes.readUInt32BE(0) : 0;
    if (version !== 0x00010000 && version !== 0x74727565) malformed('not a TrueType font with glyf outlines');
    const count = bytes.readUInt16BE(4);
    for (let i = 0; i < count; i++) {
      const at = 12 + 16 * i;
      const offset = bytes.readUInt32BE(at + 8);
      const length = bytes.readUInt32BE(at + 12);
      if (offset + length > bytes.length) malformed('table out of the file');
      this.tables.set(bytes.toString('latin1', at, at + 4), bytes.subarray(offset, offset + length));
    }
    const head = this.table('head');
    const hhea = this.table('hhea');
    this.numGlyphs = this.table('maxp').readUInt16BE(4);

    const hmtx = this.table('hmtx');
    const longMetrics = hhea.readUInt16BE(34);
    this.advances = new Uint16Array(this.numGlyphs);
    this.leftBearings = new Int16Array(this.numGlyphs);
    for (let gid = 0; gid < this.numGlyphs; gid++) {
      const isLong = gid < longMetrics;
      this.advances[gid] = isLong ? hmtx.readUInt16BE(4 * gid) : this.advances[longMetrics - 1]!;
      this.leftBearings[gid] = isLong ? hmtx.readInt16BE(4 * gid + 2) : hmtx.readInt16BE(4 * longMetrics + 2 * (gid - longMetrics));
    }

    const loca = this.table('loca');
    const isLongLoca = head.readInt16BE(50) === 1;
    this.glyphOffsets = new Uint32Array(this.numGlyphs + 1);
    for (let gid = 0; gid <= this.numGlyphs; gid++) this.glyphOffsets[gid] = isLongLoca ? loca.readUInt32BE(4 * gid) : 2 * loca.readUInt16BE(2 * gid);
    if (this.glyphOffsets[this.numGlyphs]! > this.table('glyf').length) malformed('loca points past glyf');

    this.readCmap();
    const os2 = this.tables.get('OS/2');
    const post = this.tables.get('post');
    const ascent = hhea.readInt16BE(4);
    this.metrics = {
      unitsPerEm: head.readUInt16BE(18),
      bbox: [head.readInt16BE(36), head.readInt16BE(38), head.readInt16BE(40), head.readInt16BE(42)],
      ascent,
      descent: hhea.readInt16BE(6),
      capHeight: (os2 && os2.readUInt16BE(0) >= 2 ? os2.readInt16BE(88) : 0) || ascent,
      xHeight: os2 && os2.readUInt16BE(0) >= 2 ? os2.readInt16BE(86) : 0,
      italicAngle: post ? post.readInt32BE(4) / 65536 : 0,
      isFixedPitch: post ? post.readUInt32BE(12) !== 0 : false,
      isItalic: (head.readUInt16BE(44) & 0x02) !== 0,
      familyClass: os2 ? os2.readInt16BE(30) : 0,
    };
  }

  private table(tag: string): Buffer {
    return this.tables.get(tag) ?? malformed(`no '${tag}' table`);
  }

  /** The Unicode cmap: format 12 (3,10) when present, else format 4 (3,1 or 0,*). */
  private readCmap(): void {
    const cmap = this.table('cmap');
    let best: { offset: number; rank: number } | undefined;
    for (let i = 0; i < cmap.readUInt16BE(2); i++) {
      const at = 4 + 8 * i;
      const platform = cmap.readUInt16BE(at);
      const encoding = cmap.readUInt16BE(at + 2);
      const offset = cmap.readUInt32BE(at + 4);
      const format = cmap.readUInt16BE(offset);
      const rank = format === 12 && (platform === 3 || platform === 0) ? 2 : format === 4 && ((platform === 3 && encoding === 1) || platform === 0) ? 1 : 0;
      if (rank > (best?.rank ?? 0)) best = { offset, rank };
    }
    if (!best) malformed('no Unicode cmap');
    const t = cmap.subarray(best.offset);
    if (best.rank === 2) {
      for (let g = 0; g < t.readUInt32BE(12); g++) {
        const at = 16 + 12 * g;
        const [start, end, first] = [t.readUInt32BE(at), t.readUInt32BE(at + 4), t.readUInt32BE(at + 8)];
        for (let cp = start; cp <= end; cp++) this.cmap.set(cp, first + cp - start);
      }
      return;
    }
    const segments = t.readUInt16BE(6) / 2;
    const ends = 14;
    const starts = ends + 2 * segments + 2;
    const deltas = starts + 2 * segments;
    const rangeOffsets = deltas + 2 * segments;
    for (let s = 0; s < segments; s++) {
      const [start, end] = [t.readUInt16BE(starts + 2 * s), t.readUInt16BE(ends + 2 * s)];
      const delta = t.readUInt16BE(deltas + 2 * s);
      const rangeOffset = t.readUInt16BE(rangeOffsets + 2 * s);
      for (let cp = start; cp <= end && cp !== 0xffff; cp++) {
        let gid: number;
        if (rangeOffset === 0) gid = (cp + delta) & 0xffff;
        else {
          const raw = t.readUInt16BE(rangeOffsets + 2 * s + rangeOffset + 2 * (cp - start));
          gid = raw === 0 ? 0 : (raw + delta) & 0xffff;
        }
        if (gid !== 0) this.cmap.set(cp, gid);
      }
    }
  }

  /** The glyph of a code point, 0 (.notdef) when the font has none. */
  glyphFor(codePoint: number): number {
    return this.cmap.get(codePoint) ?? 0;
  }

  /** Advance width in font units. */
  advanceOf(gid: number): number {
    return this.advances[gid] ?? 0;
  }

  private glyphData(gid: number): Buffer {
    return this.table('glyf').subarray(this.glyphOffsets[gid], this.glyphOffsets[gid + 1]);
  }

  /** Where the component glyph ids of a composite glyph lie (empty for a simple glyph). */
  private componentsOf(data: Buffer): Array<{ at: number; gid: number }> {
    if (data.length < 10 || data.readInt16BE(0) >= 0) return [];
    const components: Array<{ at: number; gid: number }> = [];
    let at = 10;
    for (;;) {
      const flags = data.readUInt16BE(at);
      components.push({ at: at + 2, gid: data.readUInt16BE(at + 2) });
      at += 4 + (flags & ARG_1_AND_2_ARE_WORDS ? 4 : 2);
      if (flags & WE_HAVE_A_SCALE) at += 2;
      else if (flags & WE_HAVE_AN_X_AND_Y_SCALE) at += 4;
      else if (flags & WE_HAVE_A_TWO_BY_TWO) at += 8;
      if (!(flags & MORE_COMPONENTS)) return components;
    }
  }

  /**
   * A font program whose glyph n is `glyphs[n]` of this font (`glyphs[0]` should be 0, .notdef; a
   * glyph may appear twice). Components of composite glyphs are appended and renumbered.
   */
  subset(glyphs: readonly number[]): Buffer {
    const order = [...glyphs];
    const added = new Map<number, number>();
    const outlines: Buffer[] = [];
    for (let n = 0; n < order.length; n++) {
      const gid = order[n]!;
      if (gid >= this.numGlyphs) malformed(`glyph ${gid} out of range`);
      let data = this.glyphData(gid);
      const components = this.componentsOf(data);
      if (components.length > 0) {
        data = Buffer.from(data);
        for (const { at, gid: component } of components) {
          let target = order.indexOf(component);
          if (target < 0) target = added.get(component) ?? -1;
          if (target < 0) {
            target = order.push(component) - 1;
            added.set(component, target);
          }
          data.writeUInt16BE(target, at);
        }
      }
      outlines.push(data);
    }

    const padded = outlines.map((o) => (o.length % 4 === 0 ? o : Buffer.concat([o, Buffer.alloc(4 - (o.length % 4))])));
    const loca = Buffer.alloc(4 * (order.length + 1));
    let offset = 0;
    padded.forEach((o, n) => {
      loca.writeUInt32BE(offset, 4 * n);
      offset += o.length;
    });
    loca.writeUInt32BE(offset, 4 * order.length);
    const hmtx = Buffer.alloc(4 * order.length);
    order.forEach((gid, n) => {
      hmtx.writeUInt16BE(this.advances[gid]!, 4 * n);
      hmtx.writeInt16BE(this.leftBearings[gid]!, 4 * n + 2);
    });
    const head = Buffer.from(this.table('head'));
    head.writeUInt32BE(0, 8);
    head.writeInt16BE(1, 50);
    const hhea = Buffer.from(this.table('hhea'));
    hhea.writeUInt16BE(order.length, 34);
    const maxp = Buffer.from(this.table('maxp'));
    maxp.writeUInt16BE(order.length, 4);
    const built: Record<string, Buffer> = { glyf: Buffer.concat(padded), loca, hmtx, head, hhea, maxp };
    const present = SUBSET_TABLES.filter((tag) => built[tag] ?? this.tables.has(tag));
    return writeSfnt(present.map((tag) => [tag, built[tag] ?? this.table(tag)]));
  }
}

function checksum(data: Buffer): number {
  let sum = 0;
  for (let at = 0; at < data.length; at += 4) {
    sum = (sum + (data.length - at >= 4 ? data.readUInt32BE(at) : Buffer.concat([data.subarray(at), Buffer.alloc(4)]).readUInt32BE(0))) >>> 0;
  }
  return sum;
}

/** Writes an sfnt with `tables` in tag order, each 4-byte aligned, and head's checkSumAdjustment. */
function writeSfnt(tables: Array<[string, Buffer]>): Buffer {
  const count = tables.length;
  const power = 2 ** Math.floor(Math.log2(count));
  const header = Buffer.alloc(12 + 16 * count);
  header.writeUInt32BE(0x00010000, 0);
  header.writeUInt16BE(count, 4);
  header.writeUInt16BE(power * 16, 6);
  header.writeUInt16BE(Math.log2(power), 8);
  header.writeUInt16BE(count * 16 - power * 16, 10);
  const parts: Buffer[] = [header];
  let offset = header.length;
  let headAt = -1;
  tables.forEach(([tag, data], i) => {
    const at = 12 + 16 * i;
    header.write(tag, at, 'latin1');
    header.writeUInt32BE(checksum(data), at + 4);
    header.writeUInt32BE(offset, at + 8);
    header.writeUInt32BE(data.length, at + 12);
    if (tag === 'head') headAt = offset;
    const padding = (4 - (data.length % 4)) % 4;
    parts.push(data, Buffer.alloc(padding));
    offset += data.length + padding;
  });
  const font = Buffer.concat(parts);
  if (headAt >= 0) font.writeUInt32BE((0xb1b0afba - checksum(font)) >>> 0, headAt + 8);
  return font;
}
