// Public surface of the cms module: CMS SignedData for PAdES baseline signatures (RFC 5652,
// ETSI EN 319 122-1, EN 319 142-1). It receives a digest, never the document.
import * as algorithms from './algorithms.js';
import * as parse from './parse.js';
import * as signedAttrs from './signed-attrs.js';
import * as signedData from './signed-data.js';
import * as verify from './verify.js';

/** Digest algorithms mapsign signs with (SHA-2, RFC 5754). */
export type HashAlgorithm = algorithms.HashAlgorithm;

/** Signature schemes: RSASSA-PKCS1-v1_5, RSASSA-PSS (RFC 8017) and ECDSA (RFC 5758). */
export type SignatureScheme = algorithms.SignatureScheme;

/** Input of {@link buildSignedAttributes}. */
export type BuildSignedAttributesOptions = signedAttrs.BuildSignedAttributesOptions;

/** Input of {@link assembleSignedData}. */
export type AssembleSignedDataOptions = signedData.AssembleSignedDataOptions;

/** Input of {@link estimateSignedDataSize}. */
export type EstimateSignedDataSizeOptions = signedData.EstimateSignedDataSizeOptions;

/** Output of {@link parseSignedData}. */
export type ParseSignedDataResult = parse.ParseSignedDataResult;

/** Output of {@link verifySignedData}. */
export type VerifySignedDataResult = verify.VerifySignedDataResult;

/** The hash algorithms, in increasing strength. */
export const HASH_ALGORITHMS: readonly HashAlgorithm[] = algorithms.HASH_ALGORITHMS;

/** Whether a value names one of {@link HASH_ALGORITHMS}. */
export function isHashAlgorithm(value: unknown): value is HashAlgorithm {
  return algorithms.isHashAlgorithm(value);
}

/** Digest length in bytes (32, 48, 64). */
export function getHashLength(hash: HashAlgorithm): number {
  return algorithms.getHashLength(hash);
}

/**
 * DER of the signed attributes as a SET OF (tag 0x31), i.e. exactly the bytes that get hashed
 * and signed: content-type (id-data), message-digest (`documentDigest`) and
 * signing-certificate-v2 (the signer certificate hashed with `hashAlgorithm`, plus its issuer
 * and serial), in DER order. No signing-time: PAdES carries the time in `/M`.
 *
 * @throws MapsignError `INTERNAL_ERROR` when the digest length does not fit the hash,
 *   `CMS_MALFORMED` when the certificate is not a DER X.509 certificate.
 */
export function buildSignedAttributes(options: BuildSignedAttributesOptions): Buffer {
  return signedAttrs.buildSignedAttributes(options);
}

/**
 * ContentInfo(SignedData) DER: detached (no eContent), eContentType id-data, exactly one
 * SignerInfo (version 1, issuerAndSerialNumber of `certificates[0]`), digestAlgorithms =
 * [hash], certificates = the chain given (signer first, order kept), signatureAlgorithm per
 * scheme (sha*WithRSAEncryption; RSASSA-PSS with explicit hash, MGF1 with the same hash and
 * saltLength = hash length; ecdsa-with-SHA*). `unsignedAttributes` (DER of each Attribute) are
 * placed in DER order. The output is read back and must carry every input byte for byte.
 *
 * @throws MapsignError `CMS_MALFORMED` for inputs that are not DER of what they claim to be,
 *   `INTERNAL_ERROR` for empty chains or signatures, unknown names, or a failed read-back.
 */
export function assembleSignedData(options: AssembleSignedDataOptions): Buffer {
  return signedData.assembleSignedData(options);
}

/**
 * Upper bound of the DER size {@link assembleSignedData} will produce for these certificates
 * and a signature of at most `signatureBytes`, for reserving `/Contents`. `extraBytes` is room
 * for unsigned attributes (timestamps) added later; the header growth they cause is included.
 */
export function estimateSignedDataSize(options: EstimateSignedDataSizeOptions): number {
  return signedData.estimateSignedDataSize(options);
}

/**
 * Parsed view of a ContentInfo(SignedData) and its first SignerInfo, for self-checks and tests.
 * Accepts BER, and trailing 0x00 bytes (the padding of a PDF /Contents reservation).
 * `signedAttributes` holds the original bytes with the SET OF tag, ready for verification.
 *
 * @throws MapsignError `CMS_MALFORMED` when the bytes are not a SignedData with a SignerInfo.
 */
export function parseSignedData(der: Buffer): ParseSignedDataResult {
  const {
    digestAlgorithmOid: _digestAlgorithmOid,
    signatureAlgorithm: _signatureAlgorithm,
    contentTypeAttribute: _contentTypeAttribute,
    signingCertificateV2: _signingCertificateV2,
    ...view
  } = parse.readSignedData(der);
  return view;
}

/**
 * Verifies the CMS signature of a SignedData against the document digest with node:crypto:
 * message-digest equals `documentDigest`, content-type matches, signing-certificate-v2 matches
 * the signer certificate, and the signature over the signed attributes checks with the signer
 * certificate's public key. Never throws; a failure comes back as `{ok: false, reason}`.
 * Certificate path, validity and revocation are not checked here.
 */
export function verifySignedData(der: Buffer, documentDigest: Buffer): VerifySignedDataResult {
  return verify.verifySignedData(der, documentDigest);
}

export {
  SIGNATURE_TIME_STAMP_OID,
  buildSignatureTimeStampAttribute,
  buildTimeStampRequest,
  readSignatureTimeStampTokens,
  readTimeStampResponse,
  readTimeStampToken,
} from './timestamp-token.js';
export type { TimeStampRequestOptions, TimeStampToken } from './timestamp-token.js';
