// Lazy reader of a PDF file (ISO 32000-2 §7.5 file structure, §7.7 document structure): it reads
// the tail, the cross-reference chain, and then only the objects that are asked for, with
// positioned reads. Refuses encrypted files and keeps every read inside configured limits.

import { MapsignError } from '../errors.js';
import { FileSource } from './file-source.js';
import { decodeStreamData } from './filters.js';
import { PdfDict, PdfName, PdfRef, PdfStream, isDict, type PdfObject } from './objects.js';
import { NeedMoreData, PdfParser } from './parser.js';
import { DEFAULT_LIMITS, parseWithGrowingWindow, readXrefChain, type ReaderLimits, type XrefChain, type XrefSection } from './xref.js';

export interface PageInfo {
  ref: PdfRef;
  dict: PdfDict;
  /** 1-based page number. */
  pageNumber: number;
  mediaBox: [number, number, number, number];
  cropBox: [number, number, number, number];
  rotate: 0 | 90 | 180 | 270;
  userUnit: number;
}

interface DecodedObjectStream {
  data: Buffer;
  first: number;
  offsets: number[];
  numbers: number[];
}

const TAIL_WINDOW = 4096;
const MAX_TAIL_SCAN = 1024 * 1024;
const MAX_PAGE_TREE_DEPTH = 64;

export class PdfReader {
  private readonly cache = new Map<number, PdfObject>();
  private readonly objectStreams = new Map<number, DecodedObjectStream>();

  private constructor(
    readonly source: FileSource,
    readonly headerVersion: string,
    readonly startxref: number,
    private readonly chain: XrefChain,
    readonly limits: ReaderLimits,
  ) {}

  static async open(path: string, limits: Partial<ReaderLimits> = {}): Promise<PdfReader> {
    const source = await FileSource.open(path);
    try {
      return await PdfReader.fromSource(source, { ...DEFAULT_LIMITS, ...limits });
    } catch (error) {
      await source.close();
      throw error;
    }
  }

  private static async fromSource(source: FileSource, limits: ReaderLimits): Promise<PdfReader> {
    const head = await source.read(0, 1024);
    const headerAt = head.indexOf('%PDF-');
    if (headerAt < 0) throw new MapsignError('PDF_NOT_PDF', `${source.path} has no %PDF- header`, { details: { path: source.path } });
    const headerVersion = /^%PDF-(\d\.\d)/.exec(head.toString('latin1', headerAt, headerAt + 12))?.[1] ?? '1.7';
    const startxref = await findStartxref(source);
    const chain = await readXrefChain(source, startxref, limits);
    if (chain.trailer.has('Encrypt')) {
      throw new MapsignError('PDF_ENCRYPTED', `${source.path} is encrypted; decrypt it before signing`, { details: { path: source.path } });
    }
    const reader = new PdfReader(source, headerVersion, startxref, chain, limits);
    const root = chain.trailer.get('Root');
    if (!(root instanceof PdfRef)) throw new MapsignError('PDF_MALFORMED', 'trailer has no /Root reference');
    const catalog = await reader.getObject(root);
    if (!isDict(catalog) || catalog.getName('Type') !== 'Catalog') {
      // Some producers omit /Type; a /Pages entry is the minimum we need.
      if (!isDict(catalog) || !catalog.has('Pages')) throw new MapsignError('PDF_MALFORMED', `/Root ${root} is not a catalog`);
    }
    return reader;
  }

  get size(): number {
    return this.source.size;
  }

  get trailer(): PdfDict {
    return this.chain.trailer;
  }

  /** Cross-reference sections, newest first. */
  get sections(): readonly XrefSection[] {
    return this.chain.sections;
  }

  /** The kind of the newest cross-reference section, which an increment must repeat. */
  get lastXrefKind(): 'table' | 'stream' {
    return this.chain.sections[0]!.kind;
  }

  /** One more than the highest object number in use: the trailer's /Size, never less than the index. */
  get nextObjectNumber(): number {
    return Math.max(this.chain.trailer.getNumber('Size') ?? 0, this.chain.index.length === 0 ? 0 : 1);
  }

  get rootRef(): PdfRef {
    return this.chain.trailer.get('Root') as PdfRef;
  }

