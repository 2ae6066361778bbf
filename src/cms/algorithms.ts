// Object identifiers and AlgorithmIdentifiers for CMS SignedData: SHA-2 digests (RFC 5754),
// RSA PKCS#1 v1.5 and RSASSA-PSS (RFC 4055, RFC 8017), ECDSA (RFC 5758).
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { MapsignError } from '../errors.js';

export type HashAlgorithm = 'sha256' | 'sha384' | 'sha512';
export type SignatureScheme = 'rsa-pkcs1' | 'rsa-pss' | 'ecdsa';

export const HASH_ALGORITHMS: readonly HashAlgorithm[] = ['sha256', 'sha384', 'sha512'];
export const SIGNATURE_SCHEMES: readonly SignatureScheme[] = ['rsa-pkcs1', 'rsa-pss', 'ecdsa'];

export const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  rsaEncryption: '1.2.840.113549.1.1.1',
  mgf1: '1.2.840.113549.1.1.8',
  rsassaPss: '1.2.840.113549.1.1.10',
  ecPublicKey: '1.2.840.10045.2.1',
} as const;

interface HashSpec {
  readonly oid: string;
  readonly length: number;
  readonly rsaPkcs1Oid: string;
  readonly ecdsaOid: string;
}

const HASH_SPECS: Record<HashAlgorithm, HashSpec> = {
  sha256: { oid: '2.16.840.1.101.3.4.2.1', length: 32, rsaPkcs1Oid: '1.2.840.113549.1.1.11', ecdsaOid: '1.2.840.10045.4.3.2' },
  sha384: { oid: '2.16.840.1.101.3.4.2.2', length: 48, rsaPkcs1Oid: '1.2.840.113549.1.1.12', ecdsaOid: '1.2.840.10045.4.3.3' },
  sha512: { oid: '2.16.840.1.101.3.4.2.3', length: 64, rsaPkcs1Oid: '1.2.840.113549.1.1.13', ecdsaOid: '1.2.840.10045.4.3.4' },
};

export function isHashAlgorithm(value: unknown): value is HashAlgorithm {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(HASH_SPECS, value);
}

/** Rejects a hash name outside the union: callers may come from JSON payloads, not only typed code. */
export function assertHashAlgorithm(value: unknown): asserts value is HashAlgorithm {
  if (!isHashAlgorithm(value)) {
    throw new MapsignError('INTERNAL_ERROR', `unsupported hash algorithm ${JSON.stringify(value)}; expected one of ${HASH_ALGORITHMS.join(', ')}`);
  }
}

export function assertSignatureScheme(value: unknown): asserts value is SignatureScheme {
  if (typeof value !== 'string' || !(SIGNATURE_SCHEMES as readonly string[]).includes(value)) {
    throw new MapsignError('INTERNAL_ERROR', `unsupported signature scheme ${JSON.stringify(value)}; expected one of ${SIGNATURE_SCHEMES.join(', ')}`);
  }
}

export function getHashLength(hash: HashAlgorithm): number {
  return HASH_SPECS[hash].length;
}

export function getHashOid(hash: HashAlgorithm): string {
  return HASH_SPECS[hash].oid;
}

export function findHashAlgorithm(oid: string): HashAlgorithm | undefined {
  return HASH_ALGORITHMS.find((hash) => HASH_SPECS[hash].oid === oid);
}

/** The name when the OID is one of ours, the dotted OID otherwise (for parsed views and reports). */
export function nameHashAlgorithm(oid: string): HashAlgorithm | string {
  return findHashAlgorithm(oid) ?? oid;
}

/**
 * DigestAlgorithmIdentifier with parameters absent, as RFC 5754 §2 requires of generators.
 * ```asn
 * AlgorithmIdentifier ::= SEQUENCE {
 *   algorithm  OBJECT IDENTIFIER,
 *   parameters ANY DEFINED BY algorithm OPTIONAL }
 * ```
 */
export function makeDigestAlgorithmIdentifier(hash: HashAlgorithm): pkijs.AlgorithmIdentifier {
  return new pkijs.AlgorithmIdentifier({ algorithmId: getHashOid(hash) });
}

/**
 * The SignerInfo signatureAlgorithm for a scheme and hash:
 * - rsa-pkcs1: sha*WithRSAEncryption with NULL parameters (RFC 5754 §3.2);
 * - ecdsa: ecdsa-with-SHA* with parameters absent (RFC 5758 §3.2);
 * - rsa-pss: id-RSASSA-PSS with explicit parameters (RFC 4055 §3.1): the hash, MGF1 with the
 *   same hash, saltLength equal to the hash length. trailerField is 1 (trailerFieldBC), its
 *   DEFAULT, so DER leaves it out. The hash identifiers inside carry NULL, as RFC 4055 §2.1
 *   lists them (sha256Identifier ::= { id-sha256, NULL }).
 * ```asn
 * RSASSA-PSS-params ::= SEQUENCE {
 *   hashAlgorithm      [0] HashAlgorithm DEFAULT sha1Identifier,
 *   maskGenAlgorithm   [1] MaskGenAlgorithm DEFAULT mgf1SHA1Identifier,
 *   saltLength         [2] INTEGER DEFAULT 20,
 *   trailerField       [3] INTEGER DEFAULT 1 }
 * ```
 */
