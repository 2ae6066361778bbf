// Stream decoding for the structures the reader must understand itself: cross-reference
// streams and object streams (ISO 32000-2 §7.4.4 FlateDecode, §7.4.4.4 PNG and TIFF predictors).
// Output is bounded so a small compressed stream cannot expand into a memory bomb.

import { inflateSync } from 'node:zlib';
import { MapsignError } from '../errors.js';
import { PdfDict, PdfName, type PdfObject } from './objects.js';

function filterNames(dict: PdfDict): string[] {
  const filter = dict.get('Filter');
  if (filter === undefined) return [];
  if (filter instanceof PdfName) return [filter.value];
  if (Array.isArray(filter)) return filter.map((f) => (f instanceof PdfName ? f.value : '?'));
  return ['?'];
}

function decodeParams(dict: PdfDict): PdfDict | undefined {
  const params: PdfObject | undefined = dict.get('DecodeParms');
  if (params instanceof PdfDict) return params;
  if (Array.isArray(params) && params[0] instanceof PdfDict) return params[0];
  return undefined;
}

export function decodeStreamData(dict: PdfDict, raw: Buffer, maxOutputBytes: number, where: string): Buffer {
  const filters = filterNames(dict);
  if (filters.length === 0) return raw;
  if (filters.length > 1 || filters[0] !== 'FlateDecode') {
    throw new MapsignError('PDF_MALFORMED', `${where} uses unsupported filter ${filters.join(',')}`);
  }
  let inflated: Buffer;
  try {
    inflated = inflateSync(raw, { maxOutputLength: maxOutputBytes });
  } catch (error) {
    if (error instanceof RangeError || (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new MapsignError('PDF_LIMIT_EXCEEDED', `${where} inflates to more than ${maxOutputBytes} bytes`, {
        details: { limit: maxOutputBytes },
      });
    }
    throw new MapsignError('PDF_MALFORMED', `${where} has corrupt compressed data`, { cause: error });
  }
  const params = decodeParams(dict);
  const predictor = params?.getNumber('Predictor') ?? 1;
  if (predictor <= 1) return inflated;
  const colors = params?.getNumber('Colors') ?? 1;
  const bitsPerComponent = params?.getNumber('BitsPerComponent') ?? 8;
  const columns = params?.getNumber('Columns') ?? 1;
  if (predictor === 2) {
    if (bitsPerComponent !== 8) throw new MapsignError('PDF_MALFORMED', `${where} uses an unsupported TIFF predictor`);
    return undoTiffPredictor(inflated, colors, columns);
  }
  if (predictor >= 10 && predictor <= 15) return undoPngPredictor(inflated, colors, bitsPerComponent, columns, where);
  throw new MapsignError('PDF_MALFORMED', `${where} uses unknown predictor ${predictor}`);
}

function undoTiffPredictor(data: Buffer, colors: number, columns: number): Buffer {
  const rowLength = colors * columns;
  const out = Buffer.from(data);
  for (let row = 0; row + rowLength <= out.length; row += rowLength) {
    for (let i = colors; i < rowLength; i++) out[row + i] = (out[row + i]! + out[row + i - colors]!) & 0xff;
  }
  return out;
}

function undoPngPredictor(data: Buffer, colors: number, bitsPerComponent: number, columns: number, where: string): Buffer {
  const bytesPerPixel = Math.max(1, Math.ceil((colors * bitsPerComponent) / 8));
  const rowLength = Math.ceil((colors * bitsPerComponent * columns) / 8);
  const rows = Math.floor(data.length / (rowLength + 1));
  const out = Buffer.alloc(rows * rowLength);
  const prior = Buffer.alloc(rowLength);
  for (let r = 0; r < rows; r++) {
    const src = r * (rowLength + 1);
    const type = data[src]!;
    const row = out.subarray(r * rowLength, (r + 1) * rowLength);
    for (let i = 0; i < rowLength; i++) {
      const x = data[src + 1 + i]!;
      const left = i >= bytesPerPixel ? row[i - bytesPerPixel]! : 0;
      const up = prior[i]!;
      const upLeft = i >= bytesPerPixel ? prior[i - bytesPerPixel]! : 0;
      let value: number;
      switch (type) {
        case 0: value = x; break;
        case 1: value = x + left; break;
        case 2: value = x + up; break;
        case 3: value = x + ((left + up) >> 1); break;
        case 4: {
          const p = left + up - upLeft;
          const pa = Math.abs(p - left);
          const pb = Math.abs(p - up);
          const pc = Math.abs(p - upLeft);
          value = x + (pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft);
          break;
        }
        default:
          throw new MapsignError('PDF_MALFORMED', `${where} has a bad PNG predictor row type ${type}`);
      }
      row[i] = value & 0xff;
    }
    row.copy(prior);
  }
  return out;
}
