// A strict DER reader of the usual ContentInfo(SignedData) (RFC 5652 §3, §5.1, §5.3), for the
// fast path of parse.ts: pkijs rebuilds and matches its whole schema tree on every parse, which
// costs milliseconds. Anything it is not sure of gives null, and parse.ts decodes with pkijs.
//
// Null must never hide an error, so the reader accepts only bytes that asn1js would decode without
// error (definite lengths, types whose content it checks, its node, depth and size limits) and that
// pkijs would match to its schemas. Stricter than both is fine; looser is not.
import { readElement as readDefiniteElement, type Element } from './certificate-set.js';
import { DER_TAG } from './der.js';

/** The `certificates` and everything a SignerInfo holds that parse.ts reports, as raw DER. */
export interface SignedDataDer {
  signerCount: number;
  eContentType: string;
  isDetached: boolean;
  /** Each CertificateChoices member of `certificates [0]`, in order; empty when absent. */
  certificates: Buffer[];
  /** Each RevocationInfoChoice member of `crls [1]`, in order; empty when absent. */
  crls: Buffer[];
  signerInfo: SignerInfoDer;
}

export type SignerIdentifierDer = { issuer: Buffer; serialNumber: Buffer; element: Buffer } | { subjectKeyIdentifier: Buffer };

/** The first SignerInfo. Buffers alias the input. */
export interface SignerInfoDer {
  sid: SignerIdentifierDer;
  digestAlgorithmOid: string;
  /** The `signedAttrs [0]` element as it stands, or null when absent. */
  signedAttrs: Buffer | null;
  signedAttributes: AttributeDer[];
  /** The signatureAlgorithm AlgorithmIdentifier element. */
  signatureAlgorithm: Buffer;
  signatureAlgorithmOid: string;
  /** Content octets of the signature OCTET STRING. */
  signature: Buffer;
  unsignedAttributeOids: string[];
}

/** `Attribute ::= SEQUENCE { attrType OBJECT IDENTIFIER, attrValues SET OF AttributeValue }` */
export interface AttributeDer {
  type: string;
  /** The first AttributeValue element. */
  firstValue: Buffer;
}

const SIGNED_DATA_OID = Buffer.from('06092a864886f70d010702', 'hex');

/** asn1js's default decoding limits (DEFAULT_MAX_NODES, DEFAULT_MAX_DEPTH, DEFAULT_MAX_CONTENT_LENGTH). */
const ASN1JS_MAX_NODES = 10_000;
const ASN1JS_MAX_DEPTH = 100;
const ASN1JS_MAX_CONTENT_LENGTH = 16_777_216;
/** Well inside asn1js's depth limit; CMS nests nowhere near it. */
const MAX_DEPTH = 64;
/** asn1js turns strings into JavaScript strings with one `apply` call, whose argument count is bounded. */
const MAX_STRING_LENGTH = 8192;

/** One definite-length element whose length takes the fewest octets (X.690 §10.1), within `limit`. */
function readElement(bytes: Buffer, offset: number, limit: number): Element | null {
  const element = readDefiniteElement(bytes, offset, limit);
  if (element === null) return null;
  const length = element.end - element.contentStart;
  const lengthOctets = length < 0x80 ? 1 : length < 0x100 ? 2 : length < 0x10000 ? 3 : length < 0x1000000 ? 4 : 5;
  return element.contentStart - element.start === 1 + lengthOctets ? element : null;
}

function childrenOf(bytes: Buffer, parent: Element): Element[] | null {
  const result: Element[] = [];
  for (let offset = parent.contentStart; offset < parent.end; ) {
    const child = readElement(bytes, offset, parent.end);
    if (child === null) return null;
    result.push(child);
    offset = child.end;
  }
  return result;
}

function childrenTagged(bytes: Buffer, parent: Element | undefined, tag: number): Element[] | null {
  return parent?.tag === tag ? childrenOf(bytes, parent) : null;
}

function slice(bytes: Buffer, element: Element): Buffer {
  return bytes.subarray(element.start, element.end);
}

