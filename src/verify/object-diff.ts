// Comparing PDF objects of two revisions by value (ISO 32000-2 §7.3): cross-reference entries,
// direct values, stream data in bounded chunks, and the references reachable from a value.

import { PdfDict, PdfName, PdfRef, PdfStream, PdfString, type PdfObject, type PdfReader, type XrefEntry } from '../pdf/index.js';

export const MAX_WALK = 10_000;

export function exists(entry: XrefEntry | undefined): entry is Exclude<XrefEntry, { type: 'free' }> {
  return entry !== undefined && entry.type !== 'free';
}

export function sameEntry(a: XrefEntry | undefined, b: XrefEntry | undefined): boolean {
  if (!exists(a) || !exists(b)) return exists(a) === exists(b);
  if (a.type === 'offset' && b.type === 'offset') return a.offset === b.offset && a.gen === b.gen;
  if (a.type === 'compressed' && b.type === 'compressed') return a.streamNum === b.streamNum && a.index === b.index;
  return false;
}

export function genOf(entry: Exclude<XrefEntry, { type: 'free' }>): number {
  return entry.type === 'offset' ? entry.gen : 0;
}

/** Structural equality of two direct values; streams compare by dictionary only (their data is compared apart). */
export function sameValue(a: PdfObject | undefined, b: PdfObject | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (a instanceof PdfName) return b instanceof PdfName && a.value === b.value;
  if (a instanceof PdfRef) return b instanceof PdfRef && a.equals(b);
  if (a instanceof PdfString) return b instanceof PdfString && a.bytes.equals(b.bytes);
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => sameValue(item, b[i]));
  if (a instanceof PdfDict) return b instanceof PdfDict && sameDict(a, b, new Set());
  if (a instanceof PdfStream) return b instanceof PdfStream && sameDict(a.dict, b.dict, new Set(['Length']));
  return false;
}

export function sameDict(a: PdfDict, b: PdfDict, ignore: Set<string>): boolean {
  const keys = new Set([...a.entries.keys(), ...b.entries.keys()]);
  for (const key of keys) if (!ignore.has(key) && !sameValue(a.get(key), b.get(key))) return false;
  return true;
}

export function changedKeys(a: PdfDict, b: PdfDict): string[] {
  return [...new Set([...a.entries.keys(), ...b.entries.keys()])].filter((key) => !sameValue(a.get(key), b.get(key)));
}

export async function sameStreamData(prev: PdfReader, a: PdfStream, next: PdfReader, b: PdfStream): Promise<boolean> {
  if (a.dataLength !== b.dataLength) return false;
  if (a.dataOffset === b.dataOffset) return true;
  const step = 1024 * 1024;
  for (let done = 0; done < a.dataLength; done += step) {
    const length = Math.min(step, a.dataLength - done);
    const [x, y] = await Promise.all([prev.source.read(a.dataOffset + done, length), next.source.read(b.dataOffset + done, length)]);
    if (!x.equals(y)) return false;
  }
  return true;
}

export function describeType(value: PdfObject | undefined): string {
  if (value === undefined) return 'missing';
  const dict = value instanceof PdfStream ? value.dict : value instanceof PdfDict ? value : undefined;
  if (dict) {
    const type = dict.getName('Type') ?? (dict.has('FT') ? 'Field' : undefined);
    const subtype = dict.getName('Subtype') ?? dict.getName('FT');
    if (type && subtype) return `${type}/${subtype}`;
    if (type) return type;
    if (subtype) return subtype;
    return value instanceof PdfStream ? 'stream' : 'dictionary';
  }
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  return typeof value;
}

export function numbersOf(rect: PdfObject | undefined): number[] | null {
  return Array.isArray(rect) && rect.length === 4 && rect.every((n) => typeof n === 'number') ? (rect as number[]) : null;
}

export function area(rect: number[] | null): number {
  return rect === null ? 0 : Math.abs((rect[2]! - rect[0]!) * (rect[3]! - rect[1]!));
}

/** Object numbers reachable from `value` (references followed `depth` levels deep). */
export async function collectRefs(reader: PdfReader, value: PdfObject | undefined, depth = 6): Promise<Set<number>> {
  const found = new Set<number>();
  const visit = async (item: PdfObject | undefined, level: number): Promise<void> => {
    if (found.size >= MAX_WALK || level > depth) return;
    if (item instanceof PdfRef) {
      if (found.has(item.num)) return;
      found.add(item.num);
      await visit(await reader.getObject(item).catch(() => null), level + 1);
      return;
    }
    const dict = item instanceof PdfStream ? item.dict : item instanceof PdfDict ? item : undefined;
    if (dict) for (const [key, child] of dict.entries) if (key !== 'Parent' && key !== 'P') await visit(child, level);
    if (Array.isArray(item)) for (const child of item) await visit(child, level);
  };
  await visit(value, 0);
  return found;
}
