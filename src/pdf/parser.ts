// Parses PDF objects from a byte window (ISO 32000-2 §7.2 lexical conventions, §7.3 objects).
// The window may end mid-object: the parser then throws NeedMoreData and the caller reads
// a larger window, so no object forces the whole file into memory.

import { MapsignError } from '../errors.js';
import { PdfDict, PdfName, PdfRef, PdfString, type PdfObject } from './objects.js';

/** Thrown when the window ends before the object does; not an error of the file. */
export class NeedMoreData extends Error {
  override readonly name = 'NeedMoreData';
}

const MAX_NESTING = 256;
const HEX_DIGITS = /^[0-9a-fA-F]*$/;

const WHITESPACE = new Uint8Array(256);
for (const c of [0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]) WHITESPACE[c] = 1;
const DELIMITER = new Uint8Array(256);
for (const c of '()<>[]{}/%') DELIMITER[c.charCodeAt(0)] = 1;

export function isWhitespace(c: number | undefined): boolean {
  return c !== undefined && WHITESPACE[c] === 1;
}

function isRegular(c: number | undefined): boolean {
  return c !== undefined && WHITESPACE[c] === 0 && DELIMITER[c] === 0;
}

export class PdfParser {
  pos: number;

  /**
   * @param buf the window of bytes
   * @param base file offset of buf[0], for error messages and stream offsets
   * @param isFileEnd whether the window reaches the end of the file (then running out is malformed, not NeedMoreData)
   */
  constructor(
    readonly buf: Buffer,
    readonly base = 0,
    readonly isFileEnd = false,
    start = 0,
  ) {
    this.pos = start;
  }

  get fileOffset(): number {
    return this.base + this.pos;
  }

  fail(message: string): never {
    throw new MapsignError('PDF_MALFORMED', `${message} at offset ${this.fileOffset}`, { details: { offset: this.fileOffset } });
  }

  private outOfData(): never {
    if (this.isFileEnd) {
      throw new MapsignError('PDF_TRUNCATED', `file ends inside an object at offset ${this.fileOffset}`, {
        details: { offset: this.fileOffset },
      });
    }
    throw new NeedMoreData();
  }

  skipWhitespace(): void {
    const buf = this.buf;
    for (;;) {
      while (this.pos < buf.length && WHITESPACE[buf[this.pos]!] === 1) this.pos++;
      if (this.pos < buf.length && buf[this.pos] === 0x25 /* % */) {
        while (this.pos < buf.length && buf[this.pos] !== 0x0a && buf[this.pos] !== 0x0d) this.pos++;
        if (this.pos >= buf.length) this.outOfData();
        continue;
      }
      break;
    }
    if (this.pos >= buf.length) this.outOfData();
  }

  /** Reads a bare keyword or number token without interpreting it. */
  readToken(): string {
    this.skipWhitespace();
    const start = this.pos;
    while (this.pos < this.buf.length && isRegular(this.buf[this.pos])) this.pos++;
    if (this.pos >= this.buf.length && !this.isFileEnd) this.outOfData();
    if (this.pos === start) this.fail('expected a token');
    return this.buf.toString('latin1', start, this.pos);
  }

  expectKeyword(keyword: string): void {
    const token = this.readToken();
    if (token !== keyword) this.fail(`expected '${keyword}', found '${token.slice(0, 20)}'`);
  }

  readInteger(): number {
    const token = this.readToken();
    if (!/^\d+$/.test(token)) this.fail(`expected an integer, found '${token.slice(0, 20)}'`);
    return Number(token);
  }

  /** Reads "N G obj" and returns the object number and generation. */
  readObjectHeader(): { num: number; gen: number } {
    const num = this.readInteger();
    const gen = this.readInteger();
    this.expectKeyword('obj');
    return { num, gen };
  }

  parseObject(depth = 0): PdfObject {
    if (depth > MAX_NESTING) {
      throw new MapsignError('PDF_LIMIT_EXCEEDED', `objects nested deeper than ${MAX_NESTING} at offset ${this.fileOffset}`);
    }
    this.skipWhitespace();
    const c = this.buf[this.pos]!;
    if (c === 0x2f /* / */) return this.parseName();
    if (c === 0x28 /* ( */) return this.parseLiteralString();
    if (c === 0x3c /* < */) {
      if (this.peek(1) === 0x3c) return this.parseDict(depth);
      return this.parseHexString();
    }
    if (c === 0x5b /* [ */) return this.parseArray(depth);
    if (c === 0x2b || c === 0x2d || c === 0x2e || (c >= 0x30 && c <= 0x39)) return this.parseNumberOrRef();
    const token = this.readToken();
    if (token === 'true') return true;
    if (token === 'false') return false;
    if (token === 'null') return null;
    return this.fail(`unexpected token '${token.slice(0, 20)}'`);
  }

  private peek(ahead: number): number | undefined {
    const index = this.pos + ahead;
    if (index >= this.buf.length) this.outOfData();
    return this.buf[index];
  }

  private parseNumberOrRef(): number | PdfRef {
    const start = this.pos;
    const first = this.readNumberToken();
    if (!Number.isInteger(first) || first < 0 || this.buf[start] === 0x2b || this.buf[start] === 0x2d) return first;
    // Look ahead for "G R" without consuming it unless it is a reference.
    const save = this.pos;
    try {
      this.skipWhitespace();
      const c = this.buf[this.pos]!;
      if (c < 0x30 || c > 0x39) {
        this.pos = save;
        return first;
      }
      const genStart = this.pos;
      while (this.pos < this.buf.length && this.buf[this.pos]! >= 0x30 && this.buf[this.pos]! <= 0x39) this.pos++;
      if (this.pos >= this.buf.length) this.outOfData();
      if (!isWhitespace(this.buf[this.pos]) && this.buf[this.pos] !== 0x25) {
        this.pos = save;
        return first;
      }
      const gen = Number(this.buf.toString('latin1', genStart, this.pos));
      this.skipWhitespace();
      if (this.buf[this.pos] === 0x52 /* R */) {
        if (this.pos + 1 >= this.buf.length && !this.isFileEnd) this.outOfData();
        if (!isRegular(this.buf[this.pos + 1])) {
          this.pos++;
          return new PdfRef(first, gen);
        }
      }
      this.pos = save;
      return first;
    } catch (error) {
      if (error instanceof NeedMoreData) throw error;
      this.pos = save;
      return first;
    }
  }

