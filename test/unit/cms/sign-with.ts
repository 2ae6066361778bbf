// Signs signed attributes with node:crypto the way each KeySource does for its scheme.
import { constants, createHash, sign, type KeyObject } from 'node:crypto';
import type { HashAlgorithm, SignatureScheme } from '../../../src/cms/index.js';

/** RSASSA-PSS with a salt of the hash length, ECDSA as a DER Ecdsa-Sig-Value, or RSASSA-PKCS1-v1_5. */
export function signWith(key: KeyObject, scheme: SignatureScheme, hash: HashAlgorithm, signedAttributes: Buffer): Buffer {
  if (scheme === 'rsa-pss') {
    return sign(hash, signedAttributes, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: createHash(hash).digest().length });
  }
  if (scheme === 'ecdsa') return sign(hash, signedAttributes, { key, dsaEncoding: 'der' });
  return sign(hash, signedAttributes, { key, padding: constants.RSA_PKCS1_PADDING });
}
