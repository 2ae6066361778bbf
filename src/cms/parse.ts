// Reads a CMS ContentInfo(SignedData) (RFC 5652 §3, §5) into a flat view of its first
// SignerInfo, for self-checks, tests and verification. Accepts BER and trailing zero padding;
// keeps the exact bytes of the signed attributes and certificates.
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { MapsignError } from '../errors.js';
import { nameHashAlgorithm, OID, type HashAlgorithm } from './algorithms.js';
import { isCertificateNamedBy, readEmbeddedCertificate } from './certificate-ref.js';
import { splitCertificates } from './certificate-set.js';
import { copyBytes, decodeBer, describeError, type AsnBlock } from './der.js';
import { contentOf, decodeObjectIdentifier, readSignedDataDer, type SignedDataDer, type SignerIdentifierDer } from './signed-data-reader.js';
import { readSigningCertificateV2, type SigningCertificateV2View } from './signing-certificate-v2.js';

/** Parsed view of a SignedData and its first SignerInfo. */
export interface ParseSignedDataResult {
  signerCount: number;
  eContentType: string;
  isDetached: boolean;
  /** Name of the SignerInfo's digest algorithm when it is one of ours, the OID otherwise. */
  digestAlgorithm: HashAlgorithm | string;
  signatureAlgorithmOid: string;
  signedAttributeOids: string[];
  unsignedAttributeOids: string[];
  messageDigest: Buffer | null;
  signingCertificateV2CertHash: Buffer | null;
  /** Name (or OID) of the ESSCertIDv2 hash; '' when there is no signing-certificate-v2 attribute. */
  signingCertificateV2HashAlgorithm: string;
  /** DER of every X.509 certificate in `certificates`, in their order. */
  certificates: Buffer[];
  /** The certificate the SignerInfo's sid names, or null when it is not among `certificates`. */
  signerCertificate: Buffer | null;
  signature: Buffer;
  /** The signed attributes with the SET OF tag (0x31) instead of [0]: what the signature covers. */
  signedAttributes: Buffer;
}

/** The view plus what verification needs and the public view leaves out. */
export interface SignedDataDetails extends ParseSignedDataResult {
  digestAlgorithmOid: string;
  signatureAlgorithm: pkijs.AlgorithmIdentifier;
  /** Value of the content-type signed attribute, null when absent. */
  contentTypeAttribute: string | null;
  signingCertificateV2: SigningCertificateV2View | null;
}

/**
 * ```asn
 * ContentInfo ::= SEQUENCE {
 *   contentType  ContentType,
 *   content      [0] EXPLICIT ANY DEFINED BY contentType }
 *
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
export function readSignedData(der: Buffer): SignedDataDetails {
  if (!Buffer.isBuffer(der) || der.length === 0) throw new MapsignError('CMS_MALFORMED', 'CMS SignedData is empty or not a Buffer');
  // The same /Contents is read several times over (archive facts, verification, its CMS check),
  // with or without the zeros that pad it to its reserved size.
  const key = createHash('sha256').update(withoutPadding(der)).digest('base64');
  let details = recentlyRead.get(key);
  if (details === undefined) {
    details = decodeSignedData(der);
    if (recentlyRead.size >= RECENTLY_READ_LIMIT) recentlyRead.delete(recentlyRead.keys().next().value!);
    recentlyRead.set(key, details);
  }
  // The caller's own arrays: what it does to them never reaches the cache.
  return { ...details, certificates: [...details.certificates], signedAttributeOids: [...details.signedAttributeOids], unsignedAttributeOids: [...details.unsignedAttributeOids] };
}

/**
 * The outer DER element alone when only zeros follow it; the bytes as given otherwise (BER of
 * indefinite length, or anything else after the element, which the decoder must see).
 */
function withoutPadding(der: Buffer): Buffer {
  if (der.length < 2 || der[0] !== 0x30) return der;
  const first = der[1]!;
  let length: number;
  let header: number;
  if (first < 0x80) {
    length = first;
    header = 2;
  } else {
    const count = first & 0x7f;
    if (count === 0 || count > 4 || der.length < 2 + count) return der;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[2 + i]!;
    header = 2 + count;
  }
  const end = header + length;
  if (end >= der.length) return der;
  for (let i = end; i < der.length; i++) if (der[i] !== 0) return der;
  return der.subarray(0, end);
}