/** The content octets of a DER element that is all of `element` (as AttributeDer.firstValue is). */
export function contentOf(element: Buffer): Buffer {
  const header = readElement(element, 0, element.length);
  if (header === null || header.end !== element.length) throw new Error('not one DER element');
  return element.subarray(header.contentStart);
}

/**
 * The dotted form asn1js gives (ObjectIdentifier.valueBlock.toString()), or null for encodings
 * it would spell differently or that are not DER: empty, a subidentifier with a leading 0x80, or
 * longer than 6 octets (asn1js switches to hex past 8; numbers stay exact well below that).
 */
export function decodeObjectIdentifier(bytes: Buffer, element: Element | null = readElement(bytes, 0, bytes.length)): string | null {
  if (element === null || element.tag !== DER_TAG.objectIdentifier || element.contentStart === element.end) return null;
  const arcs: string[] = [];
  let value = 0;
  let octets = 0;
  for (let i = element.contentStart; i < element.end; i++) {
    const octet = bytes[i]!;
    if (octets === 0 && octet === 0x80) return null;
    value = value * 128 + (octet & 0x7f);
    if (++octets > 6) return null;
    if (octet & 0x80) continue;
    if (arcs.length === 0) arcs.push(value < 40 ? `0.${value}` : value < 80 ? `1.${value - 40}` : `2.${value - 80}`);
    else arcs.push(String(value));
    value = 0;
    octets = 0;
  }
  return octets === 0 ? arcs.join('.') : null;
}

/** Counts nodes as asn1js does: every element it starts to decode, including inside OCTET and BIT STRINGs. */
class NodeBudget {
  count = 0;
  isEndOfContent = false;
  /** Counts one node; false once asn1js would have refused for too many. */
  take(): boolean {
    return ++this.count <= ASN1JS_MAX_NODES;
  }
}

/** Thrown where the count cannot be bounded (too many nodes, or a form too rare to model). */
class UncountableNodes extends Error {}

/**
 * Checks that asn1js decodes `element` and all it holds without error, counting its nodes: strict
 * DER, universal types limited to those CMS uses, with the content checks asn1js makes (and a few
 * more). `depth` is asn1js's depth of the element.
 */
function isDecodable(bytes: Buffer, element: Element, depth: number, budget: NodeBudget): boolean {
  if (depth > MAX_DEPTH || element.end - element.contentStart > ASN1JS_MAX_CONTENT_LENGTH || !budget.take()) return false;
  const { tag, contentStart, end } = element;
  const length = end - contentStart;
  if (tag & 0x20) {
    // Constructed: SEQUENCE, SET, or a tagged type; a constructed string is BER, not DER.
    if (tag < 0x40 && tag !== DER_TAG.sequence && tag !== DER_TAG.set) return false;
    const children = childrenOf(bytes, element);
    return children !== null && children.every((child) => isDecodable(bytes, child, depth + 1, budget));
  }
  if (tag >= 0x40) return true;
  switch (tag) {
    case 0x01: // BOOLEAN
      return length === 1;
    case DER_TAG.integer:
    case 0x0a: // ENUMERATED
      return length > 0;
    case 0x03: {
      // BIT STRING: asn1js refuses more than 7 unused bits, and looks for an encapsulated element.
      const unusedBits = bytes[contentStart];
      if (unusedBits === undefined || unusedBits > 7 || (length === 1 && unusedBits !== 0)) return false;
      if (unusedBits === 0 && length > 1) countEmbeddedNodes(bytes, contentStart + 1, end, depth + 1, budget);
      return true;
    }
    case DER_TAG.octetString:
      if (length > 0) countEmbeddedNodes(bytes, contentStart, end, depth + 1, budget);
      return true;
    case 0x05: // NULL
      return length === 0;
    case DER_TAG.objectIdentifier:
      return decodeObjectIdentifier(bytes, element) !== null;
    case 0x0c: // UTF8String
    case 0x12: // NumericString
    case 0x13: // PrintableString
    case 0x14: // TeletexString
    case 0x16: // IA5String
    case 0x1a: // VisibleString
      return length <= MAX_STRING_LENGTH;
    case 0x1e: // BMPString
      return length <= MAX_STRING_LENGTH && length % 2 === 0;
    case 0x1c: // UniversalString
      return length <= MAX_STRING_LENGTH && length % 4 === 0;
    case 0x17: // UTCTime, DER form (X.690 §11.8)
      return /^\d{12}Z$/.test(bytes.toString('latin1', contentStart, end));
    case 0x18: // GeneralizedTime, DER form; asn1js throws on some other forms
      return /^\d{14}(\.\d*[1-9])?Z$/.test(bytes.toString('latin1', contentStart, end));
    default:
      return false;
  }
}

