// The signed attributes of a PAdES B-B signature (ETSI EN 319 142-1 §5.2, EN 319 122-1 §5.2):
// content-type, message-digest and signing-certificate-v2, and deliberately no signing-time
// (PAdES puts the claimed time in the signature dictionary's /M). RFC 5652 §5.3-§5.4, §11.
import { MapsignError } from '../errors.js';
import { assertHashAlgorithm, getHashLength, OID, type HashAlgorithm } from './algorithms.js';
import { readCertificate } from './certificate-ref.js';
import { encodeAttribute } from './certificate-set.js';
import { DER_TAG, encodeElement, encodeObjectIdentifier, encodeSetOf } from './der.js';
import { encodeSigningCertificateV2 } from './signing-certificate-v2.js';

export interface BuildSignedAttributesOptions {
  /** Hash of the signed byte ranges of the document, under `hashAlgorithm`. */
  documentDigest: Buffer;
  hashAlgorithm: HashAlgorithm;
  /** DER of the signer's certificate. */
  signerCertificate: Buffer;
}

/** The content-type attribute with its one value for PAdES, id-data. */
const CONTENT_TYPE_DATA = encodeAttribute(encodeObjectIdentifier(OID.contentType), encodeObjectIdentifier(OID.data));
const MESSAGE_DIGEST_OID = encodeObjectIdentifier(OID.messageDigest);
const SIGNING_CERTIFICATE_V2_OID = encodeObjectIdentifier(OID.signingCertificateV2);

/**
 * Returns the DER of the signed attributes as `SET OF Attribute` (tag 0x31): the exact bytes
 * that are hashed and signed (RFC 5652 §5.4). In the SignerInfo the same content carries the
 * [0] IMPLICIT tag instead. Components are in DER order (X.690 §11.6).
 * ```asn
 * SignedAttributes ::= SET SIZE (1..MAX) OF Attribute
 * Attribute ::= SEQUENCE {
 *   attrType    OBJECT IDENTIFIER,
 *   attrValues  SET OF AttributeValue }
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
  // Proves the certificate DER X.509 (CMS_MALFORMED otherwise): its issuer and serial are copied as they stand.
  readCertificate(signerCertificate, 'signer certificate');
  return encodeSetOf([
    CONTENT_TYPE_DATA,
    encodeAttribute(MESSAGE_DIGEST_OID, encodeElement(DER_TAG.octetString, [documentDigest])),
    encodeAttribute(SIGNING_CERTIFICATE_V2_OID, encodeSigningCertificateV2(signerCertificate, hashAlgorithm)),
  ]);
}