  private readNumberToken(): number {
    const start = this.pos;
    while (this.pos < this.buf.length && isRegular(this.buf[this.pos])) this.pos++;
    if (this.pos >= this.buf.length) this.outOfData();
    const text = this.buf.toString('latin1', start, this.pos);
    if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(text)) {
      this.pos = start;
      this.fail(`bad number '${text.slice(0, 20)}'`);
    }
    return Number(text);
  }

  private parseName(): PdfName {
    this.pos++;
    const start = this.pos;
    while (this.pos < this.buf.length && isRegular(this.buf[this.pos])) this.pos++;
    if (this.pos >= this.buf.length && !this.isFileEnd) this.outOfData();
    const raw = this.buf.subarray(start, this.pos);
    if (!raw.includes(0x23 /* # */)) return new PdfName(raw.toString('latin1'));
    const bytes: number[] = [];
    for (let i = 0; i < raw.length; i++) {
      const b = raw[i]!;
      if (b === 0x23 && i + 2 < raw.length && /^[0-9a-fA-F]{2}$/.test(raw.toString('latin1', i + 1, i + 3))) {
        bytes.push(parseInt(raw.toString('latin1', i + 1, i + 3), 16));
        i += 2;
      } else {
        bytes.push(b);
      }
    }
    return new PdfName(Buffer.from(bytes).toString('latin1'));
  }

  private parseLiteralString(): PdfString {
    this.pos++;
    const out: number[] = [];
    let depth = 1;
    const buf = this.buf;
    for (;;) {
      if (this.pos >= buf.length) this.outOfData();
      const c = buf[this.pos++]!;
      if (c === 0x5c /* \ */) {
        if (this.pos >= buf.length) this.outOfData();
        const e = buf[this.pos++]!;
        const simple: Record<number, number> = { 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09, 0x62: 0x08, 0x66: 0x0c, 0x28: 0x28, 0x29: 0x29, 0x5c: 0x5c };
        if (simple[e] !== undefined) out.push(simple[e]);
        else if (e >= 0x30 && e <= 0x37) {
          let value = e - 0x30;
          for (let k = 0; k < 2 && this.pos < buf.length && buf[this.pos]! >= 0x30 && buf[this.pos]! <= 0x37; k++) {
            value = value * 8 + (buf[this.pos++]! - 0x30);
          }
          out.push(value & 0xff);
        } else if (e === 0x0d) {
          if (buf[this.pos] === 0x0a) this.pos++;
        } else if (e !== 0x0a) out.push(e);
        continue;
      }
      if (c === 0x28) depth++;
      else if (c === 0x29 && --depth === 0) break;
      out.push(c);
    }
    return new PdfString(Buffer.from(out), false);
  }

  private parseHexString(): PdfString {
    this.pos++;
    const end = this.buf.indexOf(0x3e /* > */, this.pos);
    if (end < 0) this.outOfData();
    let hex = this.buf.toString('latin1', this.pos, end);
    // A signature's /Contents is tens of kilobytes of hex without a break: test before copying it.
    if (!HEX_DIGITS.test(hex)) {
      hex = hex.replace(/[\0\t\n\f\r ]/g, '');
      if (!HEX_DIGITS.test(hex)) this.fail('bad hex string');
    }
    this.pos = end + 1;
    return new PdfString(Buffer.from(hex.length % 2 ? `${hex}0` : hex, 'hex'), true);
  }

  private parseArray(depth: number): PdfObject[] {
    this.pos++;
    const items: PdfObject[] = [];
    for (;;) {
      this.skipWhitespace();
      if (this.buf[this.pos] === 0x5d /* ] */) {
        this.pos++;
        return items;
      }
      items.push(this.parseObject(depth + 1));
    }
  }

  private parseDict(depth: number): PdfDict {
    this.pos += 2;
    const result = new PdfDict();
    for (;;) {
      this.skipWhitespace();
      if (this.buf[this.pos] === 0x3e /* > */) {
        if (this.peek(1) !== 0x3e) this.fail('bad dictionary end');
        this.pos += 2;
        return result;
      }
      const key = this.parseObject(depth + 1);
      if (!(key instanceof PdfName)) this.fail('dictionary key is not a name');
      const value = this.parseObject(depth + 1);
      // A null value is the same as an absent entry (§7.3.7).
      if (value !== null) result.set(key.value, value);
    }
  }

  /**
   * After a stream dictionary: consumes "stream" and its end-of-line and returns the data offset
   * in the file, or null when the next token is not "stream".
   */
  readStreamStart(): number | null {
    this.skipWhitespace();
    if (this.buf.length - this.pos < 7 && !this.isFileEnd) this.outOfData();
    if (this.buf.toString('latin1', this.pos, this.pos + 6) !== 'stream') return null;
    this.pos += 6;
    if (this.pos + 2 > this.buf.length && !this.isFileEnd) this.outOfData();
    if (this.buf[this.pos] === 0x0d) this.pos++;
    if (this.buf[this.pos] === 0x0a) this.pos++;
    return this.fileOffset;
  }
}