/** Parsed SignedData by the SHA-256 of its element without padding (a failed parse is not kept). */
const RECENTLY_READ_LIMIT = 32;
const recentlyRead = new Map<string, SignedDataDetails>();

function decodeSignedData(der: Buffer): SignedDataDetails {
  return readUsualSignedData(der) ?? decodeSignedDataWithPkijs(der);
}

/**
 * The fast path: strict DER of the usual shape, read by signed-data-reader.ts, giving the same
 * details as {@link decodeSignedDataWithPkijs}. Null when the reader is unsure or anything fails:
 * the pkijs path then runs and gives its result or its error, so both stay as they were.
 */
export function readUsualSignedData(der: Buffer): SignedDataDetails | null {
  try {
    const raw = readSignedDataDer(der);
    return raw === null ? null : detailsOf(raw);
  } catch {
    return null;
  }
}

function detailsOf(raw: SignedDataDer): SignedDataDetails | null {
  // pkijs decodes every CRL in `crls`; a malformed one must keep failing as it did.
  if (!raw.crls.every(isCertificateRevocationList)) return null;
  const certificates = readSplitCertificates(raw.certificates);
  const { signerInfo } = raw;
  const firstValue = (oid: string): Buffer | undefined => signerInfo.signedAttributes.find((a) => a.type === oid)?.firstValue;

  const messageDigestValue = firstValue(OID.messageDigest);
  const contentTypeValue = firstValue(OID.contentType);
  const signingCertificateValue = firstValue(OID.signingCertificateV2);
  const contentTypeAttribute = contentTypeValue?.[0] === OBJECT_IDENTIFIER_TAG ? decodeObjectIdentifier(contentTypeValue) : null;
  if (contentTypeValue?.[0] === OBJECT_IDENTIFIER_TAG && contentTypeAttribute === null) return null;
  const signingCertificateV2 =
    signingCertificateValue === undefined ? null : readSigningCertificateV2(decodeBer(signingCertificateValue, 'signing-certificate-v2 attribute'));
  let sid: pkijs.IssuerAndSerialNumber | undefined;
  const decodeSid = (element: Buffer): pkijs.IssuerAndSerialNumber => (sid ??= new pkijs.IssuerAndSerialNumber({ schema: decodeBer(element, 'CMS sid') }));
  const signer = certificates.find((c) => isNamedBySid(c.parsed, signerInfo.sid, decodeSid));
  const signatureAlgorithm = new pkijs.AlgorithmIdentifier({ schema: decodeBer(signerInfo.signatureAlgorithm, 'CMS signatureAlgorithm') });

  return {
    signerCount: raw.signerCount,
    eContentType: raw.eContentType,
    isDetached: raw.isDetached,
    digestAlgorithm: nameHashAlgorithm(signerInfo.digestAlgorithmOid),
    digestAlgorithmOid: signerInfo.digestAlgorithmOid,
    signatureAlgorithmOid: signerInfo.signatureAlgorithmOid,
    signatureAlgorithm,
    signedAttributeOids: signerInfo.signedAttributes.map((a) => a.type),
    unsignedAttributeOids: signerInfo.unsignedAttributeOids,
    messageDigest: messageDigestValue?.[0] === OCTET_STRING_TAG ? copyBytes(contentOf(messageDigestValue)) : null,
    contentTypeAttribute,
    signingCertificateV2,
    signingCertificateV2CertHash: signingCertificateV2?.certHash ?? null,
    signingCertificateV2HashAlgorithm: signingCertificateV2?.hashAlgorithm ?? '',
    certificates: certificates.map((c) => c.der),
    signerCertificate: signer?.der ?? null,
    signature: copyBytes(signerInfo.signature),
    signedAttributes: signerInfo.signedAttrs === null ? Buffer.alloc(0) : withSetOfTag(signerInfo.signedAttrs),
  };
}

const OCTET_STRING_TAG = 0x04;
const OBJECT_IDENTIFIER_TAG = 0x06;

/** RFC 5652 §5.4: the signature covers the signed attributes with the SET OF tag, not [0] IMPLICIT. */
function withSetOfTag(signedAttrs: Buffer): Buffer {
  const bytes = copyBytes(signedAttrs);
  bytes[0] = 0x31;
  return bytes;
}

