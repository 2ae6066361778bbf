// Assembles the CMS ContentInfo(SignedData) of a PAdES signature (RFC 5652 §5, ETSI EN 319
// 142-1 §5.1, /SubFilter ETSI.CAdES.detached): detached, one SignerInfo, the chain included.
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { MapsignError } from '../errors.js';
import { assertHashAlgorithm, assertSignatureScheme, getHashLength, isHashAlgorithm, OID, type HashAlgorithm, type SignatureScheme } from './algorithms.js';
import { readCertificate } from './certificate-ref.js';
import { isAttributeDer } from './certificate-set.js';
import { decodeDer, describeError, sortDer } from './der.js';
import { readSignedData } from './parse.js';
import { buildSignedAttributes } from './signed-attrs.js';
import { readAttributeSetDer } from './signed-data-reader.js';
import { writeSignedData } from './signed-data-writer.js';

export interface AssembleSignedDataOptions {
  /** DER of the signed attributes as SET OF (tag 0x31), exactly as signed. */
  signedAttributes: Buffer;
  /** The signature over `signedAttributes` (for ECDSA, the DER Ecdsa-Sig-Value). */
  signature: Buffer;
  hashAlgorithm: HashAlgorithm;
  scheme: SignatureScheme;
  /** DER certificates, signer first. */
  certificates: Buffer[];
  /** DER of each unsigned Attribute (e.g. a signature-time-stamp). */
  unsignedAttributes?: Buffer[];
}

export interface EstimateSignedDataSizeOptions {
  /** DER certificates, signer first: the ones that will be embedded. */
  certificates: Buffer[];
  /** Upper bound of the signature size (KeySource.maxSignatureBytes). */
  signatureBytes: number;
  hashAlgorithm: HashAlgorithm;
  /** Room for unsigned attributes added later (timestamp token, …), in bytes of DER. */
  extraBytes?: number;
}

/**
 * Covers what adding unsigned attributes does beyond their own bytes: the [1] IMPLICIT
 * header (≤ 6 bytes) and longer length fields on the five enclosing elements (ContentInfo,
 * [0] EXPLICIT, SignedData, SignerInfos, SignerInfo), each at most 4 bytes longer.
 */
const HEADER_GROWTH_MARGIN = 32;

/**
 * ```asn
 * SignedData ::= SEQUENCE {
 *   version           CMSVersion,
 *   digestAlgorithms  DigestAlgorithmIdentifiers,
 *   encapContentInfo  EncapsulatedContentInfo,
 *   certificates      [0] IMPLICIT CertificateSet OPTIONAL,
 *   crls              [1] IMPLICIT RevocationInfoChoices OPTIONAL,
 *   signerInfos       SignerInfos }
 *
 * EncapsulatedContentInfo ::= SEQUENCE {
 *   eContentType  ContentType,
 *   eContent      [0] EXPLICIT OCTET STRING OPTIONAL }
 * ```
 * Version 1 throughout: X.509 certificates only, eContentType id-data, a SignerInfo that
 * names its signer by issuerAndSerialNumber (RFC 5652 §5.1, §5.3). eContent is absent: the
 * content is the PDF's signed byte ranges. After encoding, the result is read back and must
 * hold the signed attributes, signature and certificates byte for byte.
 */
export function assembleSignedData(options: AssembleSignedDataOptions): Buffer {
  const der = encodeSignedData(options);
  const parsed = readSignedData(der);
  const unchanged =
    parsed.signedAttributes.equals(options.signedAttributes) &&
    parsed.signature.equals(options.signature) &&
    parsed.certificates.length === options.certificates.length &&
    parsed.certificates.every((c, i) => c.equals(options.certificates[i] ?? Buffer.alloc(0)));
  if (!unchanged) throw new MapsignError('INTERNAL_ERROR', 'assembled SignedData does not carry its inputs byte for byte');
  if (parsed.signerCertificate === null || !parsed.signerCertificate.equals(options.certificates[0] ?? Buffer.alloc(0))) {
    throw new MapsignError('INTERNAL_ERROR', 'assembled SignerInfo does not name certificates[0]');
  }
  if (parsed.messageDigest === null || parsed.contentTypeAttribute !== OID.data) {
    throw new MapsignError('INTERNAL_ERROR', 'signed attributes lack message-digest or a content-type of id-data');
  }
  if (parsed.messageDigest.length !== getHashLength(options.hashAlgorithm)) {
    throw new MapsignError('INTERNAL_ERROR', `message-digest is ${parsed.messageDigest.length} bytes, not a ${options.hashAlgorithm} digest`, {
      details: { length: parsed.messageDigest.length, hashAlgorithm: options.hashAlgorithm },
    });
  }
  const essCertId = parsed.signingCertificateV2;
  if (essCertId !== null && hashCertificateHex(essCertId.hashAlgorithm, options.certificates[0]) !== essCertId.certHash.toString('hex')) {
    throw new MapsignError('INTERNAL_ERROR', 'signing-certificate-v2 names a different certificate than certificates[0]');
  }
  return der;
}

/** Hex hash of a certificate under an ESSCertIDv2 hash name, null when the name is not one of ours. */
function hashCertificateHex(hash: string, der: Buffer | undefined): string | null {
  if (der === undefined || !isHashAlgorithm(hash)) return null;
  return createHash(hash).update(der).digest('hex');
}

