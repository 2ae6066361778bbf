// The `certificates [0] IMPLICIT CertificateSet` of a ContentInfo(SignedData), cut out of or
// spliced into the DER bytes without decoding the certificates. asn1js takes milliseconds per
// certificate to decode and encode, and a signer's chain is the same in every signature: the
// certificates are handled as raw DER (parsed once each, see certificate-ref.ts), and asn1js sees
// only the small rest.
import { DER_TAG, encodeElement } from './der.js';

const CONTEXT_0_CONSTRUCTED = 0xa0;

export interface Element {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** Offset of the first content byte. */
  contentStart: number;
  /** Offset just past the content. */
  end: number;
}

/** One definite-length element with a one-byte tag at `offset`, or null (indefinite length, high tag, truncated). */
export function readElement(bytes: Uint8Array, offset: number, limit: number): Element | null {
  if (offset + 2 > limit) return null;
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) return null;
  const first = bytes[offset + 1]!;
  let length = first;
  let contentStart = offset + 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    // 0x80 is BER's indefinite length; more than 4 length bytes is no CMS we can hold.
    if (count === 0 || count > 4 || contentStart + count > limit) return null;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[contentStart + i]!;
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > limit) return null;
  return { tag, start: offset, contentStart, end };
}

function children(bytes: Uint8Array, parent: Element): Element[] | null {
  const result: Element[] = [];
  let offset = parent.contentStart;
  while (offset < parent.end) {
    const child = readElement(bytes, offset, parent.end);
    if (child === null) return null;
    result.push(child);
    offset = child.end;
  }
  return result;
}

/** The path ContentInfo → [0] EXPLICIT → SignedData, with the SignedData's members. */
interface SignedDataPath {
  contentInfo: Element;
  /** The ContentInfo's members before the [0] content (the contentType). */
  head: Element[];
  explicit: Element;
  signedData: Element;
  members: Element[];
}

function walk(der: Uint8Array): SignedDataPath | null {
  const contentInfo = readElement(der, 0, der.length);
  if (contentInfo === null || contentInfo.tag !== DER_TAG.sequence) return null;
  const top = children(der, contentInfo);
  const explicit = top?.[1];
  if (!top || top.length !== 2 || explicit === undefined || explicit.tag !== CONTEXT_0_CONSTRUCTED) return null;
  const inner = children(der, explicit);
  const signedData = inner?.[0];
  if (!inner || inner.length !== 1 || signedData === undefined || signedData.tag !== DER_TAG.sequence) return null;
  const members = children(der, signedData);
  if (!members) return null;
  return { contentInfo, head: top.slice(0, 1), explicit, signedData, members };
}

function rebuild(der: Buffer, path: SignedDataPath, members: Buffer[]): Buffer {
  const signedData = encodeElement(DER_TAG.sequence, members);
  const explicit = encodeElement(CONTEXT_0_CONSTRUCTED, [signedData]);
  return encodeElement(DER_TAG.sequence, [...path.head.map((e) => der.subarray(e.start, e.end)), explicit]);
}

export interface SplitCertificates {
  /** The same ContentInfo without its `certificates` member. */
  rest: Buffer;
  /** Each CertificateChoices member's bytes, in order (X.509 ones start with 0x30). */
  certificates: Buffer[];
  /** Bytes after the ContentInfo (a PDF's /Contents holds zero padding there). */
  trailing: Buffer;
}

/**
 * Cuts the certificates out of a DER ContentInfo(SignedData). Null when the bytes are not that
 * shape in definite-length encoding (BER's indefinite lengths, say): callers then decode the whole.
 */
export function splitCertificates(der: Buffer): SplitCertificates | null {
  const path = walk(der);
  if (path === null) return null;
  const index = path.members.findIndex((member) => member.tag === CONTEXT_0_CONSTRUCTED);
  // version, digestAlgorithms, encapContentInfo come first (RFC 5652 §5.1).
  if (index !== 3) return null;
  const set = path.members[index]!;
  const certificates = children(der, set);
  if (certificates === null) return null;
  const rest = rebuild(der, path, path.members.filter((_, i) => i !== index).map((m) => der.subarray(m.start, m.end)));
  return { rest, certificates: certificates.map((c) => der.subarray(c.start, c.end)), trailing: der.subarray(path.contentInfo.end) };
}

/** Inserts `certificates [0] IMPLICIT` with these DER certificates into a ContentInfo(SignedData) that has none. */
export function insertCertificates(der: Buffer, certificates: readonly Buffer[]): Buffer {
  const path = walk(der);
  if (path === null || path.contentInfo.end !== der.length || path.members.length < 4 || path.members.some((m) => m.tag === CONTEXT_0_CONSTRUCTED)) {
    throw new Error('not a DER ContentInfo(SignedData) without certificates');
  }
  const members = path.members.map((m) => der.subarray(m.start, m.end));
  members.splice(3, 0, encodeElement(CONTEXT_0_CONSTRUCTED, [...certificates]));
  return rebuild(der, path, members);
}

const CONTEXT_1_CONSTRUCTED = 0xa1;

