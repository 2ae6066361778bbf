// Signature algorithms of certificates, CRLs and OCSP responses (RFC 5280 §4.1.1.2, RFC 4055,
// RFC 5758, RFC 8410): which hash each uses, which are too weak to accept (MD5, SHA-1), and
// verification of a signature over DER bytes with node:crypto.
import { constants, verify as verifySignature, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import type * as pkijs from 'pkijs';

export interface SignatureAlgorithmFacts {
  /** 'sha256WithRSAEncryption', 'ecdsa-with-SHA384', 'rsassa-pss(sha256)', or the dotted OID. */
  name: string;
  /** node:crypto hash name, or null for Ed25519/Ed448 (hash inside the scheme) and unknown algorithms. */
  hash: string | null;
  scheme: 'rsa-pkcs1' | 'rsa-pss' | 'ecdsa' | 'eddsa' | 'dsa' | 'unknown';
  /** MD2, MD5 and SHA-1 signatures are refused (collisions are practical). */
  isWeak: boolean;
}

const KNOWN: Record<string, Omit<SignatureAlgorithmFacts, 'isWeak'>> = {
  '1.2.840.113549.1.1.2': { name: 'md2WithRSAEncryption', hash: 'md2', scheme: 'rsa-pkcs1' },
  '1.2.840.113549.1.1.4': { name: 'md5WithRSAEncryption', hash: 'md5', scheme: 'rsa-pkcs1' },
  '1.2.840.113549.1.1.5': { name: 'sha1WithRSAEncryption', hash: 'sha1', scheme: 'rsa-pkcs1' },
  '1.3.14.3.2.29': { name: 'sha1WithRSASignature', hash: 'sha1', scheme: 'rsa-pkcs1' },
  '1.2.840.113549.1.1.14': { name: 'sha224WithRSAEncryption', hash: 'sha224', scheme: 'rsa-pkcs1' },
  '1.2.840.113549.1.1.11': { name: 'sha256WithRSAEncryption', hash: 'sha256', scheme: 'rsa-pkcs1' },
  '1.2.840.113549.1.1.12': { name: 'sha384WithRSAEncryption', hash: 'sha384', scheme: 'rsa-pkcs1' },
  '1.2.840.113549.1.1.13': { name: 'sha512WithRSAEncryption', hash: 'sha512', scheme: 'rsa-pkcs1' },
  '1.2.840.10045.4.1': { name: 'ecdsa-with-SHA1', hash: 'sha1', scheme: 'ecdsa' },
  '1.2.840.10045.4.3.1': { name: 'ecdsa-with-SHA224', hash: 'sha224', scheme: 'ecdsa' },
  '1.2.840.10045.4.3.2': { name: 'ecdsa-with-SHA256', hash: 'sha256', scheme: 'ecdsa' },
  '1.2.840.10045.4.3.3': { name: 'ecdsa-with-SHA384', hash: 'sha384', scheme: 'ecdsa' },
  '1.2.840.10045.4.3.4': { name: 'ecdsa-with-SHA512', hash: 'sha512', scheme: 'ecdsa' },
  '1.2.840.10040.4.3': { name: 'dsa-with-sha1', hash: 'sha1', scheme: 'dsa' },
  '2.16.840.1.101.3.4.3.2': { name: 'dsa-with-sha256', hash: 'sha256', scheme: 'dsa' },
  '1.3.101.112': { name: 'Ed25519', hash: null, scheme: 'eddsa' },
  '1.3.101.113': { name: 'Ed448', hash: null, scheme: 'eddsa' },
};

const WEAK_HASHES = new Set(['md2', 'md5', 'sha1']);
const RSASSA_PSS = '1.2.840.113549.1.1.10';

const HASH_OIDS: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/**
 * ```asn
 * RSASSA-PSS-params ::= SEQUENCE {
 *   hashAlgorithm      [0] HashAlgorithm      DEFAULT sha1,
 *   maskGenAlgorithm   [1] MaskGenAlgorithm   DEFAULT mgf1SHA1,
 *   saltLength         [2] INTEGER            DEFAULT 20,
 *   trailerField       [3] TrailerField       DEFAULT trailerFieldBC }
 * ```
 * Only the hash and salt length matter to node:crypto (MGF1 uses the same hash there).
 */
function readPssParams(params: unknown): { hash: string; saltLength: number } {
  let hash = 'sha1';
  let saltLength = 20;
  if (params instanceof asn1js.Sequence) {
    for (const field of params.valueBlock.value) {
      const tag = field.idBlock.tagNumber;
      const inner = (field as asn1js.Constructed).valueBlock?.value?.[0];
      if (tag === 0 && inner instanceof asn1js.Sequence) {
        const oid = inner.valueBlock.value[0];
        if (oid instanceof asn1js.ObjectIdentifier) hash = HASH_OIDS[oid.valueBlock.toString()] ?? oid.valueBlock.toString();
      } else if (tag === 2 && inner instanceof asn1js.Integer) {
        saltLength = inner.valueBlock.valueDec;
      }
    }
  }
  return { hash, saltLength };
}

/** What a signature AlgorithmIdentifier says. */
export function describeSignatureAlgorithm(algorithm: pkijs.AlgorithmIdentifier): SignatureAlgorithmFacts {
  const oid = algorithm.algorithmId;
  if (oid === RSASSA_PSS) {
    const { hash } = readPssParams(algorithm.algorithmParams);
    return { name: `rsassa-pss(${hash})`, hash, scheme: 'rsa-pss', isWeak: WEAK_HASHES.has(hash) };
  }
  const known = KNOWN[oid];
  if (known === undefined) return { name: oid, hash: null, scheme: 'unknown', isWeak: false };
  return { ...known, isWeak: known.hash !== null && WEAK_HASHES.has(known.hash) };
}

/**
 * Verifies `signature` over `data` with `publicKey` as `algorithm` prescribes. Never throws:
 * an unknown algorithm or a malformed key or signature is simply not a valid signature.
 */
export function verifyWithAlgorithm(algorithm: pkijs.AlgorithmIdentifier, data: Uint8Array, signature: Uint8Array, publicKey: KeyObject): boolean {
  const facts = describeSignatureAlgorithm(algorithm);
  try {
    switch (facts.scheme) {
      case 'rsa-pkcs1':
        return verifySignature(facts.hash, data, { key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
      case 'rsa-pss': {
        const { hash, saltLength } = readPssParams(algorithm.algorithmParams);
        return verifySignature(hash, data, { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, signature);
      }
      case 'ecdsa':
      case 'dsa':
        return verifySignature(facts.hash, data, { key: publicKey, dsaEncoding: 'der' }, signature);
      case 'eddsa':
        return verifySignature(null, data, publicKey, signature);
      default:
        return false;
    }
  } catch {
    return false;
  }
}

export interface PublicKeyFacts {
  /** 'RSA-2048', 'EC P-256 (prime256v1)', 'Ed25519'. */
  description: string;
  /** RSA keys under 2048 bits and DSA keys are refused; so are EC curves we do not know. */
  isWeak: boolean;
}

const ACCEPTED_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1', 'brainpoolP256r1', 'brainpoolP384r1', 'brainpoolP512r1']);

/** Minimum RSA modulus accepted anywhere in a path (ETSI TS 119 312 and the government CA profile). */
export const MIN_RSA_BITS = 2048;

export function describePublicKey(key: KeyObject): PublicKeyFacts {
  const type = key.asymmetricKeyType ?? 'unknown';
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'rsa' || type === 'rsa-pss') {
    const bits = details.modulusLength ?? 0;
    return { description: `RSA-${bits}`, isWeak: bits < MIN_RSA_BITS };
  }
  if (type === 'ec') {
    const curve = details.namedCurve ?? 'unknown';
    return { description: `EC ${curve}`, isWeak: !ACCEPTED_CURVES.has(curve) };
  }
  if (type === 'ed25519' || type === 'ed448') return { description: type === 'ed25519' ? 'Ed25519' : 'Ed448', isWeak: false };
  return { description: type, isWeak: true };
}
