// Finds the signatures of every revision and checks where their bytes lie (ISO 32000-2 §12.8.1,
// ETSI EN 319 142-1 §5.3): /ByteRange is [0 a b c]; the gap [a, b) is exactly the /Contents hex
// string of that same dictionary; the range ends where the revision that added it ends. These are
// the checks that Universal Signature Forgery and Signature Wrapping try to slip past.

import { locateDictionaryEntries, PdfDict, PdfName, PdfRef, PdfString, type PdfObject, type PdfReader, type RevisionIndex } from '../pdf/index.js';
import { leadingElementLength } from './der.js';
import { readFormFields } from './form.js';
import type { Revision } from './revisions.js';
import type { ReportError } from './types.js';

export interface RevisionState {
  /** 0-based position in the revision list, oldest first. */
  position: number;
  revision: Revision;
  reader: PdfReader;
  index: RevisionIndex;
}

export interface FoundSignature {
  ref: PdfRef;
  /** Offset of "N G obj" of the signature dictionary, null when it sits in an object stream. */
  definitionOffset: number | null;
  fieldName: string | null;
  fieldRef: PdfRef | null;
  /** The field's /Lock dictionary (FieldMDP, §12.7.5.5), when present. */
  lock: PdfDict | null;
  /** Position of the revision in which the signature first appears. */
  position: number;
  dict: PdfDict | null;
  errors: ReportError[];
}

export interface SignatureLayout {
  byteRange: [number, number, number, number] | null;
  /** The DER at the start of /Contents, without its zero padding. */
  der: Buffer | null;
  errors: ReportError[];
}

const HEX_DIGIT = new Uint8Array(256);
for (const c of '0123456789abcdefABCDEF') HEX_DIGIT[c.charCodeAt(0)] = 1;

/** Signature fields with a value in `state`, keyed by the signature dictionary's identity. */
export async function findSignatures(state: RevisionState, found: FoundSignature[]): Promise<void> {
  const fields = await readFormFields(state.reader);
  for (const field of fields) {
    if (field.fieldType !== 'Sig') continue;
    const value = field.dict.get('V');
    if (value === undefined) continue;
    if (!(value instanceof PdfRef)) {
      found.push({
        ref: new PdfRef(0, 0),
        definitionOffset: null,
        fieldName: field.fullName,
        fieldRef: field.ref,
        lock: null,
        position: state.position,
        dict: await state.reader.resolveDict(value).catch(() => null) ?? null,
        errors: [{ code: 'SIGNATURE_FORMAT_INVALID', message: `field ${field.fullName}: the signature dictionary is not an indirect object` }],
      });
      continue;
    }
    const entry = state.index.get(value.num);
    const definitionOffset = entry?.type === 'offset' ? entry.offset : null;
    const isKnown = found.some((s) => s.ref.equals(value) && s.definitionOffset === definitionOffset);
    if (isKnown) continue;
    const dict = (await state.reader.resolveDict(value).catch(() => undefined)) ?? null;
    // The same dictionary written again unchanged in a later revision is the same signature.
    const isRewrite = found.some((s) => s.ref.equals(value) && s.dict !== null && dict !== null && sameSignatureValue(s.dict, dict));
    if (isRewrite) continue;
    const lock = (await state.reader.resolveDict(field.dict.get('Lock')).catch(() => undefined)) ?? null;
    found.push({ ref: value, definitionOffset, fieldName: field.fullName, fieldRef: field.ref, lock, position: state.position, dict, errors: [] });
  }
}

function sameSignatureValue(a: PdfDict, b: PdfDict): boolean {
  const contents = (d: PdfDict): string => (d.get('Contents') instanceof PdfString ? (d.get('Contents') as PdfString).bytes.toString('hex') : '');
  const range = (d: PdfDict): string => JSON.stringify(d.get('ByteRange') ?? null);
  return contents(a) === contents(b) && range(a) === range(b);
}

function isNonNegativeInteger(value: PdfObject | undefined): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Checks the byte layout of one signature against the state that added it and the list of
 * revisions. Every failure is a FORMAT_FAILURE: the signature does not say what it signed.
 */
