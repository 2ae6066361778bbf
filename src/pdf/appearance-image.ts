// A PNG (ISO/IEC 15948) as a PDF image XObject (ISO 32000-2 §8.9.5) with its transparency as an
// /SMask (§11.6.5.3): decoded with node:zlib into 8-bit samples — grey, RGB or a palette, any bit
// depth, interlaced or not — then colour and alpha deflated as two images.

import { inflateSync, deflateSync } from 'node:zlib';
import { MapsignError } from '../errors.js';
import type { IncrementObject } from './incremental-writer.js';
import { PdfNewStream, type PdfDict, type PdfRef, dict, name } from './objects.js';

/** Pixels a stamp image may have: a small PNG can inflate to gigabytes, and memory must stay flat. */
export const MAX_IMAGE_PIXELS = 4_000_000;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const BIT_DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
/** Adam7 passes: x0, y0, dx, dy. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** A decoded PNG: 8-bit colour samples (1 or 3 per pixel) and, when any pixel is not opaque, 8-bit alpha. */
export interface DecodedPng {
  width: number;
  height: number;
  colorSpace: 'DeviceGray' | 'DeviceRGB';
  color: Buffer;
  alpha?: Buffer;
}

function bad(what: string, reason: string): never {
  throw new MapsignError('USAGE_INVALID', `the ${what} is not a PNG image that can be embedded: ${reason}`);
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Reverses the scanline filters of one (sub)image in place; returns its rows without filter bytes. */
function unfilter(data: Buffer, start: number, rows: number, rowBytes: number, bpp: number, what: string): Buffer[] {
  const out: Buffer[] = [];
  let previous: Buffer = Buffer.alloc(rowBytes);
  for (let y = 0; y < rows; y++) {
    const at = start + y * (rowBytes + 1);
    const filter = data[at];
    const row = data.subarray(at + 1, at + 1 + rowBytes);
    for (let i = 0; i < rowBytes; i++) {
      const left = i >= bpp ? row[i - bpp]! : 0;
      const up = previous[i]!;
      const upLeft = i >= bpp ? previous[i - bpp]! : 0;
      const raw = row[i]!;
      if (filter === 0) continue;
      else if (filter === 1) row[i] = raw + left;
      else if (filter === 2) row[i] = raw + up;
      else if (filter === 3) row[i] = raw + ((left + up) >> 1);
      else if (filter === 4) row[i] = raw + paeth(left, up, upLeft);
      else bad(what, `unknown scanline filter ${filter}`);
    }
    out.push(row);
    previous = row;
  }
  return out;
}

/** Decodes a PNG into 8-bit samples; refuses what is not one, or has more than MAX_IMAGE_PIXELS. */
export function decodePng(bytes: Uint8Array, what: string): DecodedPng {
  const png = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (png.length < 33 || !png.subarray(0, 8).equals(PNG_SIGNATURE) || png.toString('latin1', 12, 16) !== 'IHDR') {
    throw new MapsignError('USAGE_INVALID', `the ${what} is not a PNG image`);
  }
  const [width, height] = [png.readUInt32BE(16), png.readUInt32BE(20)];
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new MapsignError('USAGE_INVALID', `the ${what} has ${width} × ${height} pixels; a stamp image may have at most ${MAX_IMAGE_PIXELS}`);
  }
  const [depth, colorType, compression, filterMethod, interlace] = [png[24]!, png[25]!, png[26]!, png[27]!, png[28]!];
  if (width === 0 || height === 0) bad(what, 'it has no pixels');
  if (!BIT_DEPTHS[colorType]?.includes(depth)) bad(what, `colour type ${colorType} with ${depth}-bit samples`);
  if (compression !== 0 || filterMethod !== 0 || interlace > 1) bad(what, 'unknown compression, filter or interlace method');

  let palette: Buffer | undefined;
  let transparency: Buffer | undefined;
  const idat: Buffer[] = [];
  for (let at = 8; at + 8 <= png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    if (at + 12 + length > png.length) bad(what, `the ${type} chunk runs past the end`);
    const data = png.subarray(at + 8, at + 8 + length);
    if (type === 'PLTE') palette = data;
    else if (type === 'tRNS') transparency = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    at += 12 + length;
  }
  if (colorType === 3 && !palette) bad(what, 'a palette image without a palette');

  const channels = CHANNELS[colorType]!;
  const bitsPerPixel = channels * depth;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const passes = interlace === 1 ? ADAM7 : ([[0, 0, 1, 1]] as const);
  const sizes = passes.map(([x0, y0, dx, dy]) => {
    const [w, h] = [Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy)];
    return { w: w > 0 && h > 0 ? w : 0, h: w > 0 && h > 0 ? h : 0 };
  });
  const expected = sizes.reduce((sum, { w, h }) => sum + (w > 0 ? h * (Math.ceil((w * bitsPerPixel) / 8) + 1) : 0), 0);
  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(idat), { maxOutputLength: expected });
  } catch (error) {
    bad(what, `its image data does not inflate to ${width} × ${height} pixels (${error instanceof Error ? error.message : String(error)})`);
  }
  if (raw.length < expected) bad(what, `its image data is too short for ${width} × ${height} pixels`);

  const isColor = colorType === 2 || colorType === 3 || colorType === 6;
  const color = Buffer.alloc(width * height * (isColor ? 3 : 1));
  const alpha = Buffer.alloc(width * height, 255);
  let isOpaque = true;
  const maxSample = (1 << Math.min(depth, 8)) - 1;
  const sampleOf = (row: Buffer, index: number): number => {
    if (depth === 8) return row[index]!;
    if (depth === 16) return row.readUInt16BE(2 * index);
    const bit = index * depth;
    return (row[bit >> 3]! >> (8 - depth - (bit & 7))) & maxSample;
  };
  const to8 = (sample: number): number => (depth === 16 ? sample >> 8 : depth === 8 ? sample : Math.round((sample * 255) / maxSample));
  const transparentKey = transparency && (colorType === 0 || colorType === 2) ? Array.from({ length: channels }, (_, i) => transparency!.readUInt16BE(2 * i)) : undefined;

  const colorChannels = colorType === 4 || colorType === 6 ? channels - 1 : channels;
  const samples = new Int32Array(channels);
  let start = 0;
  passes.forEach(([x0, y0, dx, dy], p) => {
    const { w, h } = sizes[p]!;
    if (w === 0) return;
    const rowBytes = Math.ceil((w * bitsPerPixel) / 8);
    const rows = unfilter(raw, start, h, rowBytes, bpp, what);
    start += h * (rowBytes + 1);
    rows.forEach((row, ry) => {
      const rowStart = (y0 + ry * dy) * width + x0;
      if (depth === 8 && !transparentKey && colorType !== 3) {
        // The common case, without a call per sample: 8-bit grey or RGB, with or without alpha.
        for (let rx = 0, i = 0; rx < w; rx++) {
          const pixel = rowStart + rx * dx;
          for (let c = 0, o = colorChannels * pixel; c < colorChannels; c++) color[o + c] = row[i++]!;
          if (colorChannels < channels) {
            const a = row[i++]!;
            if (a !== 255) {
              alpha[pixel] = a;
              isOpaque = false;
            }
          }
        }
        return;
      }
      for (let rx = 0; rx < w; rx++) {
        const pixel = rowStart + rx * dx;
        for (let c = 0; c < channels; c++) samples[c] = sampleOf(row, rx * channels + c);
        let a = 255;
        if (colorType === 3) {
          const index = samples[0]!;
          if (3 * index + 2 >= palette!.length) bad(what, `palette index ${index} out of range`);
          palette!.copy(color, 3 * pixel, 3 * index, 3 * index + 3);
          if (transparency && index < transparency.length) a = transparency[index]!;
        } else {
          for (let c = 0; c < colorChannels; c++) color[colorChannels * pixel + c] = to8(samples[c]!);
          if (colorChannels < channels) a = to8(samples[colorChannels]!);
          else if (transparentKey && transparentKey.every((key, c) => key === samples[c])) a = 0;
        }
        if (a !== 255) {
          alpha[pixel] = a;
          isOpaque = false;
        }
      }
    });
  });
  return { width, height, colorSpace: isColor ? 'DeviceRGB' : 'DeviceGray', color, ...(isOpaque ? {} : { alpha }) };
}

/** The image XObject of a PNG (and its /SMask), under references from `allocate`. */
export function pngToImageObjects(bytes: Uint8Array, what: string, allocate: () => PdfRef): { ref: PdfRef; width: number; height: number; objects: IncrementObject[] } {
  const png = decodePng(bytes, what);
  const image = (colorSpace: string): PdfDict =>
    dict({ Type: name('XObject'), Subtype: name('Image'), Width: png.width, Height: png.height, ColorSpace: name(colorSpace), BitsPerComponent: 8, Filter: name('FlateDecode') });
  const ref = allocate();
  const objects: IncrementObject[] = [];
  const imageDict = image(png.colorSpace);
  objects.push({ ref, value: new PdfNewStream(imageDict, deflateSync(png.color)) });
  if (png.alpha) {
    const mask = allocate();
    imageDict.set('SMask', mask);
    objects.push({ ref: mask, value: new PdfNewStream(image('DeviceGray'), deflateSync(png.alpha)) });
  }
  return { ref, width: png.width, height: png.height, objects };
}