function isCertificateRevocationList(der: Buffer): boolean {
  if (der[0] !== 0x30) return false;
  try {
    new pkijs.CertificateRevocationList({ schema: decodeBer(der, 'CMS crl') });
    return true;
  } catch {
    return false;
  }
}

/**
 * The certificate's own issuer and serialNumber bytes against the sid's; when they differ, the
 * comparison of the pkijs path (which re-encodes both), so that the answer is the same.
 */
function isNamedBySid(certificate: pkijs.Certificate, sid: SignerIdentifierDer, decodeSid: (element: Buffer) => pkijs.IssuerAndSerialNumber): boolean {
  if ('subjectKeyIdentifier' in sid) return isNamedByKeyIdentifier(certificate, sid.subjectKeyIdentifier);
  const issuer = Buffer.from(certificate.issuer.valueBeforeDecode);
  const serialNumber = certificate.serialNumber.valueBeforeDecodeView;
  if (issuer.equals(sid.issuer) && sid.serialNumber.equals(serialNumber)) return true;
  return isCertificateNamedBy(certificate, decodeSid(sid.element));
}

/** The pkijs path, for any BER; errors become CMS_MALFORMED. Exported for the tests that hold both paths to the same result. */
export function decodeSignedDataWithPkijs(der: Buffer): SignedDataDetails {
  // DER as we and most signers write it: the certificates are cut out and read by their own
  // (cached) decoder; anything else is decoded whole.
  const split = splitCertificates(der);
  if (split !== null && !split.trailing.every((b) => b === 0)) {
    throw new MapsignError('CMS_MALFORMED', `CMS ContentInfo has ${split.trailing.length} trailing bytes after its ASN.1 element`, {
      details: { input: 'CMS ContentInfo', length: der.length, decoded: der.length - split.trailing.length },
    });
  }
  const root = decodeBer(split?.rest ?? der, 'CMS ContentInfo', true);
  const contentInfo = decodePki(() => new pkijs.ContentInfo({ schema: root }), 'ContentInfo');
  if (contentInfo.contentType !== OID.signedData) {
    throw new MapsignError('CMS_MALFORMED', `CMS content type is ${contentInfo.contentType}, not signed-data`, {
      details: { contentType: contentInfo.contentType },
    });
  }
  const signedDataBlock = contentInfo.content as AsnBlock;
  const signedData = decodePki(() => new pkijs.SignedData({ schema: signedDataBlock }), 'SignedData');
  const certificates = split === null ? readCertificates(signedDataBlock) : readSplitCertificates(split.certificates);
  const signerInfo = signedData.signerInfos[0];
  if (signerInfo === undefined) throw new MapsignError('CMS_MALFORMED', 'SignedData has no SignerInfo');

  const signedAttributes = signerInfo.signedAttrs?.attributes ?? [];
  const unsignedAttributes = signerInfo.unsignedAttrs?.attributes ?? [];
  const firstValue = (oid: string): AsnBlock | undefined => signedAttributes.find((a) => a.type === oid)?.values[0] as AsnBlock | undefined;

  const messageDigestValue = firstValue(OID.messageDigest);
  const contentTypeValue = firstValue(OID.contentType);
  const signingCertificateValue = firstValue(OID.signingCertificateV2);
  const signingCertificateV2 = signingCertificateValue === undefined ? null : readSigningCertificateV2(signingCertificateValue);
  const signer = certificates.find((c) => isSigner(c.parsed, signerInfo.sid));

  return {
    signerCount: signedData.signerInfos.length,
    eContentType: signedData.encapContentInfo.eContentType,
    isDetached: signedData.encapContentInfo.eContent === undefined,
    digestAlgorithm: nameHashAlgorithm(signerInfo.digestAlgorithm.algorithmId),
    digestAlgorithmOid: signerInfo.digestAlgorithm.algorithmId,
    signatureAlgorithmOid: signerInfo.signatureAlgorithm.algorithmId,
    signatureAlgorithm: signerInfo.signatureAlgorithm,
    signedAttributeOids: signedAttributes.map((a) => a.type),
    unsignedAttributeOids: unsignedAttributes.map((a) => a.type),
    messageDigest: messageDigestValue instanceof asn1js.OctetString ? copyBytes(messageDigestValue.valueBlock.valueHexView) : null,
    contentTypeAttribute: contentTypeValue instanceof asn1js.ObjectIdentifier ? contentTypeValue.valueBlock.toString() : null,
    signingCertificateV2,
    signingCertificateV2CertHash: signingCertificateV2?.certHash ?? null,
    signingCertificateV2HashAlgorithm: signingCertificateV2?.hashAlgorithm ?? '',
    certificates: certificates.map((c) => c.der),
    signerCertificate: signer?.der ?? null,
    signature: copyBytes(signerInfo.signature.valueBlock.valueHexView),
    // pkijs keeps the original bytes of signedAttrs with the tag already switched to SET OF.
    signedAttributes: signerInfo.signedAttrs === undefined ? Buffer.alloc(0) : copyBytes(new Uint8Array(signerInfo.signedAttrs.encodedValue)),
  };
}