/**
 * asn1js tries to decode the content of every primitive OCTET STRING and of every BIT STRING
 * without unused bits as one element, silently, but the nodes it meets count towards its limit:
 * this follows that decoding far enough to give an upper bound of the count. Throws
 * UncountableNodes past the limit.
 */
function countEmbeddedNodes(bytes: Buffer, start: number, end: number, depth: number, budget: NodeBudget): void {
  if (depth > ASN1JS_MAX_DEPTH) return;
  emulateElement(bytes, start, end - start, end, depth, budget);
}

/** Universal types asn1js decodes by their own rules, refusing the constructed form. */
const PRIMITIVE_ONLY = new Set([1, 2, 5, 6, 9, 13, 14, 23, 24, 31, 32, 33, 34]);
/** Universal types whose constructed form asn1js reads as opaque bytes. */
const OPAQUE_WHEN_CONSTRUCTED = new Set([10, 12, 18, 19, 20, 21, 22, 25, 26, 27, 28, 29, 30]);

/**
 * asn1js's localFromBER at `offset` with `available` bytes in a buffer ending at `bufferEnd`: the
 * offset after the element, or -1 where asn1js stops. It may go on where asn1js stops (content
 * checks are skipped), which only counts more; it never stops before asn1js does.
 */
function emulateElement(bytes: Buffer, offset: number, available: number, bufferEnd: number, depth: number, budget: NodeBudget): number {
  budget.isEndOfContent = false;
  if (available <= 0) return -1;
  if (!budget.take()) throw new UncountableNodes();
  const first = bytes[offset]!;
  const isConstructed = (first & 0x20) !== 0;
  const isUniversal = first < 0x40;
  const tagNumber = first & 0x1f;
  if (tagNumber === 0x1f) {
    let count = 1;
    let longTagNumber = 0;
    for (; ; count++) {
      if (count >= available) return -1;
      longTagNumber = longTagNumber * 128 + (bytes[offset + count]! & 0x7f);
      if ((bytes[offset + count]! & 0x80) === 0) break;
    }
    // Past 8 octets asn1js keeps the tag as hex and skips its checks: too rare to model.
    if (count > 8) throw new UncountableNodes();
    if (isUniversal && (longTagNumber >= 37 || (isConstructed && PRIMITIVE_ONLY.has(longTagNumber)))) return -1;
    return emulateValue(bytes, offset, available, count + 1, bufferEnd, depth, budget, isConstructed, isUniversal ? longTagNumber : -1);
  }
  if (isUniversal && isConstructed && PRIMITIVE_ONLY.has(tagNumber)) return -1;
  return emulateValue(bytes, offset, available, 1, bufferEnd, depth, budget, isConstructed, isUniversal ? tagNumber : -1);
}