  async close(): Promise<void> {
    await this.source.close();
  }

  async resolve(value: PdfObject | undefined): Promise<PdfObject | undefined> {
    let current = value;
    for (let hops = 0; current instanceof PdfRef; hops++) {
      if (hops > 32) throw new MapsignError('PDF_MALFORMED', `reference chain too long at ${current}`);
      current = await this.getObject(current);
    }
    return current;
  }

  async resolveDict(value: PdfObject | undefined): Promise<PdfDict | undefined> {
    const resolved = await this.resolve(value);
    if (resolved instanceof PdfStream) return resolved.dict;
    return isDict(resolved) ? resolved : undefined;
  }

  async getObject(ref: PdfRef): Promise<PdfObject> {
    const cached = this.cache.get(ref.num);
    if (cached !== undefined) return cached;
    const entry = this.chain.index.get(ref.num);
    let value: PdfObject;
    if (entry === undefined || entry.type === 'free') value = null;
    else if (entry.type === 'offset') {
      if (entry.gen !== ref.gen) value = null;
      else value = await this.readObjectAt(entry.offset, ref);
    } else value = await this.readCompressedObject(entry.streamNum, entry.index, ref);
    this.cache.set(ref.num, value);
    return value;
  }

  async catalog(): Promise<PdfDict> {
    return (await this.resolveDict(this.rootRef))!;
  }

  /** Reads and decodes a stream's data, refusing anything larger than `maxBytes`. */
  async readStream(stream: PdfStream, maxBytes: number, where: string): Promise<Buffer> {
    if (stream.dataLength > maxBytes) {
      throw new MapsignError('PDF_LIMIT_EXCEEDED', `${where} is ${stream.dataLength} bytes, over the limit of ${maxBytes}`);
    }
    const raw = await this.source.read(stream.dataOffset, stream.dataLength);
    return decodeStreamData(stream.dict, raw, maxBytes, where);
  }

