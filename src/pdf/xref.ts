// Cross-reference reading (ISO 32000-2 §7.5.4 tables, §7.5.8 streams, §7.5.8.4 hybrid files,
// §7.5.6 incremental updates): follows the /Prev chain from startxref and builds one index in
// which the newest revision's entry for each object wins.

import { MapsignError } from '../errors.js';
import type { FileSource } from './file-source.js';
import { decodeStreamData } from './filters.js';
import { PdfDict, PdfStream } from './objects.js';
import { NeedMoreData, PdfParser } from './parser.js';

export interface ReaderLimits {
  /** Largest object number accepted (bounds the index). */
  maxObjects: number;
  /** Largest window read for one object or one cross-reference table. */
  maxObjectBytes: number;
  /** Largest decoded size of a cross-reference or object stream. */
  maxDecodedStreamBytes: number;
  /** Longest /Prev chain. */
  maxRevisions: number;
}

export const DEFAULT_LIMITS: ReaderLimits = {
  maxObjects: 8_000_000,
  maxObjectBytes: 64 * 1024 * 1024,
  maxDecodedStreamBytes: 128 * 1024 * 1024,
  maxRevisions: 10_000,
};

export type XrefEntry =
  | { type: 'free' }
  | { type: 'offset'; offset: number; gen: number }
  | { type: 'compressed'; streamNum: number; index: number };

const UNSET = 0;
const FREE = 1;
const OFFSET = 2;
const COMPRESSED = 3;

/** Compact index of every object number: typed arrays, not a Map per object. */
export class XrefIndex {
  private types = new Uint8Array(0);
  private fieldA = new Float64Array(0);
  private fieldB = new Uint32Array(0);

  constructor(private readonly maxObjects: number) {}

  get length(): number {
    return this.types.length;
  }

  private ensure(num: number): void {
    if (num < this.types.length) return;
    if (num >= this.maxObjects) {
      throw new MapsignError('PDF_LIMIT_EXCEEDED', `object number ${num} exceeds the limit of ${this.maxObjects}`);
    }
    const size = Math.min(this.maxObjects, Math.max(num + 1, this.types.length * 2, 1024));
    const types = new Uint8Array(size);
    types.set(this.types);
    const a = new Float64Array(size);
    a.set(this.fieldA);
    const b = new Uint32Array(size);
    b.set(this.fieldB);
    this.types = types;
    this.fieldA = a;
    this.fieldB = b;
  }

  /** Records an entry unless a newer revision already did. */
  setIfUnset(num: number, entry: XrefEntry): void {
    this.ensure(num);
    if (this.types[num] !== UNSET) return;
    if (entry.type === 'free') this.types[num] = FREE;
    else if (entry.type === 'offset') {
      this.types[num] = OFFSET;
      this.fieldA[num] = entry.offset;
      this.fieldB[num] = entry.gen;
    } else {
      this.types[num] = COMPRESSED;
      this.fieldA[num] = entry.streamNum;
      this.fieldB[num] = entry.index;
    }
  }

  get(num: number): XrefEntry | undefined {
    const type = this.types[num];
    if (type === undefined || type === UNSET) return undefined;
    if (type === FREE) return { type: 'free' };
    if (type === OFFSET) return { type: 'offset', offset: this.fieldA[num]!, gen: this.fieldB[num]! };
    return { type: 'compressed', streamNum: this.fieldA[num]!, index: this.fieldB[num]! };
  }
}

export interface XrefSection {
  /** Where the section starts ("xref" keyword or the stream object). */
  offset: number;
  kind: 'table' | 'stream';
  trailer: PdfDict;
  /** Number of entries the section lists (with its /XRefStm stream for hybrid files). */
  entryCount: number;
  /** Offset of the cross-reference stream named by /XRefStm, for hybrid files. */
  hybridStreamOffset?: number;
}

export interface XrefChain {
  index: XrefIndex;
  /** Newest first. */
  sections: XrefSection[];
  /** The newest trailer (for a stream section, its dictionary). */
  trailer: PdfDict;
}