function emulateValue(
  bytes: Buffer,
  offset: number,
  available: number,
  idLength: number,
  bufferEnd: number,
  depth: number,
  budget: NodeBudget,
  isConstructed: boolean,
  universalTag: number,
): number {
  const lengthOffset = offset + idLength;
  const lengthAvailable = available - idLength;
  if (lengthAvailable <= 0) return -1;
  const lengthOctet = bytes[lengthOffset]!;
  if (lengthOctet === 0xff) return -1;
  const isIndefinite = lengthOctet === 0x80;
  let length = lengthOctet;
  let lengthLength = 1;
  if (lengthOctet > 0x80) {
    const count = lengthOctet & 0x7f;
    if (count > 8 || count + 1 > lengthAvailable) return -1;
    length = 0;
    for (let i = 1; i <= count; i++) length = length * 256 + bytes[lengthOffset + i]!;
    lengthLength = count + 1;
  } else if (isIndefinite) {
    length = 0;
  }
  const contentStart = lengthOffset + lengthLength;
  const valueLength = isIndefinite ? lengthAvailable - lengthLength : length;
  if (valueLength > ASN1JS_MAX_CONTENT_LENGTH) return -1;
  if (!isConstructed && isIndefinite) return -1;
  if (universalTag === 15) return -1;
  if (universalTag === 0) {
    if (isConstructed && length > 0) return -1;
    // EndOfContent consumes its header only, whatever its length says.
    budget.isEndOfContent = true;
    return contentStart;
  }
  const valueEnd = contentStart + valueLength;
  if (isConstructed && !OPAQUE_WHEN_CONSTRUCTED.has(universalTag)) {
    if (valueEnd > bufferEnd) return -1;
    let position = contentStart;
    let remaining = valueLength;
    while (isIndefinite || remaining > 0) {
      if (depth + 1 > ASN1JS_MAX_DEPTH) return -1;
      const next = emulateElement(bytes, position, remaining, bufferEnd, depth + 1, budget);
      if (next < 0) return -1;
      remaining -= next - position;
      position = next;
      if (isIndefinite && budget.isEndOfContent) break;
    }
    budget.isEndOfContent = false;
    return position;
  }
  if (universalTag === DER_TAG.octetString && valueLength > 0) {
    countEmbeddedNodes(bytes, contentStart, Math.min(valueEnd, bufferEnd), depth + 1, budget);
  }
  if (valueEnd > bufferEnd) return -1;
  if (universalTag === 3 && valueLength > 0) {
    const unusedBits = bytes[contentStart]!;
    if (unusedBits > 7) return -1;
    if (unusedBits === 0 && valueLength > 1) countEmbeddedNodes(bytes, contentStart + 1, valueEnd, depth + 1, budget);
  }
  budget.isEndOfContent = false;
  return valueEnd;
}

/** `AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL }`: its OID. */
function readAlgorithmOid(bytes: Buffer, element: Element | undefined): string | null {
  const parts = element === undefined ? null : childrenTagged(bytes, element, DER_TAG.sequence);
  if (!parts || parts.length < 1 || parts.length > 2) return null;
  return decodeObjectIdentifier(bytes, parts[0]!);
}

/** `SignedAttributes`/`UnsignedAttributes ::= SET SIZE (1..MAX) OF Attribute`, as [0] or [1] IMPLICIT. */
function readAttributes(bytes: Buffer, element: Element): AttributeDer[] | null {
  const members = childrenOf(bytes, element);
  if (!members || members.length === 0) return null;
  const attributes: AttributeDer[] = [];
  for (const member of members) {
    const parts = childrenTagged(bytes, member, DER_TAG.sequence);
    const values = parts?.length === 2 ? childrenTagged(bytes, parts[1], DER_TAG.set) : null;
    const type = parts?.length === 2 ? decodeObjectIdentifier(bytes, parts[0]!) : null;
    if (!values || values.length === 0 || type === null) return null;
    attributes.push({ type, firstValue: slice(bytes, values[0]!) });
  }
  return attributes;
}

/**
 * ```asn
 * Name ::= SEQUENCE OF RelativeDistinguishedName
 * RelativeDistinguishedName ::= SET SIZE (1..MAX) OF AttributeTypeAndValue
 * AttributeTypeAndValue ::= SEQUENCE { type OBJECT IDENTIFIER, value ANY }
 * ```
 */
function isName(bytes: Buffer, element: Element): boolean {
  const isTypeAndValue = (pair: Element): boolean => {
    const parts = childrenTagged(bytes, pair, DER_TAG.sequence);
    return parts?.length === 2 && parts[0]!.tag === DER_TAG.objectIdentifier;
  };
  const isRelativeName = (rdn: Element): boolean => {
    const pairs = childrenTagged(bytes, rdn, DER_TAG.set);
    return pairs !== null && pairs.length > 0 && pairs.every(isTypeAndValue);
  };
  return childrenTagged(bytes, element, DER_TAG.sequence)?.every(isRelativeName) ?? false;
}

