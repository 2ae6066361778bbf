// The signed attributes of a PAdES B-B signature (ETSI EN 319 142-1 §5.2, EN 319 122-1 §5.2):
// content-type, message-digest and signing-certificate-v2, and deliberately no signing-time
// (PAdES puts the claimed time in the signature dictionary's /M). RFC 5652 §5.3-§5.4, §11.
import * as asn1js from 'asn1js';
import { MapsignError } from '../errors.js';
import { assertHashAlgorithm, getHashLength, OID, type HashAlgorithm } from './algorithms.js';
import { readCertificate } from './certificate-ref.js';
import { encodeDer, sortDer } from './der.js';
import { buildSigningCertificateV2 } from './signing-certificate-v2.js';

export interface BuildSignedAttributesOptions {
  /** Hash of the signed byte ranges of the document, under `hashAlgorithm`. */
  documentDigest: Buffer;
  hashAlgorithm: HashAlgorithm;
  /** DER of the signer's certificate. */
  signerCertificate: Buffer;
}

/**
 * ```asn
 * Attribute ::= SEQUENCE {
 *   attrType    OBJECT IDENTIFIER,
 *   attrValues  SET OF AttributeValue }
 * ```
 */
function encodeAttribute(type: string, value: asn1js.BaseBlock): Buffer {
  return encodeDer(new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: type }), new asn1js.Set({ value: [value] })] }));
}

/**
 * Returns the DER of the signed attributes as `SET OF Attribute` (tag 0x31): the exact bytes
 * that are hashed and signed (RFC 5652 §5.4). In the SignerInfo the same content carries the
 * [0] IMPLICIT tag instead. Components are in DER order (X.690 §11.6).
 * ```asn
 * SignedAttributes ::= SET SIZE (1..MAX) OF Attribute
 * ContentType ::= OBJECT IDENTIFIER
 * MessageDigest ::= OCTET STRING
 * ```
 */
export function buildSignedAttributes(options: BuildSignedAttributesOptions): Buffer {
  const { documentDigest, hashAlgorithm, signerCertificate } = options;
  assertHashAlgorithm(hashAlgorithm);
  if (!Buffer.isBuffer(documentDigest) || documentDigest.length !== getHashLength(hashAlgorithm)) {
    const length = Buffer.isBuffer(documentDigest) ? documentDigest.length : -1;
    throw new MapsignError('INTERNAL_ERROR', `documentDigest is ${length} bytes; a ${hashAlgorithm} digest is ${getHashLength(hashAlgorithm)}`, {
      details: { length, hashAlgorithm },
    });
  }
  const certificate = readCertificate(signerCertificate, 'signer certificate');
  const attributes = [
    encodeAttribute(OID.contentType, new asn1js.ObjectIdentifier({ value: OID.data })),
    encodeAttribute(OID.messageDigest, new asn1js.OctetString({ valueHex: documentDigest })),
    encodeAttribute(OID.signingCertificateV2, buildSigningCertificateV2(signerCertificate, certificate, hashAlgorithm)),
  ];
  return encodeSetOf(attributes);
}

/** A SET OF from the DER of its components, sorted as DER requires. */
export function encodeSetOf(components: readonly Buffer[]): Buffer {
  const sorted = sortDer(components);
  const content = Buffer.concat(sorted);
  return Buffer.concat([Buffer.from([0x31]), encodeLength(content.length), content]);
}

/** X.690 §8.1.3: short form below 128, long form with the fewest octets otherwise. */
export function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const octets: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) octets.unshift(rest % 256);
  return Buffer.from([0x80 | octets.length, ...octets]);
}
