// Writes PDF objects in their file syntax (ISO 32000-2 §7.3). Output is latin1 text in which every
// string byte maps to one character, so Buffer.from(text, 'latin1') gives back the exact bytes.

import { MapsignError } from '../errors.js';
import { PdfDict, PdfName, PdfNewStream, PdfRef, PdfStream, PdfString, type PdfObject } from './objects.js';

const NAME_SAFE = /^[!-~]$/;
const NAME_ESCAPE = new Set('()<>[]{}/%#'.split(''));

export function serializeName(value: string): string {
  let out = '/';
  for (const ch of value) {
    const code = ch.charCodeAt(0);
    if (code > 0xff) throw new MapsignError('INTERNAL_ERROR', `name /${value} has a character outside latin1`);
    out += NAME_SAFE.test(ch) && !NAME_ESCAPE.has(ch) ? ch : `#${code.toString(16).padStart(2, '0')}`;
  }
  return out;
}

export function serializeNumber(value: number): string {
  if (!Number.isFinite(value)) throw new MapsignError('INTERNAL_ERROR', `cannot write number ${value}`);
  if (Number.isInteger(value)) return String(value);
  const fixed = value.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
  return fixed === '-0' ? '0' : fixed;
}

export function serializeString(value: PdfString): string {
  const bytes = value.bytes;
  const isPrintable = bytes.every((b) => b >= 0x20 && b <= 0x7e);
  if (value.isHex || !isPrintable) return `<${bytes.toString('hex')}>`;
  return `(${bytes.toString('latin1').replace(/[\\()]/g, (c) => `\\${c}`)})`;
}

export function serializeObject(value: PdfObject): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return serializeNumber(value);
  if (value instanceof PdfName) return serializeName(value.value);
  if (value instanceof PdfString) return serializeString(value);
  if (value instanceof PdfRef) return `${value.num} ${value.gen} R`;
  if (Array.isArray(value)) return `[${value.map(serializeObject).join(' ')}]`;
  if (value instanceof PdfDict) {
    const parts: string[] = [];
    for (const [key, item] of value.entries) parts.push(`${serializeName(key)} ${serializeObject(item)}`);
    return `<<${parts.join(' ')}>>`;
  }
  if (value instanceof PdfNewStream) {
    const streamDict = value.dict.clone().set('Length', value.data.length);
    return `${serializeObject(streamDict)}\nstream\n${value.data.toString('latin1')}\nendstream`;
  }
  if (value instanceof PdfStream) {
    throw new MapsignError('INTERNAL_ERROR', 'a stream read from the file cannot be rewritten; add a new stream instead');
  }
  throw new MapsignError('INTERNAL_ERROR', 'unknown PDF object');
}
