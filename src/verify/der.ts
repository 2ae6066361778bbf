// A minimal, bounds-checked BER/DER walker (X.690 §8.1) for the few fields the validator reads
// that the cms module does not hand out: unsigned attributes, encapsulated content, CRL issuers
// and OCSP serials. It only navigates; it never builds ASN.1.

export interface Tlv {
  /** The identifier octet (class, constructed bit and tag number below 31). */
  tag: number;
  isConstructed: boolean;
  /** Offsets in the buffer: the whole element, and its contents. */
  start: number;
  contentStart: number;
  contentEnd: number;
  end: number;
}

export class DerError extends Error {
  override readonly name = 'DerError';
}

const MAX_DEPTH = 64;

/** Reads the element at `offset` of `buf`, within `limit`. Indefinite lengths are resolved by walking to the end-of-contents octets. */
export function readTlv(buf: Buffer, offset: number, limit = buf.length, depth = 0): Tlv {
  if (depth > MAX_DEPTH) throw new DerError('nested too deep');
  if (offset + 2 > limit) throw new DerError(`element at ${offset} runs past its container`);
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError(`multi-byte tag at ${offset} not supported`);
  const isConstructed = (tag & 0x20) !== 0;
  const first = buf[offset + 1]!;
  let pos = offset + 2;
  if (first === 0x80) {
    if (!isConstructed) throw new DerError(`indefinite length on a primitive element at ${offset}`);
    let child = pos;
    for (;;) {
      if (child + 2 > limit) throw new DerError(`indefinite-length element at ${offset} has no end`);
      if (buf[child] === 0 && buf[child + 1] === 0) return { tag, isConstructed, start: offset, contentStart: pos, contentEnd: child, end: child + 2 };
      child = readTlv(buf, child, limit, depth + 1).end;
    }
  }
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count > 6 || pos + count > limit) throw new DerError(`bad length at ${offset}`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[pos + i]!;
    pos += count;
  }
  const end = pos + length;
  if (end > limit) throw new DerError(`element at ${offset} runs past its container`);
  return { tag, isConstructed, start: offset, contentStart: pos, contentEnd: end, end };
}

/** The elements inside a constructed element. */
export function childrenOf(buf: Buffer, parent: Tlv): Tlv[] {
  if (!parent.isConstructed) throw new DerError(`element at ${parent.start} is not constructed`);
  const children: Tlv[] = [];
  for (let pos = parent.contentStart; pos < parent.contentEnd; ) {
    const child = readTlv(buf, pos, parent.contentEnd);
    children.push(child);
    pos = child.end;
  }
  return children;
}

export function bytesOf(buf: Buffer, tlv: Tlv): Buffer {
  return buf.subarray(tlv.start, tlv.end);
}

export function contentOf(buf: Buffer, tlv: Tlv): Buffer {
  return buf.subarray(tlv.contentStart, tlv.contentEnd);
}

/** Dotted form of an OBJECT IDENTIFIER's contents. */
export function decodeOid(content: Buffer): string {
  const parts: number[] = [];
  let value = 0;
  for (const byte of content) {
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      if (parts.length === 0) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

/** Length of the DER element at the start of `padded` (a /Contents value is zero-padded), or -1. */
export function leadingElementLength(padded: Buffer): number {
  try {
    return readTlv(padded, 0).end;
  } catch {
    return -1;
  }
}

/** Reads UTCTime (tag 0x17) or GeneralizedTime (tag 0x18) contents; null when unreadable. */
export function decodeTime(tag: number, content: Buffer): Date | null {
  const text = content.toString('latin1');
  const match =
    tag === 0x17
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/.exec(text)
      : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:\.\d+)?Z$/.exec(text);
  if (!match) return null;
  let year = Number(match[1]);
  if (tag === 0x17) year += year < 50 ? 2000 : 1900;
  const date = new Date(Date.UTC(year, Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6] ?? 0)));
  return Number.isNaN(date.getTime()) ? null : date;
}