  private async readObjectAt(offset: number, ref: PdfRef): Promise<PdfObject> {
    if (offset >= this.source.size) {
      throw new MapsignError('PDF_MALFORMED', `cross-reference entry of ${ref} points past the end of the file`, {
        details: { offset },
      });
    }
    const parsed = await parseWithGrowingWindow(this.source, offset, this.limits, (parser) => {
      let header: { num: number; gen: number };
      try {
        header = parser.readObjectHeader();
      } catch (error) {
        if (error instanceof NeedMoreData) throw error;
        throw new MapsignError('PDF_MALFORMED', `cross-reference entry of ${ref} points to offset ${offset}, where no object starts`, {
          cause: error,
          details: { offset },
        });
      }
      if (header.num !== ref.num || header.gen !== ref.gen) {
        throw new MapsignError('PDF_MALFORMED', `cross-reference entry of ${ref} points to object ${header.num} ${header.gen} at offset ${offset}`, {
          details: { offset },
        });
      }
      const value = parser.parseObject();
      const dataOffset = value instanceof PdfDict ? parser.readStreamStart() : null;
      return { value, dataOffset };
    });
    if (parsed.dataOffset === null) return parsed.value;
    const dict = parsed.value as PdfDict;
    const lengthValue = dict.get('Length');
    const length = lengthValue instanceof PdfRef ? await this.getObject(lengthValue) : lengthValue;
    if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
      throw new MapsignError('PDF_MALFORMED', `stream ${ref} has no usable /Length`);
    }
    if (parsed.dataOffset + length > this.source.size) {
      throw new MapsignError('PDF_TRUNCATED', `stream ${ref} runs past the end of the file`);
    }
    return new PdfStream(dict, parsed.dataOffset, length);
  }

  private async readCompressedObject(streamNum: number, index: number, ref: PdfRef): Promise<PdfObject> {
    const objectStream = await this.decodeObjectStream(streamNum);
    const at = index < objectStream.numbers.length && objectStream.numbers[index] === ref.num ? index : objectStream.numbers.indexOf(ref.num);
    if (at < 0) throw new MapsignError('PDF_MALFORMED', `object stream ${streamNum} does not hold ${ref}`);
    const start = objectStream.first + objectStream.offsets[at]!;
    if (start >= objectStream.data.length) throw new MapsignError('PDF_MALFORMED', `object stream ${streamNum} has a bad offset for ${ref}`);
    const parser = new PdfParser(objectStream.data, 0, true, start);
    return parser.parseObject();
  }

  private async decodeObjectStream(streamNum: number): Promise<DecodedObjectStream> {
    const cached = this.objectStreams.get(streamNum);
    if (cached) return cached;
    const streamEntry = this.chain.index.get(streamNum);
    if (streamEntry?.type !== 'offset') throw new MapsignError('PDF_MALFORMED', `object stream ${streamNum} is not an uncompressed object`);
    const stream = await this.readObjectAt(streamEntry.offset, new PdfRef(streamNum, streamEntry.gen));
    if (!(stream instanceof PdfStream) || stream.dict.getName('Type') !== 'ObjStm') {
      throw new MapsignError('PDF_MALFORMED', `object ${streamNum} is not an object stream`);
    }
    const count = stream.dict.getNumber('N');
    const first = stream.dict.getNumber('First');
    if (count === undefined || first === undefined || count < 0 || first < 0 || count > 1_000_000) {
      throw new MapsignError('PDF_LIMIT_EXCEEDED', `object stream ${streamNum} declares an unusable /N or /First`);
    }
    const data = await this.readStream(stream, this.limits.maxDecodedStreamBytes, `object stream ${streamNum}`);
    const parser = new PdfParser(data.subarray(0, first), 0, true);
    const numbers: number[] = [];
    const offsets: number[] = [];
    try {
      for (let i = 0; i < count; i++) {
        numbers.push(parser.readInteger());
        offsets.push(parser.readInteger());
      }
    } catch (error) {
      throw new MapsignError('PDF_MALFORMED', `object stream ${streamNum} has a bad header`, { cause: error });
    }
    const decoded = { data, first, offsets, numbers };
    if (this.objectStreams.size >= 4) this.objectStreams.delete(this.objectStreams.keys().next().value!);
    this.objectStreams.set(streamNum, decoded);
    return decoded;
  }

  async pageCount(): Promise<number> {
    const pages = await this.resolveDict((await this.catalog()).get('Pages'));
    const count = pages?.getNumber('Count');
    if (count === undefined || count < 0) throw new MapsignError('PDF_MALFORMED', 'page tree has no /Count');
    return count;
  }

  /** Page `pageNumber` (1-based) with its inherited /MediaBox, /CropBox and /Rotate (§7.7.3.4). */
  async getPage(pageNumber: number): Promise<PageInfo> {
    const total = await this.pageCount();
    if (!Number.isInteger(pageNumber) || pageNumber < 1 || pageNumber > total) {
      throw new MapsignError('PDF_PAGE_NOT_FOUND', `page ${pageNumber} does not exist; the document has ${total} pages`, {
        details: { page: pageNumber, pageCount: total },
      });
    }
    const catalog = await this.catalog();
    let nodeRef = catalog.get('Pages');
    let remaining = pageNumber - 1;
    const inherited: Record<string, PdfObject> = {};
    const seen = new Set<number>();
    for (let depth = 0; depth < MAX_PAGE_TREE_DEPTH; depth++) {
      if (!(nodeRef instanceof PdfRef)) throw new MapsignError('PDF_MALFORMED', 'page tree node is not an indirect object');
      if (seen.has(nodeRef.num)) throw new MapsignError('PDF_MALFORMED', `page tree loops at ${nodeRef}`);
      seen.add(nodeRef.num);
      const node = await this.resolveDict(nodeRef);
      if (!node) throw new MapsignError('PDF_MALFORMED', `page tree node ${nodeRef} is missing`);
      for (const key of ['MediaBox', 'CropBox', 'Rotate']) {
        const value = node.get(key);
        if (value !== undefined) inherited[key] = value;
      }
      const type = node.getName('Type');
      if (type === 'Page' || (type === undefined && !node.has('Kids'))) {
        return this.pageInfo(nodeRef, node, pageNumber, inherited);
      }
      const kids = await this.resolve(node.get('Kids'));
      if (!Array.isArray(kids)) throw new MapsignError('PDF_MALFORMED', `page tree node ${nodeRef} has no /Kids`);
      let next: PdfObject | undefined;
      for (const kid of kids) {
        const kidDict = await this.resolveDict(kid);
        if (!kidDict) continue;
        const isLeaf = kidDict.getName('Type') === 'Page' || !kidDict.has('Kids');
        const count = isLeaf ? 1 : (kidDict.getNumber('Count') ?? 0);
        if (remaining < count) {
          next = kid;
          break;
        }
        remaining -= count;
      }
      if (next === undefined) throw new MapsignError('PDF_MALFORMED', `page ${pageNumber} is not where /Count says`);
      nodeRef = next;
    }
    throw new MapsignError('PDF_LIMIT_EXCEEDED', `page tree deeper than ${MAX_PAGE_TREE_DEPTH}`);
  }

  private async pageInfo(ref: PdfRef, dict: PdfDict, pageNumber: number, inherited: Record<string, PdfObject>): Promise<PageInfo> {
    const mediaBox = await this.readRectangle(inherited['MediaBox']);
    if (!mediaBox) throw new MapsignError('PDF_MALFORMED', `page ${pageNumber} has no usable /MediaBox`);
    const cropBox = (await this.readRectangle(inherited['CropBox'])) ?? mediaBox;
    const rotateValue = await this.resolve(inherited['Rotate']);
    const rotate = (((typeof rotateValue === 'number' ? Math.round(rotateValue / 90) * 90 : 0) % 360) + 360) % 360;
    const userUnitValue = await this.resolve(dict.get('UserUnit'));
    const userUnit = typeof userUnitValue === 'number' && userUnitValue > 0 ? userUnitValue : 1;
    return { ref, dict, pageNumber, mediaBox, cropBox, rotate: rotate as PageInfo['rotate'], userUnit };
  }

  private async readRectangle(value: PdfObject | undefined): Promise<[number, number, number, number] | undefined> {
    const resolved = await this.resolve(value);
    if (!Array.isArray(resolved) || resolved.length !== 4) return undefined;
    const numbers: number[] = [];
    for (const item of resolved) {
      const n = await this.resolve(item);
      if (typeof n !== 'number') return undefined;
      numbers.push(n);
    }
    const [x1, y1, x2, y2] = numbers as [number, number, number, number];
    return [Math.min(x1, x2), Math.min(y1, y2), Math.max(x1, x2), Math.max(y1, y2)];
  }

  /** The catalog's /AcroForm: the dictionary, and its reference when it is an indirect object. */
  async acroForm(): Promise<{ dict: PdfDict; ref?: PdfRef } | undefined> {
    const value = (await this.catalog()).get('AcroForm');
    if (value === undefined) return undefined;
    const dict = await this.resolveDict(value);
    if (!dict) return undefined;
    return value instanceof PdfRef ? { dict, ref: value } : { dict };
  }

  /** Returns the name of a key as a plain string, for convenience in callers. */
  static nameOf(value: PdfObject | undefined): string | undefined {
    return value instanceof PdfName ? value.value : undefined;
  }
}

async function findStartxref(source: FileSource): Promise<number> {
  if (source.size < 32) throw new MapsignError('PDF_TRUNCATED', `${source.path} is too short to be a PDF (${source.size} bytes)`);
  for (let window = TAIL_WINDOW; ; window *= 16) {
    const length = Math.min(window, source.size);
    const tail = await source.read(source.size - length, length);
    const at = tail.lastIndexOf('startxref');
    if (at >= 0) {
      const match = /^startxref[\0\t\n\f\r ]+(\d+)/.exec(tail.toString('latin1', at, at + 40));
      if (!match) throw new MapsignError('PDF_MALFORMED', 'startxref is not followed by an offset');
      const offset = Number(match[1]);
      if (offset >= source.size) {
        throw new MapsignError('PDF_MALFORMED', `startxref ${offset} points past the end of the file (${source.size} bytes)`, {
          details: { offset, size: source.size },
        });
      }
      return offset;
    }
    if (length >= source.size || length >= MAX_TAIL_SCAN) {
      throw new MapsignError('PDF_TRUNCATED', `${source.path} has no startxref near its end: truncated or not finished`, {
        details: { path: source.path },
      });
    }
  }
}