export async function checkLayout(state: RevisionState, signature: FoundSignature, revisions: Revision[], maxContentsBytes: number): Promise<SignatureLayout> {
  const errors: ReportError[] = [];
  const fail = (code: ReportError['code'], message: string): SignatureLayout => {
    errors.push({ code, message });
    return { byteRange: null, der: null, errors };
  };
  const dict = signature.dict;
  if (!dict) return fail('SIGNATURE_FORMAT_INVALID', `signature dictionary ${signature.ref} cannot be read`);
  const rangeValue = dict.get('ByteRange');
  if (rangeValue === undefined) return fail('SIGNATURE_BYTE_RANGE_INVALID', 'the signature has no /ByteRange');
  if (!Array.isArray(rangeValue)) return fail('SIGNATURE_BYTE_RANGE_INVALID', '/ByteRange is not a direct array');
  if (rangeValue.length !== 4 || !rangeValue.every(isNonNegativeInteger)) {
    return fail('SIGNATURE_BYTE_RANGE_INVALID', `/ByteRange [${rangeValue.map(String).join(' ')}] is not four non-negative integers`);
  }
  const byteRange = rangeValue as [number, number, number, number];
  const [first, a, b, c] = byteRange;
  const size = state.reader.size;
  const withRange = (code: ReportError['code'], message: string): SignatureLayout => {
    errors.push({ code, message });
    return { byteRange, der: null, errors };
  };
  if (first !== 0) return withRange('SIGNATURE_BYTE_RANGE_INVALID', `/ByteRange starts at ${first}, not at 0`);
  if (a <= 0 || b <= a || c <= 0) return withRange('SIGNATURE_BYTE_RANGE_INVALID', `/ByteRange [0 ${a} ${b} ${c}] has empty, negative or overlapping ranges`);
  if (b + c > size) return withRange('SIGNATURE_BYTE_RANGE_INVALID', `/ByteRange ends at ${b + c}, past the end of the revision (${size} bytes)`);
  const contents = dict.get('Contents');
  if (contents === undefined) return withRange('SIGNATURE_FORMAT_INVALID', 'the signature has no /Contents');
  if (!(contents instanceof PdfString) || !contents.isHex) return withRange('SIGNATURE_FORMAT_INVALID', '/Contents is not a hexadecimal string');
  if (contents.bytes.length === 0) return withRange('SIGNATURE_FORMAT_INVALID', '/Contents is empty');
  if (signature.definitionOffset === null) {
    return withRange('SIGNATURE_FORMAT_INVALID', `signature dictionary ${signature.ref} is inside an object stream, so its /Contents cannot be excluded from the signed bytes`);
  }
  if (signature.definitionOffset >= a) return withRange('SIGNATURE_BYTE_RANGE_INVALID', 'the signature dictionary starts after the first signed range');
  const layout = await locateDictionaryEntries(state.reader, signature.definitionOffset, signature.ref.num, signature.ref.gen);
  const contentsAt = layout.entries.filter((e) => e.key === 'Contents');
  const rangeAt = layout.entries.filter((e) => e.key === 'ByteRange');
  if (contentsAt.length !== 1 || rangeAt.length !== 1) return withRange('SIGNATURE_FORMAT_INVALID', 'the signature dictionary repeats /Contents or /ByteRange');
  const gap = contentsAt[0]!;
  if (gap.start !== a || gap.end !== b) {
    return withRange(
      'SIGNATURE_BYTE_RANGE_INVALID',
      `the unsigned gap [${a}, ${b}) is not this dictionary's /Contents, which lies at [${gap.start}, ${gap.end})`,
    );
  }
  const range = rangeAt[0]!;
  if (range.end > a) return withRange('SIGNATURE_BYTE_RANGE_INVALID', '/ByteRange lies inside the unsigned gap');
  const hexLength = b - a - 2;
  if (hexLength > maxContentsBytes * 2) return withRange('PDF_LIMIT_EXCEEDED', `/Contents holds ${hexLength} hex digits, over the limit of ${maxContentsBytes * 2}`);
  const gapBytes = await state.reader.source.read(a, b - a);
  if (gapBytes[0] !== 0x3c || gapBytes[gapBytes.length - 1] !== 0x3e) return withRange('SIGNATURE_BYTE_RANGE_INVALID', `the gap does not run from '<' at ${a} to '>' at ${b - 1}`);
  for (let i = 1; i < gapBytes.length - 1; i++) {
    if (HEX_DIGIT[gapBytes[i]!] !== 1) return withRange('SIGNATURE_BYTE_RANGE_INVALID', `the gap holds a byte other than a hex digit at offset ${a + i}`);
  }
  const end = b + c;
  const own = revisions[state.position]!;
  if (end !== own.end && end !== own.eofEnd) {
    const other = revisions.findIndex((r) => r.end === end || r.eofEnd === end);
    return withRange(
      'SIGNATURE_BYTE_RANGE_INVALID',
      other >= 0
        ? `/ByteRange ends where revision ${other + 1} ends, but the signature was added in revision ${state.position + 1}`
        : `/ByteRange ends at ${end}, which is not the end of a revision (%%EOF of revision ${state.position + 1} is at ${own.eofEnd})`,
    );
  }
  const padded = contents.bytes;
  const derLength = leadingElementLength(padded);
  if (derLength <= 0) return withRange('CMS_MALFORMED', '/Contents does not start with a DER element');
  if (!padded.subarray(derLength).every((byte) => byte === 0)) {
    return withRange('SIGNATURE_FORMAT_INVALID', `/Contents holds ${padded.length - derLength} bytes after the CMS that are not zero padding`);
  }
  return { byteRange, der: Buffer.from(padded.subarray(0, derLength)), errors };
}

/** /Type of the signature dictionary: 'Sig' unless it says DocTimeStamp. */
export function signatureKind(dict: PdfDict | null): 'signature' | 'document-timestamp' {
  return dict?.getName('Type') === 'DocTimeStamp' || (dict?.get('SubFilter') instanceof PdfName && dict.getName('SubFilter') === 'ETSI.RFC3161')
    ? 'document-timestamp'
    : 'signature';
}
