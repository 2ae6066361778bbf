// DER helpers for the cms module (X.690): strict decoding of the bytes we are handed, encoding
// to Buffer, elements written by hand, and the canonical order of SET OF components (X.690 §11.6).
import * as asn1js from 'asn1js';
import { MapsignError } from '../errors.js';

export type AsnBlock = ReturnType<typeof asn1js.fromBER>['result'];

/**
 * Decodes one complete BER element; trailing bytes or a parse error raise CMS_MALFORMED naming
 * `what`. With `isZeroPaddingAllowed`, trailing 0x00 bytes pass: a PDF's /Contents holds the
 * CMS followed by the zero padding of its reservation.
 */
export function decodeBer(bytes: Uint8Array, what: string, isZeroPaddingAllowed = false): AsnBlock {
  const parsed = asn1js.fromBER(bytes);
  if (parsed.offset === -1) {
    throw new MapsignError('CMS_MALFORMED', `${what} is not valid ASN.1: ${parsed.result.error || 'parse error'}`, {
      details: { input: what, length: bytes.length },
    });
  }
  const isPadding = isZeroPaddingAllowed && parsed.offset > 0 && bytes.subarray(parsed.offset).every((b) => b === 0);
  if (parsed.offset !== bytes.length && !isPadding) {
    throw new MapsignError('CMS_MALFORMED', `${what} has ${bytes.length - parsed.offset} trailing bytes after its ASN.1 element`, {
      details: { input: what, length: bytes.length, decoded: parsed.offset },
    });
  }
  return parsed.result;
}

/**
 * Decodes bytes we will embed or hash, and proves asn1js writes them back unchanged. Anything
 * we re-encode must come out byte for byte, or hashes over it (ESSCertIDv2, the signed
 * attributes) would no longer match; only DER guarantees that.
 */
export function decodeDer(bytes: Uint8Array, what: string): AsnBlock {
  const block = decodeBer(bytes, what);
  if (!encodeDer(block).equals(bytes)) {
    throw new MapsignError('CMS_MALFORMED', `${what} is not DER-encoded, so it cannot be embedded without altering it`, {
      details: { input: what, length: bytes.length },
    });
  }
  return block;
}

export function encodeDer(block: { toBER(sizeOnly?: boolean): ArrayBuffer }): Buffer {
  return Buffer.from(block.toBER(false));
}

/** X.690 §11.6: compare as octet strings, the shorter padded at its end with 0-octets. */
export function compareDer(a: Uint8Array, b: Uint8Array): number {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x - y;
  }
  return a.length - b.length;
}

/** The components of a SET OF in DER order. */
export function sortDer(elements: readonly Buffer[]): Buffer[] {
  return [...elements].sort(compareDer);
}

/** The one-byte identifiers (X.690 §8.1.2) of the elements mapsign writes. */
export const DER_TAG = {
  integer: 0x02,
  octetString: 0x04,
  objectIdentifier: 0x06,
  sequence: 0x30,
  set: 0x31,
  /** [n] constructed, context-specific class: IMPLICIT over a constructed type, or EXPLICIT. */
  context0: 0xa0,
  context1: 0xa1,
  context4: 0xa4,
  /** [0] primitive, context-specific class: IMPLICIT over a primitive type (a SubjectKeyIdentifier sid). */
  context0Primitive: 0x80,
} as const;

/** X.690 §8.1.3: the short form below 128, otherwise the long form in the fewest octets (DER, §10.1). */
export function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const octets: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) octets.unshift(rest % 256);
  return Buffer.from([0x80 | octets.length, ...octets]);
}

/** One definite-length element with a one-byte tag, its content the concatenation of `content`. */
export function encodeElement(tag: number, content: readonly Buffer[]): Buffer {
  let length = 0;
  for (const part of content) length += part.length;
  return Buffer.concat([Buffer.from([tag]), encodeLength(length), ...content]);
}

/** A SET OF from the DER of its components, sorted as DER requires. */
export function encodeSetOf(components: readonly Buffer[]): Buffer {
  return encodeElement(DER_TAG.set, sortDer(components));
}

/** X.690 §8.19: the first two arcs in one subidentifier, each subidentifier base 128 in the fewest octets. */
export function encodeObjectIdentifier(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const octets: number[] = [];
  for (const subidentifier of [first * 40 + second, ...rest]) {
    const septets = [subidentifier % 128];
    for (let high = Math.floor(subidentifier / 128); high > 0; high = Math.floor(high / 128)) septets.unshift(0x80 | high % 128);
    octets.push(...septets);
  }
  return encodeElement(DER_TAG.objectIdentifier, [Buffer.from(octets)]);
}

/** A fresh Buffer holding the bytes of a view (asn1js views may alias a larger input). */
export function copyBytes(view: Uint8Array): Buffer {
  return Buffer.from(view);
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