/**
 * ```asn
 * SignerIdentifier ::= CHOICE {
 *   issuerAndSerialNumber  IssuerAndSerialNumber,
 *   subjectKeyIdentifier   [0] SubjectKeyIdentifier }
 * IssuerAndSerialNumber ::= SEQUENCE { issuer Name, serialNumber CertificateSerialNumber }
 * ```
 */
function readSignerIdentifier(bytes: Buffer, element: Element): SignerIdentifierDer | null {
  if (element.tag === DER_TAG.context0Primitive) return { subjectKeyIdentifier: bytes.subarray(element.contentStart, element.end) };
  const parts = childrenTagged(bytes, element, DER_TAG.sequence);
  if (!parts || parts.length !== 2 || parts[1]!.tag !== DER_TAG.integer || !isName(bytes, parts[0]!)) return null;
  return { issuer: slice(bytes, parts[0]!), serialNumber: slice(bytes, parts[1]!), element: slice(bytes, element) };
}

/**
 * ```asn
 * SignerInfo ::= SEQUENCE {
 *   version             CMSVersion,
 *   sid                 SignerIdentifier,
 *   digestAlgorithm     DigestAlgorithmIdentifier,
 *   signedAttrs         [0] IMPLICIT SignedAttributes OPTIONAL,
 *   signatureAlgorithm  SignatureAlgorithmIdentifier,
 *   signature           SignatureValue,
 *   unsignedAttrs       [1] IMPLICIT UnsignedAttributes OPTIONAL }
 * ```
 */
function readSignerInfo(bytes: Buffer, element: Element): SignerInfoDer | null {
  const members = childrenTagged(bytes, element, DER_TAG.sequence);
  if (!members || members.length < 5 || members[0]!.tag !== DER_TAG.integer) return null;
  const sid = readSignerIdentifier(bytes, members[1]!);
  const digestAlgorithmOid = readAlgorithmOid(bytes, members[2]);
  let next = 3;
  const signedAttrs = members[next]?.tag === DER_TAG.context0 ? members[next++]! : null;
  const signatureAlgorithm = members[next++];
  const signature = members[next++];
  const unsignedAttrs = members[next]?.tag === DER_TAG.context1 ? members[next++]! : null;
  const signatureAlgorithmOid = readAlgorithmOid(bytes, signatureAlgorithm);
  if (next !== members.length || sid === null || digestAlgorithmOid === null || signatureAlgorithmOid === null || signature?.tag !== DER_TAG.octetString) return null;
  const signedAttributes = signedAttrs === null ? [] : readAttributes(bytes, signedAttrs);
  const unsignedAttributes = unsignedAttrs === null ? [] : readAttributes(bytes, unsignedAttrs);
  if (signedAttributes === null || unsignedAttributes === null) return null;
  return {
    sid,
    digestAlgorithmOid,
    signedAttrs: signedAttrs === null ? null : slice(bytes, signedAttrs),
    signedAttributes,
    signatureAlgorithm: slice(bytes, signatureAlgorithm!),
    signatureAlgorithmOid,
    signature: bytes.subarray(signature.contentStart, signature.end),
    unsignedAttributeOids: unsignedAttributes.map((a) => a.type),
  };
}

/**
 * ```asn
 * ContentInfo ::= SEQUENCE { contentType ContentType, content [0] EXPLICIT ANY DEFINED BY contentType }
 *
 * SignedData ::= SEQUENCE {
 *   version           CMSVersion,
 *   digestAlgorithms  DigestAlgorithmIdentifiers,
 *   encapContentInfo  EncapsulatedContentInfo,
 *   certificates      [0] IMPLICIT CertificateSet OPTIONAL,
 *   crls              [1] IMPLICIT RevocationInfoChoices OPTIONAL,
 *   signerInfos       SignerInfos }
 *
 * EncapsulatedContentInfo ::= SEQUENCE { eContentType ContentType, eContent [0] EXPLICIT OCTET STRING OPTIONAL }
 * ```
 * Null unless `der` is that, in DER, followed by nothing but zeros, with at least one SignerInfo;
 * every SignerInfo is checked, since pkijs decodes them all. The certificates are not looked into
 * here (parse.ts reads them on their own, on both paths).
 */
