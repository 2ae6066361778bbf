// The stamp's fonts: Be Vietnam Pro embedded as a Type 0 font over a CIDFontType2 (ISO 32000-2
// §9.7.4, §9.7.6.2 Identity-H), subsetted to the characters of the stamp (§9.9.2), with a
// /ToUnicode CMap (§9.10.3) so that the text copies out exactly. One CID per distinct character,
// glyphs looked up in the font's cmap: no shaping, so no ligature ever hides a letter from copy.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { deflateSync } from 'node:zlib';
import type { IncrementObject } from './incremental-writer.js';
import { PdfNewStream, PdfRef, PdfString, dict, name, type PdfDict } from './objects.js';
import { TrueTypeFont } from './appearance-truetype.js';

export type StampFontWeight = 'regular' | 'semibold';

const FONT_FILES: Record<StampFontWeight, { file: string; postscriptName: string }> = {
  regular: { file: '@expo-google-fonts/be-vietnam-pro/400Regular/BeVietnamPro_400Regular.ttf', postscriptName: 'BeVietnamPro-Regular' },
  semibold: { file: '@expo-google-fonts/be-vietnam-pro/600SemiBold/BeVietnamPro_600SemiBold.ttf', postscriptName: 'BeVietnamPro-SemiBold' },
};

const requireFromHere = createRequire(import.meta.url);
/** Each weight is read and parsed once per process (a few milliseconds, 130 KB). */
const fonts = new Map<StampFontWeight, Promise<TrueTypeFont>>();

function loadFont(weight: StampFontWeight): Promise<TrueTypeFont> {
  let font = fonts.get(weight);
  if (!font) {
    font = readFile(requireFromHere.resolve(FONT_FILES[weight].file)).then((bytes) => new TrueTypeFont(bytes));
    fonts.set(weight, font);
    font.catch(() => fonts.delete(weight));
  }
  return font;
}

/** A subset font's name is prefixed with six capital letters that identify the subset (§9.9.2). */
function subsetTag(texts: readonly string[]): string {
  const digest = createHash('sha256').update(texts.join('\n')).digest();
  return Array.from(digest.subarray(0, 6), (b) => String.fromCharCode(65 + (b % 26))).join('');
}

function hex4(value: number): string {
  return value.toString(16).padStart(4, '0').toUpperCase();
}

/** UTF-16BE in hex, as a /ToUnicode destination. */
function utf16Hex(codePoint: number): string {
  const units = String.fromCodePoint(codePoint);
  let hex = '';
  for (let i = 0; i < units.length; i++) hex += hex4(units.charCodeAt(i));
  return hex;
}

function toUnicodeCMap(codePoints: readonly number[]): string {
  const entries = codePoints.map((cp, i) => `<${hex4(i + 1)}> <${utf16Hex(cp)}>`);
  const blocks: string[] = [];
  // At most 100 entries per beginbfchar block (§9.10.3, Adobe TN 5411).
  for (let i = 0; i < entries.length; i += 100) {
    const block = entries.slice(i, i + 100);
    blocks.push(`${block.length} beginbfchar\n${block.join('\n')}\nendbfchar`);
  }
  return [
    '/CIDInit /ProcSet findresource begin',
    '12 dict begin',
    'begincmap',
    '/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def',
    '/CMapName /Adobe-Identity-UCS def',
    '/CMapType 2 def',
    '1 begincodespacerange',
    '<0000> <FFFF>',
    'endcodespacerange',
    ...blocks,
    'endcmap',
    'CMapName currentdict /CMap defineresource pop',
    'end',
    'end',
    '',
  ].join('\n');
}

/**
 * One weight of the stamp font, subsetted to the given texts. CID 0 is .notdef; CID n ≥ 1 is the
 * n-th distinct code point of the texts in code point order, drawn with its glyph (or .notdef's
 * box when the font has none — the character still copies out through /ToUnicode).
 */
export class StampFont {
  private readonly cids = new Map<number, number>();

  private constructor(
    private readonly font: TrueTypeFont,
    private readonly weight: StampFontWeight,
    private readonly texts: readonly string[],
  ) {
    const codePoints = [...new Set(texts.flatMap((text) => Array.from(text, (ch) => ch.codePointAt(0)!)))].sort((a, b) => a - b);
    codePoints.forEach((cp, i) => this.cids.set(cp, i + 1));
  }