/** Reads a window large enough for `parse` to finish, doubling it on NeedMoreData. */
export async function parseWithGrowingWindow<T>(
  source: FileSource,
  offset: number,
  limits: ReaderLimits,
  parse: (parser: PdfParser) => T,
  initial = 4096,
): Promise<T> {
  let length = initial;
  for (;;) {
    const window = await source.read(offset, length);
    const isFileEnd = offset + window.length >= source.size;
    try {
      return parse(new PdfParser(window, offset, isFileEnd));
    } catch (error) {
      if (!(error instanceof NeedMoreData)) throw error;
      if (isFileEnd) throw new MapsignError('PDF_TRUNCATED', `file ends inside the object at offset ${offset}`);
      if (length >= limits.maxObjectBytes) {
        throw new MapsignError('PDF_LIMIT_EXCEEDED', `object at offset ${offset} is larger than ${limits.maxObjectBytes} bytes`);
      }
      length = Math.min(length * 4, limits.maxObjectBytes);
    }
  }
}

interface TableEntries {
  trailer: PdfDict;
  entries: Array<{ num: number; entry: XrefEntry }>;
}

function parseTable(parser: PdfParser): TableEntries {
  parser.expectKeyword('xref');
  const entries: TableEntries['entries'] = [];
  for (;;) {
    const token = parser.readToken();
    if (token === 'trailer') break;
    if (!/^\d+$/.test(token)) parser.fail(`bad cross-reference subsection '${token.slice(0, 20)}'`);
    const start = Number(token);
    const count = parser.readInteger();
    for (let i = 0; i < count; i++) {
      const offset = parser.readInteger();
      const gen = parser.readInteger();
      const kind = parser.readToken();
      if (kind === 'n') entries.push({ num: start + i, entry: { type: 'offset', offset, gen } });
      else if (kind === 'f') entries.push({ num: start + i, entry: { type: 'free' } });
      else parser.fail(`bad cross-reference entry type '${kind.slice(0, 5)}'`);
    }
  }
  const trailer = parser.parseObject();
  if (!(trailer instanceof PdfDict)) parser.fail('trailer is not a dictionary');
  return { trailer, entries };
}

/** Reads the indirect object at `offset` whose stream /Length must be direct (cross-reference streams). */
async function readDirectStreamObject(source: FileSource, offset: number, limits: ReaderLimits): Promise<PdfStream> {
  return parseWithGrowingWindow(source, offset, limits, (parser) => {
    parser.readObjectHeader();
    const value = parser.parseObject();
    if (!(value instanceof PdfDict)) return parser.fail('cross-reference stream is not a stream');
    const dataOffset = parser.readStreamStart();
    const length = value.getNumber('Length');
    if (dataOffset === null || length === undefined || length < 0) return parser.fail('cross-reference stream has no usable /Length');
    if (dataOffset + length > source.size) {
      throw new MapsignError('PDF_TRUNCATED', `cross-reference stream at ${offset} runs past the end of the file`);
    }
    return new PdfStream(value, dataOffset, length);
  });
}

function readStreamEntries(stream: PdfStream, data: Buffer, where: string): TableEntries['entries'] {
  const dict = stream.dict;
  const widths = dict.get('W');
  if (!Array.isArray(widths) || widths.length !== 3 || !widths.every((w) => typeof w === 'number' && w >= 0 && w <= 8)) {
    throw new MapsignError('PDF_MALFORMED', `${where} has a bad /W`);
  }
  const [w0, w1, w2] = widths as [number, number, number];
  const rowLength = w0 + w1 + w2;
  const size = dict.getNumber('Size') ?? 0;
  const indexArray = dict.get('Index');
  const ranges: number[] = Array.isArray(indexArray) ? indexArray.map((v) => (typeof v === 'number' ? v : -1)) : [0, size];
  if (ranges.length % 2 !== 0 || ranges.some((v) => v < 0 || !Number.isInteger(v))) {
    throw new MapsignError('PDF_MALFORMED', `${where} has a bad /Index`);
  }
  const readField = (pos: number, width: number): number => {
    let value = 0;
    for (let i = 0; i < width; i++) value = value * 256 + data[pos + i]!;
    return value;
  };
  const entries: TableEntries['entries'] = [];
  let pos = 0;
  for (let r = 0; r < ranges.length; r += 2) {
    const start = ranges[r]!;
    const count = ranges[r + 1]!;
    for (let i = 0; i < count; i++) {
      if (pos + rowLength > data.length) throw new MapsignError('PDF_MALFORMED', `${where} is shorter than its /Index`);
      const type = w0 === 0 ? 1 : readField(pos, w0);
      const a = readField(pos + w0, w1);
      const b = readField(pos + w0 + w1, w2);
      pos += rowLength;
      if (type === 0) entries.push({ num: start + i, entry: { type: 'free' } });
      else if (type === 1) entries.push({ num: start + i, entry: { type: 'offset', offset: a, gen: b } });
      else if (type === 2) entries.push({ num: start + i, entry: { type: 'compressed', streamNum: a, index: b } });
      // Other types are reserved and mean a null object (§7.5.8.3).
    }
  }
  return entries;
}