/** Whether `der` is exactly one DER `Attribute ::= SEQUENCE { attrType OID, attrValues SET }`. */
export function isAttributeDer(der: Buffer): boolean {
  const attribute = readElement(der, 0, der.length);
  if (attribute === null || attribute.tag !== DER_TAG.sequence || attribute.end !== der.length) return false;
  const members = children(der, attribute);
  return members !== null && members.length === 2 && members[0]!.tag === 0x06 && members[1]!.tag === DER_TAG.set;
}

/** The members of the first SignerInfo (the last member of SignedData, a SET), and how many SignerInfos there are. */
function signerInfoOf(der: Buffer, path: SignedDataPath): { members: Element[]; count: number } | null {
  const signerInfos = path.members[path.members.length - 1];
  const infos = signerInfos?.tag === DER_TAG.set ? children(der, signerInfos) : null;
  const first = infos?.[0];
  const members = first?.tag === DER_TAG.sequence ? children(der, first) : null;
  return infos && members ? { members, count: infos.length } : null;
}

/**
 * Adds `unsignedAttrs [1] IMPLICIT` with these DER attributes (in the order given) to the one
 * SignerInfo of a DER ContentInfo(SignedData) that has none. A signature time-stamp token holds
 * a whole certificate chain; asn1js would decode and encode it again for nothing.
 */
export function appendUnsignedAttributes(der: Buffer, attributes: readonly Buffer[]): Buffer {
  const path = walk(der);
  const signer = path === null ? null : signerInfoOf(der, path);
  const members = signer?.count === 1 ? signer.members : null;
  if (path === null || path.contentInfo.end !== der.length || !members || members.some((m) => m.tag === CONTEXT_1_CONSTRUCTED)) {
    throw new Error('not a DER ContentInfo(SignedData) with one SignerInfo without unsigned attributes');
  }
  const newSignerInfo = encodeElement(DER_TAG.sequence, [...members.map((m) => der.subarray(m.start, m.end)), encodeElement(CONTEXT_1_CONSTRUCTED, [...attributes])]);
  const signedDataMembers = path.members.map((m) => der.subarray(m.start, m.end));
  signedDataMembers[signedDataMembers.length - 1] = encodeElement(DER_TAG.set, [newSignerInfo]);
  return rebuild(der, path, signedDataMembers);
}


/** The eContent octets of a DER ContentInfo(SignedData), or null (absent, constructed BER, another shape). */
export function encapsulatedContentOf(der: Buffer): Buffer | null {
  const path = walk(der);
  const encap = path?.members[2];
  const parts = encap?.tag === DER_TAG.sequence ? children(der, encap) : null;
  const explicit = parts?.[1];
  if (!parts || parts.length !== 2 || explicit?.tag !== CONTEXT_0_CONSTRUCTED) return null;
  const inner = children(der, explicit);
  const octets = inner?.length === 1 ? inner[0]! : undefined;
  if (octets?.tag !== DER_TAG.octetString) return null;
  return der.subarray(octets.contentStart, octets.end);
}

/** The members of a DER SEQUENCE that is all of `der`, as bytes, or null. */
export function sequenceMembers(der: Buffer): Buffer[] | null {
  const outer = readElement(der, 0, der.length);
  if (outer === null || outer.tag !== DER_TAG.sequence || outer.end !== der.length) return null;
  return children(der, outer)?.map((m) => der.subarray(m.start, m.end)) ?? null;
}

/** `Attribute ::= SEQUENCE { attrType, attrValues SET }` with the given DER OID and one value, as DER. */
export function encodeAttribute(oidDer: Buffer, value: Buffer): Buffer {
  return encodeElement(DER_TAG.sequence, [oidDer, encodeElement(DER_TAG.set, [value])]);
}

/**
 * The values of the unsigned attributes of type `oidDer` (the OID's DER) in the one SignerInfo of
 * a DER ContentInfo(SignedData), as bytes; null when the bytes are not that shape in DER.
 */
export function unsignedAttributeValues(der: Buffer, oidDer: Buffer): Buffer[] | null {
  const path = walk(der);
  const members = path === null ? null : (signerInfoOf(der, path)?.members ?? null);
  if (!members) return null;
  const unsigned = members.find((m) => m.tag === CONTEXT_1_CONSTRUCTED);
  if (!unsigned) return [];
  const attributes = children(der, unsigned);
  if (!attributes) return null;
  const values: Buffer[] = [];
  for (const attribute of attributes) {
    const parts = attribute.tag === DER_TAG.sequence ? children(der, attribute) : null;
    if (!parts || parts.length !== 2 || parts[1]!.tag !== DER_TAG.set) return null;
    if (!der.subarray(parts[0]!.start, parts[0]!.end).equals(oidDer)) continue;
    const set = children(der, parts[1]!);
    if (!set) return null;
    values.push(...set.map((v) => der.subarray(v.start, v.end)));
  }
  return values;
}

/** Whether `der` is exactly one definite-length element. */
export function isSingleElement(der: Buffer): boolean {
  const element = readElement(der, 0, der.length);
  return element !== null && element.end === der.length;
}
