// DER helpers for the cms module (X.690): strict decoding of the bytes we are handed, encoding
// to Buffer, and the canonical order of SET OF components (X.690 §11.6).
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

/** A fresh Buffer holding the bytes of a view (asn1js views may alias a larger input). */
export function copyBytes(view: Uint8Array): Buffer {
  return Buffer.from(view);
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