/**
 * An upper bound of what {@link assembleSignedData} produces: the same structure encoded with a
 * zero digest, a signature of `signatureBytes` and rsa-pss (whose signatureAlgorithm, with its
 * parameters, is the longest of the three schemes), plus `extraBytes` and a margin for the
 * headers that unsigned attributes lengthen.
 */
export function estimateSignedDataSize(options: EstimateSignedDataSizeOptions): number {
  const { certificates, signatureBytes, hashAlgorithm, extraBytes = 0 } = options;
  assertHashAlgorithm(hashAlgorithm);
  if (!Number.isSafeInteger(signatureBytes) || signatureBytes <= 0) {
    throw new MapsignError('INTERNAL_ERROR', `signatureBytes must be a positive integer, got ${signatureBytes}`);
  }
  if (!Number.isSafeInteger(extraBytes) || extraBytes < 0) {
    throw new MapsignError('INTERNAL_ERROR', `extraBytes must be a non-negative integer, got ${extraBytes}`);
  }
  const signerCertificate = requireSignerCertificate(certificates);
  // The same signer signs sheet after sheet: the sample encoding depends only on these inputs.
  const key = certificates.reduce((hash, der) => hash.update(der), createHash('sha256').update(`${hashAlgorithm}:${signatureBytes}:`)).digest('base64');
  const known = sampleSizes.get(key);
  if (known !== undefined) return known + extraBytes + HEADER_GROWTH_MARGIN;
  const signedAttributes = buildSignedAttributes({
    documentDigest: Buffer.alloc(getHashLength(hashAlgorithm)),
    hashAlgorithm,
    signerCertificate,
  });
  const sample = encodeSignedData({
    signedAttributes,
    signature: Buffer.alloc(signatureBytes, 0xff),
    hashAlgorithm,
    scheme: 'rsa-pss',
    certificates,
  });
  if (sampleSizes.size >= 64) sampleSizes.clear();
  sampleSizes.set(key, sample.length);
  return sample.length + extraBytes + HEADER_GROWTH_MARGIN;
}

/** Sizes of the sample encoding by signer chain, hash and signature size. */
const sampleSizes = new Map<string, number>();

function requireSignerCertificate(certificates: Buffer[]): Buffer {
  const first = Array.isArray(certificates) ? certificates[0] : undefined;
  if (first === undefined) throw new MapsignError('INTERNAL_ERROR', 'certificates is empty; the signer certificate comes first');
  return first;
}

/** The DER {@link assembleSignedData} checks and returns; exported for tests that compare it with pkijs's encoding. */
export function encodeSignedData(options: AssembleSignedDataOptions): Buffer {
  const { signedAttributes, signature, hashAlgorithm, scheme, certificates, unsignedAttributes = [] } = options;
  assertHashAlgorithm(hashAlgorithm);
  assertSignatureScheme(scheme);
  requireSignerCertificate(certificates);
  if (!Buffer.isBuffer(signature) || signature.length === 0) throw new MapsignError('INTERNAL_ERROR', 'signature is empty or not a Buffer');
  // Every certificate is embedded as the bytes it came as, so each must be proved DER X.509 first.
  certificates.forEach((der, i) => readCertificate(der, i === 0 ? 'signer certificate' : `certificate ${i}`));
  requireSignedAttributes(signedAttributes);
  for (const attribute of unsignedAttributes) {
    if (!Buffer.isBuffer(attribute) || !isAttributeDer(attribute)) throw new MapsignError('CMS_MALFORMED', 'an unsigned attribute is not the DER of an Attribute');
  }
  // UnsignedAttributes is a SET OF: DER order (X.690 §11.6).
  return writeSignedData({ signedAttributes, signature, hashAlgorithm, scheme, certificates, unsignedAttributes: sortDer(unsignedAttributes) });
}

/**
 * Checks that the signed attributes are the DER of a SET OF Attribute, as they go into the
 * SignerInfo unchanged. Ours always pass the strict reader; anything it is unsure of gets the
 * verdict of asn1js and pkijs, so that what they accepted or refused stays so.
 */
function requireSignedAttributes(der: Buffer): void {
  if (!Buffer.isBuffer(der) || readAttributeSetDer(der) === null) readSignedAttributes(der);
}

/**
 * The signed attributes decoded with asn1js and pkijs (strict DER, at least one Attribute). The
 * tests' pkijs reference encoder builds its SignerInfo from these.
 * ```asn
 * SignedAttributes ::= SET SIZE (1..MAX) OF Attribute
 * ```
 */
export function readSignedAttributes(der: Buffer): pkijs.Attribute[] {
  if (!Buffer.isBuffer(der) || der[0] !== 0x31) {
    throw new MapsignError('CMS_MALFORMED', 'signed attributes must be the DER of a SET OF Attribute (tag 0x31)');
  }
  const set = decodeDer(der, 'signed attributes');
  if (!(set instanceof asn1js.Set) || set.valueBlock.value.length === 0) {
    throw new MapsignError('CMS_MALFORMED', 'signed attributes must hold at least one Attribute');
  }
  return set.valueBlock.value.map((block) => toAttribute(block, 'signed attribute'));
}

function toAttribute(block: asn1js.BaseBlock, what: string): pkijs.Attribute {
  try {
    return new pkijs.Attribute({ schema: block });
  } catch (error) {
    throw new MapsignError('CMS_MALFORMED', `${what} is not an Attribute: ${describeError(error)}`, { cause: error });
  }
}
