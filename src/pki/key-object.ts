// Signing with a private key held as a node:crypto KeyObject (RSASSA-PKCS1-v1_5 and RSASSA-PSS
// per RFC 8017, ECDSA per FIPS 186-4 with the DER Ecdsa-Sig-Value of RFC 5480 §2.2), and the
// key facts a key source reports: its scheme and the largest signature it can make.
import { constants, createHash, sign as signCallback, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { getHashLength, isHashAlgorithm, type SignatureScheme } from '../cms/index.js';
import { MapsignError } from '../errors.js';
import type { SignatureRequest } from './key-source.js';

const signAsync = promisify(signCallback);

/** Order length in bytes of the curves we sign with (FIPS 186-4 D.1.2). */
const CURVE_ORDER_BYTES: Record<string, number> = {
  prime256v1: 32,
  secp384r1: 48,
  secp521r1: 66,
};

export interface KeyProfile {
  scheme: SignatureScheme;
  maxSignatureBytes: number;
  /** For reports: 'RSA-3072', 'EC P-256 (prime256v1)'. */
  description: string;
}

/**
 * Decides how a key signs. `requested` applies to RSA keys; EC keys always sign with ECDSA,
 * and a key restricted to RSASSA-PSS (id-RSASSA-PSS) only with rsa-pss.
 */
export function profileKey(key: KeyObject, requested: 'rsa-pkcs1' | 'rsa-pss' | undefined): KeyProfile {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'rsa' || type === 'rsa-pss') {
    const bits = details.modulusLength;
    if (bits === undefined) throw new MapsignError('KEY_MALFORMED', 'RSA key reports no modulus length');
    if (type === 'rsa-pss' && requested === 'rsa-pkcs1') {
      throw new MapsignError('KEY_UNSUPPORTED', 'the key is restricted to RSASSA-PSS and cannot sign with PKCS#1 v1.5', {
        details: { keyType: type, requestedScheme: requested },
      });
    }
    const scheme = type === 'rsa-pss' ? 'rsa-pss' : (requested ?? 'rsa-pkcs1');
    return { scheme, maxSignatureBytes: Math.ceil(bits / 8), description: `RSA-${bits}` };
  }
  if (type === 'ec') {
    const curve = details.namedCurve ?? 'unknown';
    const orderBytes = CURVE_ORDER_BYTES[curve];
    if (orderBytes === undefined) {
      throw new MapsignError('KEY_UNSUPPORTED', `EC curve ${curve} is not supported; use P-256, P-384 or P-521`, { details: { keyType: type, curve } });
    }
    return { scheme: 'ecdsa', maxSignatureBytes: computeMaxEcdsaDerBytes(orderBytes), description: `EC ${curve}` };
  }
  throw new MapsignError('KEY_UNSUPPORTED', `${type ?? 'unknown'} keys are not supported; use RSA or EC (P-256, P-384, P-521)`, {
    details: { keyType: type ?? 'unknown' },
  });
}

/**
 * ```asn
 * Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }
 * ```
 * Each INTEGER is at most the order length plus a 0x00 sign octet, with a 2-byte header.
 */
function computeMaxEcdsaDerBytes(orderBytes: number): number {
  const content = 2 * (orderBytes + 1 + 2);
  return content + (content < 0x80 ? 2 : 3);
}

/**
 * Signs the signed attributes after checking that `digest` is their hash: the caller's
 * digest is what an external signer would sign, so the two must never drift apart.
 */
export async function signWithKeyObject(key: KeyObject, scheme: SignatureScheme, request: SignatureRequest): Promise<Buffer> {
  const { hashAlgorithm, digest, signedAttributes } = request;
  if (!isHashAlgorithm(hashAlgorithm)) {
    throw new MapsignError('INTERNAL_ERROR', `unsupported hash algorithm ${JSON.stringify(hashAlgorithm)}`);
  }
  if (!Buffer.isBuffer(signedAttributes) || !Buffer.isBuffer(digest)) {
    throw new MapsignError('INTERNAL_ERROR', 'signature request needs digest and signedAttributes as Buffers');
  }
  if (!createHash(hashAlgorithm).update(signedAttributes).digest().equals(digest)) {
    throw new MapsignError('INTERNAL_ERROR', `digest is not the ${hashAlgorithm} of the signed attributes`, {
      details: { hashAlgorithm, digestLength: digest.length },
    });
  }
  try {
    return await signAsync(hashAlgorithm, signedAttributes, {
      key,
      ...(scheme === 'rsa-pss'
        ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: getHashLength(hashAlgorithm) }
        : scheme === 'rsa-pkcs1'
          ? { padding: constants.RSA_PKCS1_PADDING }
          : { dsaEncoding: 'der' as const }),
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new MapsignError('INTERNAL_ERROR', `signing with the ${scheme} key failed: ${reason}`, {
      cause: error,
      details: { scheme, hashAlgorithm },
    });
  }
}