export function readSignedDataDer(der: Buffer): SignedDataDer | null {
  return nullWhenUncountable(() => readChecked(der));
}

/**
 * The attributes of `der`, a whole DER `SET OF Attribute` (the form in which signed attributes
 * are signed, RFC 5652 §5.4), held to the rules a SignerInfo's attributes are held to here: null
 * unless asn1js would decode it and pkijs read each Attribute.
 */
export function readAttributeSetDer(der: Buffer): AttributeDer[] | null {
  const set = readElement(der, 0, der.length);
  if (set === null || set.tag !== DER_TAG.set || set.end !== der.length) return null;
  return nullWhenUncountable(() => (isDecodable(der, set, 0, new NodeBudget()) ? readAttributes(der, set) : null));
}

function nullWhenUncountable<T>(read: () => T | null): T | null {
  try {
    return read();
  } catch (error) {
    if (error instanceof UncountableNodes) return null;
    throw error;
  }
}

function readChecked(der: Buffer): SignedDataDer | null {
  const contentInfo = readElement(der, 0, der.length);
  if (contentInfo === null || contentInfo.tag !== DER_TAG.sequence) return null;
  for (let i = contentInfo.end; i < der.length; i++) if (der[i] !== 0) return null;
  const top = childrenOf(der, contentInfo);
  if (!top || top.length !== 2 || !slice(der, top[0]!).equals(SIGNED_DATA_OID)) return null;
  const explicit = childrenTagged(der, top[1], DER_TAG.context0);
  const signedData = explicit?.length === 1 ? explicit[0]! : undefined;
  const members = signedData === undefined ? null : childrenTagged(der, signedData, DER_TAG.sequence);
  if (!members || members.length < 4 || members[0]!.tag !== DER_TAG.integer) return null;

  const digestAlgorithms = childrenTagged(der, members[1], DER_TAG.set);
  const encap = childrenTagged(der, members[2], DER_TAG.sequence);
  let next = 3;
  const certificates = members[next]?.tag === DER_TAG.context0 ? members[next++]! : null;
  const crls = members[next]?.tag === DER_TAG.context1 ? members[next++]! : null;
  const signerInfos = childrenTagged(der, members[next++], DER_TAG.set);
  if (next !== members.length || !digestAlgorithms || !signerInfos || signerInfos.length === 0) return null;
  if (!digestAlgorithms.every((algorithm) => readAlgorithmOid(der, algorithm) !== null)) return null;
  if (!encap || encap.length < 1 || encap.length > 2) return null;
  const eContentType = decodeObjectIdentifier(der, encap[0]!);
  const eContent = encap[1] === undefined ? null : childrenTagged(der, encap[1], DER_TAG.context0);
  if (eContentType === null || (encap[1] !== undefined && eContent?.length !== 1)) return null;
  const readSignerInfos = signerInfos.map((signerInfo) => readSignerInfo(der, signerInfo));
  const first = readSignerInfos[0];
  if (!first || readSignerInfos.some((signerInfo) => signerInfo === null)) return null;
  const certificateMembers = certificates === null ? [] : childrenOf(der, certificates);
  const crlMembers = crls === null ? [] : childrenOf(der, crls);
  if (!certificateMembers || !crlMembers) return null;

  // What asn1js sees: everything but the certificates, which parse.ts cuts out before decoding.
  const budget = new NodeBudget();
  const isAsn1jsDecodable =
    // ContentInfo, contentType, [0] EXPLICIT, SignedData: checked above.
    budget.take() &&
    budget.take() &&
    budget.take() &&
    budget.take() &&
    members.every((member) => member === certificates || isDecodable(der, member, 3, budget));
  if (!isAsn1jsDecodable) return null;

  return {
    signerCount: signerInfos.length,
    eContentType,
    isDetached: eContent === null,
    certificates: certificateMembers.map((member) => slice(der, member)),
    crls: crlMembers.map((member) => slice(der, member)),
    signerInfo: first,
  };
}