function decodePki<T>(decode: () => T, what: string): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof MapsignError) throw error;
    throw new MapsignError('CMS_MALFORMED', `CMS ${what} is malformed: ${describeError(error)}`, { cause: error });
  }
}

interface EmbeddedCertificate {
  der: Buffer;
  parsed: pkijs.Certificate;
}

/** The X.509 members (untagged SEQUENCEs) among CertificateChoices cut out as bytes. */
function readSplitCertificates(members: readonly Buffer[]): EmbeddedCertificate[] {
  return members.filter((der) => der[0] === 0x30).map((der) => ({ der: copyBytes(der), parsed: readEmbeddedCertificate(copyBytes(der), 'certificate') }));
}

/** The X.509 members of `certificates [0] IMPLICIT CertificateSet`, with their bytes as they were. */
function readCertificates(signedDataBlock: AsnBlock): EmbeddedCertificate[] {
  if (!(signedDataBlock instanceof asn1js.Sequence)) return [];
  const set = signedDataBlock.valueBlock.value.find((b) => b.idBlock.tagClass === 3 && b.idBlock.tagNumber === 0);
  if (!(set instanceof asn1js.Constructed)) return [];
  // Other CertificateChoices carry context tags [0]..[3]; only the untagged SEQUENCE is X.509.
  return set.valueBlock.value
    .filter((b) => b instanceof asn1js.Sequence)
    .map((b) => ({
      der: copyBytes(b.valueBeforeDecodeView),
      parsed: decodePki(() => new pkijs.Certificate({ schema: b }), 'certificate'),
    }));
}

const SUBJECT_KEY_IDENTIFIER = '2.5.29.14';

/**
 * ```asn
 * SignerIdentifier ::= CHOICE {
 *   issuerAndSerialNumber  IssuerAndSerialNumber,
 *   subjectKeyIdentifier   [0] SubjectKeyIdentifier }
 * ```
 */
function isSigner(certificate: pkijs.Certificate, sid: pkijs.SignerInfo['sid']): boolean {
  if (sid instanceof pkijs.IssuerAndSerialNumber) return isCertificateNamedBy(certificate, sid);
  const block = sid as AsnBlock;
  const keyId = block instanceof asn1js.Constructed ? block.valueBlock.value[0] : block;
  if (keyId === undefined || !('valueHexView' in keyId.valueBlock)) return false;
  return isNamedByKeyIdentifier(certificate, copyBytes(keyId.valueBlock.valueHexView as Uint8Array));
}

/** RFC 5280 §4.2.1.2: the subjectKeyIdentifier extension, or the SHA-1 of the key's bits when there is none. */
function isNamedByKeyIdentifier(certificate: pkijs.Certificate, wanted: Buffer): boolean {
  const extension = certificate.extensions?.find((e) => e.extnID === SUBJECT_KEY_IDENTIFIER);
  if (extension !== undefined) {
    const value = extension.parsedValue as { valueBlock?: { valueHexView?: Uint8Array } } | undefined;
    const own = value?.valueBlock?.valueHexView;
    return own !== undefined && copyBytes(own).equals(wanted);
  }
  const keyBits = certificate.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView;
  return createHash('sha1').update(keyBits).digest().equals(wanted);
}