async function readXrefStream(source: FileSource, offset: number, limits: ReaderLimits): Promise<TableEntries> {
  const stream = await readDirectStreamObject(source, offset, limits);
  if (stream.dict.getName('Type') !== 'XRef') {
    throw new MapsignError('PDF_MALFORMED', `object at ${offset} is not a cross-reference stream`);
  }
  if (stream.dataLength > limits.maxDecodedStreamBytes) {
    throw new MapsignError('PDF_LIMIT_EXCEEDED', `cross-reference stream at ${offset} is too large`);
  }
  const raw = await source.read(stream.dataOffset, stream.dataLength);
  const where = `cross-reference stream at ${offset}`;
  const data = decodeStreamData(stream.dict, raw, limits.maxDecodedStreamBytes, where);
  return { trailer: stream.dict, entries: readStreamEntries(stream, data, where) };
}

function checkOffset(offset: number, source: FileSource, what: string): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset >= source.size) {
    throw new MapsignError('PDF_MALFORMED', `${what} ${offset} is outside the file (${source.size} bytes)`, {
      details: { offset, size: source.size },
    });
  }
}

async function sectionKindAt(source: FileSource, offset: number): Promise<'table' | 'stream'> {
  const head = (await source.read(offset, 64)).toString('latin1');
  const trimmed = head.replace(/^[\0\t\n\f\r ]+/, '');
  if (trimmed.startsWith('xref')) return 'table';
  if (/^\d+\s+\d+\s+obj/.test(trimmed)) return 'stream';
  throw new MapsignError('PDF_MALFORMED', `no cross-reference section at offset ${offset}`, { details: { offset } });
}

export async function readXrefChain(source: FileSource, startxref: number, limits: ReaderLimits): Promise<XrefChain> {
  const index = new XrefIndex(limits.maxObjects);
  const sections: XrefSection[] = [];
  const visited = new Set<number>();
  let offset: number | undefined = startxref;
  while (offset !== undefined) {
    checkOffset(offset, source, 'cross-reference offset');
    if (visited.has(offset)) {
      throw new MapsignError('PDF_XREF_LOOP', `cross-reference chain returns to offset ${offset}`, { details: { offset } });
    }
    if (visited.size >= limits.maxRevisions) {
      throw new MapsignError('PDF_LIMIT_EXCEEDED', `more than ${limits.maxRevisions} cross-reference sections`);
    }
    visited.add(offset);
    const kind = await sectionKindAt(source, offset);
    let section: XrefSection;
    if (kind === 'table') {
      const start = offset;
      const table = await parseWithGrowingWindow(source, offset, limits, parseTable, 64 * 1024);
      for (const { num, entry } of table.entries) if (entry.type === 'offset') index.setIfUnset(num, entry);
      let entryCount = table.entries.length;
      const hybridOffset = table.trailer.getNumber('XRefStm');
      if (hybridOffset !== undefined) {
        checkOffset(hybridOffset, source, '/XRefStm offset');
        const hybrid = await readXrefStream(source, hybridOffset, limits);
        for (const { num, entry } of hybrid.entries) index.setIfUnset(num, entry);
        entryCount += hybrid.entries.length;
      }
      for (const { num, entry } of table.entries) if (entry.type === 'free') index.setIfUnset(num, entry);
      section = { offset: start, kind, trailer: table.trailer, entryCount };
      if (hybridOffset !== undefined) section.hybridStreamOffset = hybridOffset;
    } else {
      const stream = await readXrefStream(source, offset, limits);
      for (const { num, entry } of stream.entries) index.setIfUnset(num, entry);
      section = { offset, kind, trailer: stream.trailer, entryCount: stream.entries.length };
    }
    sections.push(section);
    const prev: unknown = section.trailer.get('Prev');
    offset = typeof prev === 'number' ? prev : undefined;
  }
  const newest = sections[0]!;
  return { index, sections, trailer: newest.trailer };
}