  /** The font of `weight` for exactly these texts (already NFC). */
  static async for(weight: StampFontWeight, texts: readonly string[]): Promise<StampFont> {
    return new StampFont(await loadFont(weight), weight, texts);
  }

  private get codePoints(): number[] {
    return [...this.cids.keys()];
  }

  private cidOf(codePoint: number): number {
    const cid = this.cids.get(codePoint);
    if (cid === undefined) throw new RangeError(`U+${hex4(codePoint)} is not in the subset`);
    return cid;
  }

  /** Width of `text` at `size` points. */
  widthOf(text: string, size: number): number {
    let units = 0;
    for (const ch of text) units += this.font.advanceOf(this.font.glyphFor(ch.codePointAt(0)!));
    return (units * size) / this.font.metrics.unitsPerEm;
  }

  /** `text` as a hex string operand of Tj, two bytes per CID (Identity-H). */
  encode(text: string): string {
    return `<${Array.from(text, (ch) => hex4(this.cidOf(ch.codePointAt(0)!))).join('')}>`;
  }

  /** The Type 0 font (`ref`) and the five objects of it, under references from `allocate`. */
  toObjects(allocate: () => PdfRef): { ref: PdfRef; objects: IncrementObject[] } {
    const { metrics } = this.font;
    const scale = 1000 / metrics.unitsPerEm;
    const codePoints = this.codePoints;
    const glyphs = [0, ...codePoints.map((cp) => this.font.glyphFor(cp))];
    const baseFont = name(`${subsetTag(this.texts)}+${FONT_FILES[this.weight].postscriptName}`);
    const [typeZero, cidFont, descriptor, fontFile, toUnicode] = [allocate(), allocate(), allocate(), allocate(), allocate()];
    const familyClass = metrics.familyClass >> 8;
    // Symbolic (bit 3), as a font that is not in the standard Latin character set is (§9.8.2).
    const flags = (metrics.isFixedPitch ? 1 : 0) | (familyClass >= 1 && familyClass <= 7 ? 2 : 0) | 4 | (familyClass === 10 ? 8 : 0) | (metrics.isItalic ? 64 : 0);
    const flate = (data: Buffer, extra: PdfDict = dict({})): PdfNewStream => new PdfNewStream(extra.set('Filter', name('FlateDecode')), deflateSync(data));
    const program = this.font.subset(glyphs);
    const objects: IncrementObject[] = [
      { ref: typeZero, value: dict({ Type: name('Font'), Subtype: name('Type0'), BaseFont: baseFont, Encoding: name('Identity-H'), DescendantFonts: [cidFont], ToUnicode: toUnicode }) },
      {
        ref: cidFont,
        value: dict({
          Type: name('Font'),
          Subtype: name('CIDFontType2'),
          BaseFont: baseFont,
          CIDSystemInfo: dict({ Registry: new PdfString(Buffer.from('Adobe')), Ordering: new PdfString(Buffer.from('Identity')), Supplement: 0 }),
          FontDescriptor: descriptor,
          CIDToGIDMap: name('Identity'),
          W: [0, glyphs.map((gid) => Math.round(this.font.advanceOf(gid) * scale * 1000) / 1000)],
        }),
      },
      {
        ref: descriptor,
        value: dict({
          Type: name('FontDescriptor'),
          FontName: baseFont,
          Flags: flags,
          FontBBox: metrics.bbox.map((v) => v * scale),
          ItalicAngle: metrics.italicAngle,
          Ascent: metrics.ascent * scale,
          Descent: metrics.descent * scale,
          CapHeight: metrics.capHeight * scale,
          XHeight: metrics.xHeight * scale,
          StemV: 0,
          FontFile2: fontFile,
        }),
      },
      { ref: fontFile, value: flate(program, dict({ Length1: program.length })) },
      { ref: toUnicode, value: flate(Buffer.from(toUnicodeCMap(codePoints), 'latin1')) },
    ];
    return { ref: typeZero, objects };
  }
}