export function makeSignatureAlgorithmIdentifier(hash: HashAlgorithm, scheme: SignatureScheme): pkijs.AlgorithmIdentifier {
  const spec = HASH_SPECS[hash];
  switch (scheme) {
    case 'rsa-pkcs1':
      return new pkijs.AlgorithmIdentifier({ algorithmId: spec.rsaPkcs1Oid, algorithmParams: new asn1js.Null() });
    case 'ecdsa':
      return new pkijs.AlgorithmIdentifier({ algorithmId: spec.ecdsaOid });
    case 'rsa-pss': {
      const hashIdentifier = (): pkijs.AlgorithmIdentifier =>
        new pkijs.AlgorithmIdentifier({ algorithmId: spec.oid, algorithmParams: new asn1js.Null() });
      const params = new pkijs.RSASSAPSSParams({
        hashAlgorithm: hashIdentifier(),
        maskGenAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.mgf1, algorithmParams: hashIdentifier().toSchema() }),
        saltLength: spec.length,
        trailerField: 1,
      });
      return new pkijs.AlgorithmIdentifier({ algorithmId: OID.rsassaPss, algorithmParams: params.toSchema() });
    }
  }
}

/** What node:crypto needs to check a signature, resolved from a SignerInfo's algorithms. */
export interface ResolvedSignatureAlgorithm {
  scheme: SignatureScheme;
  hashAlgorithm: HashAlgorithm;
  /** Only for rsa-pss. */
  saltLength?: number;
}

/**
 * Maps a signatureAlgorithm (and, for the bare rsaEncryption / id-ecPublicKey OIDs that some
 * signers put there, the digestAlgorithm) to a scheme and hash. Returns a reason string when
 * the algorithm is one we do not verify.
 */
export function resolveSignatureAlgorithm(
  signatureAlgorithm: pkijs.AlgorithmIdentifier,
  digestAlgorithmOid: string,
): ResolvedSignatureAlgorithm | string {
  const oid = signatureAlgorithm.algorithmId;
  for (const hash of HASH_ALGORITHMS) {
    if (HASH_SPECS[hash].rsaPkcs1Oid === oid) return { scheme: 'rsa-pkcs1', hashAlgorithm: hash };
    if (HASH_SPECS[hash].ecdsaOid === oid) return { scheme: 'ecdsa', hashAlgorithm: hash };
  }
  if (oid === OID.rsaEncryption || oid === OID.ecPublicKey) {
    const hash = findHashAlgorithm(digestAlgorithmOid);
    if (hash === undefined) return `unsupported digest algorithm ${digestAlgorithmOid}`;
    return { scheme: oid === OID.rsaEncryption ? 'rsa-pkcs1' : 'ecdsa', hashAlgorithm: hash };
  }
  if (oid === OID.rsassaPss) return resolvePssParams(signatureAlgorithm);
  return `unsupported signature algorithm ${oid}`;
}

function resolvePssParams(signatureAlgorithm: pkijs.AlgorithmIdentifier): ResolvedSignatureAlgorithm | string {
  let params: pkijs.RSASSAPSSParams;
  try {
    params = new pkijs.RSASSAPSSParams({ schema: signatureAlgorithm.algorithmParams });
  } catch {
    return 'RSASSA-PSS parameters are malformed';
  }
  const hash = findHashAlgorithm(params.hashAlgorithm.algorithmId);
  if (hash === undefined) return `unsupported RSASSA-PSS hash ${params.hashAlgorithm.algorithmId}`;
  if (params.maskGenAlgorithm.algorithmId !== OID.mgf1) return `unsupported RSASSA-PSS mask generation ${params.maskGenAlgorithm.algorithmId}`;
  let mgfHashOid: string;
  try {
    mgfHashOid = new pkijs.AlgorithmIdentifier({ schema: params.maskGenAlgorithm.algorithmParams }).algorithmId;
  } catch {
    return 'RSASSA-PSS MGF1 parameters are malformed';
  }
  // node:crypto derives the MGF1 hash from the signature hash; it cannot check a mixed pair.
  if (mgfHashOid !== HASH_SPECS[hash].oid) return `RSASSA-PSS MGF1 hash ${mgfHashOid} differs from the signature hash`;
  if (params.trailerField !== 1) return `unsupported RSASSA-PSS trailerField ${params.trailerField}`;
  return { scheme: 'rsa-pss', hashAlgorithm: hash, saltLength: params.saltLength };
}
