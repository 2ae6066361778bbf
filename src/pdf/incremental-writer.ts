// Builds an incremental update (ISO 32000-2 §7.5.6): new and changed objects, then a
// cross-reference section of the same kind as the file's newest one (a table, §7.5.4, or a
// stream, §7.5.8) and a trailer that keeps /Root and /Info, renews /ID's changing half and links /Prev. The earlier
// bytes are never touched, so earlier signatures stay valid.

import { randomBytes } from 'node:crypto';
import { MapsignError } from '../errors.js';
import { PdfDict, PdfName, PdfNewStream, PdfRef, PdfString, type PdfObject } from './objects.js';
import type { PdfReader } from './pdf-reader.js';
import { serializeObject } from './serialize.js';

export interface IncrementObject {
  ref: PdfRef;
  /** The object; or `raw`, the exact bytes of the object body (for the signature dictionary). */
  value?: PdfObject;
  raw?: Buffer;
}

export interface BuildIncrementOptions {
  /** Size of the file the increment is appended to. */
  baseSize: number;
  /** Whether the file ends with CR or LF (if not, the increment starts with one). */
  baseEndsWithEol: boolean;
  /** The file's startxref, which becomes /Prev. */
  prevStartxref: number;
  xrefKind: 'table' | 'stream';
  /** The file's newest trailer (or cross-reference stream dictionary). */
  baseTrailer: PdfDict;
  /** The file's /Size (next free object number). */
  baseObjectCount: number;
  objects: IncrementObject[];
}

export interface Increment {
  bytes: Buffer;
  /** Offset of each object's "N G obj" line within `bytes`. */
  objectOffsets: Map<number, number>;
  /** Offset of each object's body (after "N G obj\n") within `bytes`. */
  bodyOffsets: Map<number, number>;
  /** The new /Size. */
  size: number;
  /** Offset of the new cross-reference section within `bytes`. */
  xrefOffset: number;
}

const MAX_TABLE_OFFSET = 9_999_999_999;

/**
 * The file identifier after this update (§14.4): the permanent first string as it was, the
 * changing second string new. Besides following the standard, this makes every signed file
 * unique: two signatures of the same bytes in the same second by the same key (the signing time
 * has whole seconds, RSA PKCS #1 v1.5 is deterministic) would otherwise give byte-identical files,
 * which a content-addressed store cannot tell apart.
 */
function updatedIdentifier(base: PdfDict): PdfObject[] {
  const changing = new PdfString(randomBytes(16), true);
  const id = base.get('ID');
  const permanent = Array.isArray(id) && id[0] instanceof PdfString ? id[0] : changing;
  return [permanent, changing];
}

function trailerEntries(base: PdfDict, size: number, prev: number): PdfDict {
  const trailer = new PdfDict();
  trailer.set('Size', size);
  for (const key of ['Root', 'Info']) {
    const value = base.get(key);
    if (value !== undefined) trailer.set(key, value);
  }
  trailer.set('ID', updatedIdentifier(base));
  trailer.set('Prev', prev);
  return trailer;
}

/** Groups sorted object numbers into runs of consecutive numbers: [start, count] pairs. */
function runsOf(numbers: number[]): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (const num of numbers) {
    const last = runs[runs.length - 1];
    if (last && last[0] + last[1] === num) last[1]++;
    else runs.push([num, 1]);
  }
  return runs;
}

export function buildIncrement(options: BuildIncrementOptions): Increment {
  const chunks: Buffer[] = [];
  let length = 0;
  const push = (chunk: Buffer | string): void => {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    chunks.push(buffer);
    length += buffer.length;
  };
  if (!options.baseEndsWithEol) push('\n');

  const objectOffsets = new Map<number, number>();
  const bodyOffsets = new Map<number, number>();
  let maxNum = options.baseObjectCount - 1;
  const seen = new Set<number>();
  for (const object of options.objects) {
    if (seen.has(object.ref.num)) throw new MapsignError('INTERNAL_ERROR', `object ${object.ref} written twice in one increment`);
    seen.add(object.ref.num);
    objectOffsets.set(object.ref.num, length);
    push(`${object.ref.num} ${object.ref.gen} obj\n`);
    bodyOffsets.set(object.ref.num, length);
    push(object.raw ?? serializeObject(object.value ?? null));
    push('\nendobj\n');
    maxNum = Math.max(maxNum, object.ref.num);
  }

  const xrefOffset = length;
  const absolute = (offset: number): number => options.baseSize + offset;
  let size: number;
  if (options.xrefKind === 'table') {
    size = maxNum + 1;
    const numbers = [...objectOffsets.keys()].sort((a, b) => a - b);
    let table = 'xref\n';
    for (const [start, count] of runsOf(numbers)) {
      table += `${start} ${count}\n`;
      for (let num = start; num < start + count; num++) {
        const offset = absolute(objectOffsets.get(num)!);
        if (offset > MAX_TABLE_OFFSET) {
          throw new MapsignError('PDF_LIMIT_EXCEEDED', 'a cross-reference table cannot address offsets past 10 GB');
        }
        const gen = options.objects.find((o) => o.ref.num === num)!.ref.gen;
        table += `${String(offset).padStart(10, '0')} ${String(gen).padStart(5, '0')} n\r\n`;
      }
    }
    push(table);
    push(`trailer\n${serializeObject(trailerEntries(options.baseTrailer, size, options.prevStartxref))}\n`);
  } else {
    const streamNum = maxNum + 1;
    size = streamNum + 1;
    objectOffsets.set(streamNum, xrefOffset);
    const numbers = [...objectOffsets.keys()].sort((a, b) => a - b);
    const largest = absolute(xrefOffset);
    const offsetWidth = Math.max(4, Math.ceil(Math.log2(largest + 1) / 8));
    const rowLength = 1 + offsetWidth + 2;
    const data = Buffer.alloc(numbers.length * rowLength);
    numbers.forEach((num, row) => {
      const base = row * rowLength;
      data[base] = 1;
      let value = absolute(objectOffsets.get(num)!);
      for (let i = offsetWidth; i >= 1; i--) {
        data[base + i] = value % 256;
        value = Math.floor(value / 256);
      }
      const gen = num === streamNum ? 0 : options.objects.find((o) => o.ref.num === num)!.ref.gen;
      data.writeUInt16BE(gen, base + 1 + offsetWidth);
    });
    const streamDict = trailerEntries(options.baseTrailer, size, options.prevStartxref);
    streamDict.set('Type', new PdfName('XRef'));
    streamDict.set('W', [1, offsetWidth, 2]);
    streamDict.set('Index', runsOf(numbers).flat());
    push(`${streamNum} 0 obj\n${serializeObject(new PdfNewStream(streamDict, data))}\nendobj\n`);
  }
  push(`startxref\n${absolute(xrefOffset)}\n%%EOF\n`);
  return { bytes: Buffer.concat(chunks, length), objectOffsets, bodyOffsets, size, xrefOffset };
}

/** An increment after the file `reader` has open, with /Prev, /Size and the cross-reference kind taken from it. */
export async function buildIncrementFor(reader: PdfReader, objects: IncrementObject[]): Promise<Increment> {
  const last = await reader.source.read(reader.size - 1, 1);
  return buildIncrement({
    baseSize: reader.size,
    baseEndsWithEol: last[0] === 0x0a || last[0] === 0x0d,
    prevStartxref: reader.startxref,
    xrefKind: reader.lastXrefKind,
    baseTrailer: reader.trailer,
    baseObjectCount: reader.nextObjectNumber,
    objects,
  });
}
