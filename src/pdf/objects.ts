// The PDF object model (ISO 32000-2 §7.3): the nine object types as the reader returns them
// and the writer accepts them. Strings keep their bytes, streams keep where their data lies.

export class PdfName {
  constructor(readonly value: string) {}
  toString(): string {
    return `/${this.value}`;
  }
}

export class PdfRef {
  constructor(
    readonly num: number,
    readonly gen: number,
  ) {}
  toString(): string {
    return `${this.num} ${this.gen} R`;
  }
  equals(other: PdfRef): boolean {
    return this.num === other.num && this.gen === other.gen;
  }
}

export class PdfString {
  constructor(
    readonly bytes: Buffer,
    readonly isHex = false,
  ) {}

  /** A text string (§7.9.2.2): PDFDocEncoding when plain ASCII, UTF-16BE with a BOM otherwise. */
  static fromText(text: string): PdfString {
    const normalized = text.normalize('NFC');
    if (/^[\x20-\x7e]*$/.test(normalized)) return new PdfString(Buffer.from(normalized, 'latin1'));
    const utf16 = Buffer.from(normalized, 'utf16le').swap16();
    return new PdfString(Buffer.concat([Buffer.from([0xfe, 0xff]), utf16]), true);
  }

  /** Decodes a text string: UTF-16BE with BOM, UTF-8 with BOM (PDF 2.0), else PDFDocEncoding (read as latin1). */
  toText(): string {
    const b = this.bytes;
    if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return Buffer.from(b.subarray(2)).swap16().toString('utf16le');
    if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return b.subarray(3).toString('utf8');
    return b.toString('latin1');
  }
}

export class PdfDict {
  readonly entries: Map<string, PdfObject>;

  constructor(entries?: Iterable<[string, PdfObject]>) {
    this.entries = new Map(entries);
  }

  get(key: string): PdfObject | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: PdfObject): this {
    this.entries.set(key, value);
    return this;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** A shallow copy, so that a changed object never alters what the reader cached. */
  clone(): PdfDict {
    return new PdfDict(this.entries);
  }

  getName(key: string): string | undefined {
    const value = this.entries.get(key);
    return value instanceof PdfName ? value.value : undefined;
  }

  getNumber(key: string): number | undefined {
    const value = this.entries.get(key);
    return typeof value === 'number' ? value : undefined;
  }
}

/** A stream as read: its dictionary and where its (still encoded) data lies in the file. */
export class PdfStream {
  constructor(
    readonly dict: PdfDict,
    readonly dataOffset: number,
    readonly dataLength: number,
  ) {}
}

/** A stream built in memory, for objects the writer adds. */
export class PdfNewStream {
  constructor(
    readonly dict: PdfDict,
    readonly data: Buffer,
  ) {}
}

export type PdfObject =
  | null
  | boolean
  | number
  | PdfName
  | PdfString
  | PdfRef
  | PdfDict
  | PdfStream
  | PdfNewStream
  | PdfObject[];

export function isDict(value: PdfObject | undefined): value is PdfDict {
  return value instanceof PdfDict;
}

export function isRef(value: PdfObject | undefined): value is PdfRef {
  return value instanceof PdfRef;
}

export function name(value: string): PdfName {
  return new PdfName(value);
}

export function dict(entries: Record<string, PdfObject>): PdfDict {
  return new PdfDict(Object.entries(entries));
}
