// Reads a PDF as it was at an earlier revision (ISO 32000-2 §7.5.6 incremental updates): a reader
// over the first `end` bytes of the file, the cross-reference entries of that state, and where the
// entries of a dictionary lie in the file. Read-only helpers for signature validation.

import { MapsignError } from '../errors.js';
import type { FileSource } from './file-source.js';
import { PdfName, type PdfObject } from './objects.js';
import { NeedMoreData } from './parser.js';
import { PdfReader } from './pdf-reader.js';
import { parseWithGrowingWindow, readXrefChain, type ReaderLimits, type XrefEntry } from './xref.js';

/** The bytes `[0, size)` of a file already open: what the file was when that revision was saved. */
class PrefixSource {
  constructor(
    private readonly inner: FileSource,
    readonly size: number,
  ) {}

  get path(): string {
    return this.inner.path;
  }

  read(offset: number, length: number): Promise<Buffer> {
    const start = Math.max(0, Math.min(offset, this.size));
    return this.inner.read(start, Math.max(0, Math.min(length, this.size - start)));
  }

  /** The handle belongs to the reader the prefix was taken from. */
  async close(): Promise<void> {}
}

interface ReaderFactory {
  fromSource(source: FileSource, limits: ReaderLimits): Promise<PdfReader>;
}

/**
 * A reader of the document as it was when the file was `end` bytes long: the last `startxref`
 * before `end` and its /Prev chain. It shares `reader`'s file handle; closing it is harmless, and
 * it must not be used after `reader` is closed. PdfReader has no public constructor over a source,
 * so this reaches its private factory instead of changing pdf-reader.ts.
 */
export async function openRevisionReader(reader: PdfReader, end: number): Promise<PdfReader> {
  if (!Number.isSafeInteger(end) || end <= 0 || end > reader.size) {
    throw new MapsignError('PDF_MALFORMED', `revision end ${end} is outside the file (${reader.size} bytes)`);
  }
  const source = new PrefixSource(reader.source, end) as unknown as FileSource;
  return (PdfReader as unknown as ReaderFactory).fromSource(source, reader.limits);
}

/** The merged cross-reference entries of a reader's state: the newest entry of each object number. */
export interface RevisionIndex {
  /** One more than the highest object number the index can hold. */
  readonly length: number;
  get(num: number): XrefEntry | undefined;
}

/** Reads the cross-reference chain of `reader` again and returns its merged entries. */
export async function readRevisionIndex(reader: PdfReader): Promise<RevisionIndex> {
  const chain = await readXrefChain(reader.source, reader.startxref, reader.limits);
  return { length: chain.index.length, get: (num) => chain.index.get(num) };
}

/** Where one entry of a dictionary lies in the file: the key, and its value from `start` to `end`. */
export interface DictionaryEntryLocation {
  key: string;
  start: number;
  end: number;
}

export interface DictionaryLayout {
  /** File offset of "N G obj". */
  objectOffset: number;
  /** File offset of "<<" and one past ">>". */
  start: number;
  end: number;
  /** Every entry in file order, repeated keys included. */
  entries: DictionaryEntryLocation[];
}

/**
 * Parses the indirect dictionary at `offset` (object `num` `gen`) and returns where each of its
 * entries lies in the file: what a signature's /ByteRange must be checked against.
 */
export async function locateDictionaryEntries(reader: PdfReader, offset: number, num: number, gen: number): Promise<DictionaryLayout> {
  return parseWithGrowingWindow(reader.source, offset, reader.limits, (parser) => {
    let header: { num: number; gen: number };
    try {
      header = parser.readObjectHeader();
    } catch (error) {
      if (error instanceof NeedMoreData) throw error;
      throw new MapsignError('PDF_MALFORMED', `no object starts at offset ${offset}`, { cause: error, details: { offset } });
    }
    if (header.num !== num || header.gen !== gen) {
      throw new MapsignError('PDF_MALFORMED', `offset ${offset} holds object ${header.num} ${header.gen}, not ${num} ${gen}`, { details: { offset } });
    }
    parser.skipWhitespace();
    const start = parser.fileOffset;
    if (parser.buf[parser.pos] !== 0x3c || parser.buf[parser.pos + 1] !== 0x3c) parser.fail('object is not a dictionary');
    parser.pos += 2;
    const entries: DictionaryEntryLocation[] = [];
    for (;;) {
      parser.skipWhitespace();
      if (parser.buf[parser.pos] === 0x3e) {
        if (parser.pos + 1 >= parser.buf.length && !parser.isFileEnd) throw new NeedMoreData();
        if (parser.buf[parser.pos + 1] !== 0x3e) parser.fail('bad dictionary end');
        parser.pos += 2;
        return { objectOffset: offset, start, end: parser.fileOffset, entries };
      }
      const key: PdfObject = parser.parseObject(1);
      if (!(key instanceof PdfName)) return parser.fail('dictionary key is not a name');
      parser.skipWhitespace();
      const valueStart = parser.fileOffset;
      parser.parseObject(1);
      entries.push({ key: key.value, start: valueStart, end: parser.fileOffset });
    }
  });
}
