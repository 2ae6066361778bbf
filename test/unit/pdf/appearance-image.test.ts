import { PNG } from 'pngjs';
import { crc32, deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodePng, pngToImageObjects } from '../../../src/pdf/appearance-image.js';
import { PdfNewStream, PdfRef } from '../../../src/pdf/objects.js';
import { makeSealPng, makeSignaturePng } from '../../fixtures/make-images.js';

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

interface PngSpec {
  width: number;
  height: number;
  colorType: number;
  depth: number;
  /** The samples of pixel (x, y), at the PNG's bit depth. */
  pixel: (x: number, y: number) => number[];
  isInterlaced?: boolean;
  palette?: number[];
  transparency?: number[];
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Encodes a PNG, cycling through the five scanline filters so that the decoder meets each. */
function encodePng(spec: PngSpec): Buffer {
  const channels = CHANNELS[spec.colorType]!;
  const bitsPerPixel = channels * spec.depth;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const passes = spec.isInterlaced ? ADAM7 : [[0, 0, 1, 1]];
  const scanlines: Buffer[] = [];
  let filter = 0;
  for (const [x0, y0, dx, dy] of passes as Array<[number, number, number, number]>) {
    const w = Math.ceil((spec.width - x0) / dx);
    const h = Math.ceil((spec.height - y0) / dy);
    if (w <= 0 || h <= 0) continue;
    const rowBytes = Math.ceil((w * bitsPerPixel) / 8);
    let previous = Buffer.alloc(rowBytes);
    for (let ry = 0; ry < h; ry++) {
      const raw = Buffer.alloc(rowBytes);
      for (let rx = 0; rx < w; rx++) {
        spec.pixel(x0 + rx * dx, y0 + ry * dy).forEach((sample, c) => {
          const index = rx * channels + c;
          if (spec.depth === 16) raw.writeUInt16BE(sample, 2 * index);
          else if (spec.depth === 8) raw[index] = sample;
          else raw[(index * spec.depth) >> 3]! |= sample << (8 - spec.depth - ((index * spec.depth) & 7));
        });
      }
      const out = Buffer.alloc(rowBytes + 1);
      out[0] = filter;
      for (let i = 0; i < rowBytes; i++) {
        const left = i >= bpp ? raw[i - bpp]! : 0;
        const up = previous[i]!;
        const upLeft = i >= bpp ? previous[i - bpp]! : 0;
        const predictor = [0, left, up, (left + up) >> 1, paeth(left, up, upLeft)][filter]!;
        out[i + 1] = (raw[i]! - predictor) & 0xff;
      }
      scanlines.push(out);
      previous = raw;
      filter = (filter + 1) % 5;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(spec.width, 0);
  ihdr.writeUInt32BE(spec.height, 4);
  ihdr.set([spec.depth, spec.colorType, 0, 0, spec.isInterlaced ? 1 : 0], 8);
  const data = deflateSync(Buffer.concat(scanlines));
  const half = data.length >> 1;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...(spec.palette ? [chunk('PLTE', Buffer.from(spec.palette))] : []),
    ...(spec.transparency ? [chunk('tRNS', Buffer.from(spec.transparency))] : []),
    // Image data split over two IDAT chunks, as encoders do.
    chunk('IDAT', data.subarray(0, half)),
    chunk('IDAT', data.subarray(half)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const rgba = (x: number, y: number): number[] => [(x * 37) & 0xff, (y * 53) & 0xff, (x * y) & 0xff, (x + y) % 3 === 0 ? 255 : (x * 11 + y) & 0xff];

describe('decodePng', () => {
  for (const isInterlaced of [false, true]) {
    it(`splits an 8-bit RGBA image${isInterlaced ? ', interlaced,' : ''} into RGB and alpha, pixel for pixel`, () => {
      const [width, height] = [13, 11];
      const png = decodePng(encodePng({ width, height, colorType: 6, depth: 8, pixel: rgba, isInterlaced }), 'seal image');
      expect(png.colorSpace).toBe('DeviceRGB');
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const [r, g, b, a] = rgba(x, y);
          const p = y * width + x;
          expect([...png.color.subarray(3 * p, 3 * p + 3)]).toEqual([r, g, b]);
          expect(png.alpha![p]).toBe(a);
        }
      }
    });
  }

  it('has no alpha for an opaque RGB image', () => {
    const png = decodePng(encodePng({ width: 5, height: 3, colorType: 2, depth: 8, pixel: (x, y) => [x, y, 7] }), 'image');
    expect(png.alpha).toBeUndefined();
    expect([...png.color.subarray(3 * 7, 3 * 8)]).toEqual([2, 1, 7]);
  });

  it('scales 1-, 2- and 4-bit grey to 8 bits and keeps it grey', () => {
    for (const depth of [1, 2, 4]) {
      const max = (1 << depth) - 1;
      const png = decodePng(encodePng({ width: 9, height: 2, colorType: 0, depth, pixel: (x) => [x % (max + 1)] }), 'image');
      expect(png.colorSpace).toBe('DeviceGray');
      expect([...png.color.subarray(0, 9)]).toEqual(Array.from({ length: 9 }, (_, x) => Math.round(((x % (max + 1)) * 255) / max)));
    }
  });

  it('looks up a palette image, with the alpha of its tRNS entries', () => {
    const palette = [255, 0, 0, 0, 255, 0, 0, 0, 255];
    const png = decodePng(encodePng({ width: 7, height: 3, colorType: 3, depth: 4, pixel: (x) => [x % 3], palette, transparency: [0, 128] }), 'image');
    expect([...png.color.subarray(0, 9)]).toEqual(palette);
    expect([...png.alpha!.subarray(0, 3)]).toEqual([0, 128, 255]);
  });

  it('keeps the high byte of 16-bit grey with alpha', () => {
    const png = decodePng(encodePng({ width: 2, height: 2, colorType: 4, depth: 16, pixel: (x, y) => [0x1234 * (x + 1), y === 0 ? 0xffff : 0x80ff] }), 'image');
    expect([...png.color]).toEqual([0x12, 0x24, 0x12, 0x24]);
    expect([...png.alpha!]).toEqual([255, 255, 0x80, 0x80]);
  });

  it('makes the tRNS colour of an RGB image transparent', () => {
    const png = decodePng(encodePng({ width: 3, height: 1, colorType: 2, depth: 8, pixel: (x) => [x, 0, 0], transparency: [0, 1, 0, 0, 0, 0] }), 'image');
    expect([...png.alpha!]).toEqual([255, 0, 255]);
  });

  it('reads the stamp fixtures as pngjs does', () => {
    for (const bytes of [makeSignaturePng(), makeSealPng()]) {
      const reference = PNG.sync.read(bytes);
      const png = decodePng(bytes, 'image');
      const merged = Buffer.alloc(reference.data.length);
      for (let p = 0; p < reference.width * reference.height; p++) {
        png.color.copy(merged, 4 * p, 3 * p, 3 * p + 3);
        merged[4 * p + 3] = png.alpha![p]!;
      }
      expect(merged.equals(reference.data)).toBe(true);
    }
  });

  it('refuses image data that inflates to more than its pixels need', () => {
    const bytes = encodePng({ width: 4, height: 4, colorType: 0, depth: 8, pixel: () => [0] });
    const bomb = Buffer.concat([bytes.subarray(0, 33), chunk('IDAT', deflateSync(Buffer.alloc(4_000_000))), chunk('IEND', Buffer.alloc(0))]);
    expect(() => decodePng(bomb, 'signature image')).toThrow(expect.objectContaining({ code: 'USAGE_INVALID' }));
  });

  it('refuses truncated image data, an unknown filter and a palette image with no palette', () => {
    const good = encodePng({ width: 4, height: 4, colorType: 0, depth: 8, pixel: () => [0] });
    const truncated = Buffer.concat([good.subarray(0, 33), chunk('IDAT', deflateSync(Buffer.alloc(6))), chunk('IEND', Buffer.alloc(0))]);
    const badFilter = Buffer.concat([good.subarray(0, 33), chunk('IDAT', deflateSync(Buffer.alloc(20, 9))), chunk('IEND', Buffer.alloc(0))]);
    const noPalette = encodePng({ width: 2, height: 2, colorType: 3, depth: 8, pixel: () => [0] });
    for (const bytes of [truncated, badFilter, noPalette]) expect(() => decodePng(bytes, 'seal image')).toThrow(expect.objectContaining({ code: 'USAGE_INVALID' }));
  });
});

describe('pngToImageObjects', () => {
  it('writes an 8-bit image XObject with its alpha as a DeviceGray /SMask', () => {
    let next = 7;
    const built = pngToImageObjects(makeSealPng(), 'seal image', () => new PdfRef(next++, 0));
    expect(built.objects.map((o) => o.ref.num)).toEqual([7, 8]);
    const [image, mask] = built.objects.map((o) => o.value as PdfNewStream);
    expect(image!.dict.getName('Subtype')).toBe('Image');
    expect(image!.dict.getName('ColorSpace')).toBe('DeviceRGB');
    expect(image!.dict.get('SMask')).toEqual(new PdfRef(8, 0));
    expect(mask!.dict.getName('ColorSpace')).toBe('DeviceGray');
    expect(inflateSync(mask!.data).length).toBe(built.width * built.height);
  });

  it('writes no /SMask for an opaque image', () => {
    let next = 1;
    const built = pngToImageObjects(encodePng({ width: 2, height: 2, colorType: 2, depth: 8, pixel: () => [1, 2, 3] }), 'image', () => new PdfRef(next++, 0));
    expect(built.objects).toHaveLength(1);
    expect((built.objects[0]!.value as PdfNewStream).dict.has('SMask')).toBe(false);
  });
});
