// Writes the DER of the ContentInfo(SignedData) of a PAdES signature by hand (RFC 5652 §3, §5.1,
// §5.3; X.690 §10): building pkijs objects and encoding them with asn1js costs milliseconds per
// signature, while every part is either fixed for a signer and hash or already DER.
import { MapsignError } from '../errors.js';
import { makeDigestAlgorithmIdentifier, makeSignatureAlgorithmIdentifier, OID, type HashAlgorithm, type SignatureScheme } from './algorithms.js';
import { readElement, type Element } from './certificate-set.js';
import { DER_TAG, encodeDer, encodeElement, encodeObjectIdentifier } from './der.js';

export interface WriteSignedDataOptions {
  /** DER of the signed attributes as SET OF (tag 0x31), exactly as signed. */
  signedAttributes: Buffer;
  signature: Buffer;
  hashAlgorithm: HashAlgorithm;
  scheme: SignatureScheme;
  /** DER certificates, signer first, embedded as they are. */
  certificates: readonly Buffer[];
  /** DER of each unsigned Attribute, already in DER order. */
  unsignedAttributes: readonly Buffer[];
}

/** CMSVersion 1: X.509 certificates only, id-data, issuerAndSerialNumber (RFC 5652 §5.1, §5.3). */
const VERSION_1 = encodeElement(DER_TAG.integer, [Buffer.from([1])]);
const SIGNED_DATA_OID = encodeObjectIdentifier(OID.signedData);
/** EncapsulatedContentInfo of a detached signature: id-data, eContent absent. */
const DETACHED_DATA = encodeElement(DER_TAG.sequence, [encodeObjectIdentifier(OID.data)]);

/**
 * ```asn
 * ContentInfo ::= SEQUENCE {
 *   contentType  ContentType,
 *   content      [0] EXPLICIT ANY DEFINED BY contentType }
 *
 * SignedData ::= SEQUENCE {
 *   version           CMSVersion,
 *   digestAlgorithms  DigestAlgorithmIdentifiers,
 *   encapContentInfo  EncapsulatedContentInfo,
 *   certificates      [0] IMPLICIT CertificateSet OPTIONAL,
 *   crls              [1] IMPLICIT RevocationInfoChoices OPTIONAL,
 *   signerInfos       SignerInfos }
 *
 * DigestAlgorithmIdentifiers ::= SET OF DigestAlgorithmIdentifier
 * SignerInfos ::= SET OF SignerInfo
 * ```
 * One digest algorithm and one SignerInfo, so neither SET needs sorting; no crls (revocation
 * data goes in the PDF's /DSS).
 */
export function writeSignedData(options: WriteSignedDataOptions): Buffer {
  const { hashAlgorithm, certificates } = options;
  const signedData = encodeElement(DER_TAG.sequence, [
    VERSION_1,
    encodeElement(DER_TAG.set, [encodeDigestAlgorithmIdentifier(hashAlgorithm)]),
    DETACHED_DATA,
    encodeElement(DER_TAG.context0, certificates),
    encodeElement(DER_TAG.set, [writeSignerInfo(options)]),
  ]);
  return encodeElement(DER_TAG.sequence, [SIGNED_DATA_OID, encodeElement(DER_TAG.context0, [signedData])]);
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
 *
 * SignerIdentifier ::= CHOICE { issuerAndSerialNumber IssuerAndSerialNumber, … }
 * IssuerAndSerialNumber ::= SEQUENCE { issuer Name, serialNumber CertificateSerialNumber }
 * SignatureValue ::= OCTET STRING
 * ```
 */
function writeSignerInfo(options: WriteSignedDataOptions): Buffer {
  const { signedAttributes, signature, hashAlgorithm, scheme, certificates, unsignedAttributes } = options;
  const { issuer, serialNumber } = readIssuerAndSerialNumber(certificates[0]!);
  // [0] IMPLICIT keeps the SET's length and content; only the identifier octet differs (RFC 5652 §5.4).
  const signedAttrs = Buffer.from(signedAttributes);
  signedAttrs[0] = DER_TAG.context0;
  return encodeElement(DER_TAG.sequence, [
    VERSION_1,
    encodeElement(DER_TAG.sequence, [issuer, serialNumber]),
    encodeDigestAlgorithmIdentifier(hashAlgorithm),
    signedAttrs,
    encodeSignatureAlgorithmIdentifier(hashAlgorithm, scheme),
    encodeElement(DER_TAG.octetString, [signature]),
    ...(unsignedAttributes.length === 0 ? [] : [encodeElement(DER_TAG.context1, unsignedAttributes)]),
  ]);
}

export interface IssuerAndSerialNumberDer {
  /** The issuer Name element. */
  issuer: Buffer;
  /** The serialNumber INTEGER element. */
  serialNumber: Buffer;
}

/**
 * The issuer and serialNumber elements exactly as they stand in the certificate, which names
 * it in IssuerAndSerialNumber and ESS IssuerSerial alike. The certificate must already be
 * proved DER X.509 (readCertificate); the bytes alias it.
 * ```asn
 * Certificate ::= SEQUENCE { tbsCertificate TBSCertificate, … }
 * TBSCertificate ::= SEQUENCE {
 *   version       [0] EXPLICIT Version DEFAULT v1,
 *   serialNumber  CertificateSerialNumber,
 *   signature     AlgorithmIdentifier,
 *   issuer        Name,
 *   … }
 * ```
 */
export function readIssuerAndSerialNumber(certificate: Buffer): IssuerAndSerialNumberDer {
  const outer = readElement(certificate, 0, certificate.length);
  const tbs = outer?.tag === DER_TAG.sequence ? readElement(certificate, outer.contentStart, outer.end) : null;
  const next = (after: Element | null): Element | null => (tbs && after ? readElement(certificate, after.end, tbs.end) : null);
  const first = tbs?.tag === DER_TAG.sequence ? readElement(certificate, tbs.contentStart, tbs.end) : null;
  const serialNumber = first?.tag === DER_TAG.context0 ? next(first) : first;
  const issuer = next(next(serialNumber));
  if (serialNumber?.tag !== DER_TAG.integer || issuer?.tag !== DER_TAG.sequence) {
    throw new MapsignError('CMS_MALFORMED', 'signer certificate has no issuer and serialNumber where X.509 puts them');
  }
  return { issuer: certificate.subarray(issuer.start, issuer.end), serialNumber: certificate.subarray(serialNumber.start, serialNumber.end) };
}

const digestAlgorithmIdentifiers = new Map<HashAlgorithm, Buffer>();
const signatureAlgorithmIdentifiers = new Map<string, Buffer>();

/** The bytes of {@link makeDigestAlgorithmIdentifier}'s encoding, made once per hash. */
export function encodeDigestAlgorithmIdentifier(hash: HashAlgorithm): Buffer {
  let der = digestAlgorithmIdentifiers.get(hash);
  if (der === undefined) digestAlgorithmIdentifiers.set(hash, (der = encodeDer(makeDigestAlgorithmIdentifier(hash).toSchema())));
  return der;
}

/** The bytes of {@link makeSignatureAlgorithmIdentifier}'s encoding, made once per hash and scheme. */
function encodeSignatureAlgorithmIdentifier(hash: HashAlgorithm, scheme: SignatureScheme): Buffer {
  const key = `${hash}:${scheme}`;
  let der = signatureAlgorithmIdentifiers.get(key);
  if (der === undefined) signatureAlgorithmIdentifiers.set(key, (der = encodeDer(makeSignatureAlgorithmIdentifier(hash, scheme).toSchema())));
  return der;
}
