// Cryptographic check of a CMS SignedData against a document digest (RFC 5652 §5.4, §5.6,
// §11.1-§11.2) with node:crypto. No path validation or revocation: that belongs to pki/.
import { constants, createHash, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { findHashAlgorithm, resolveSignatureAlgorithm } from './algorithms.js';
import { cachedByDer } from './certificate-ref.js';
import { describeError } from './der.js';
import { readSignedData, type SignedDataDetails } from './parse.js';

/** Public keys of signer certificates by the certificate's DER. */
const signerKeys = new Map<string, KeyObject>();

export interface VerifySignedDataResult {
  ok: boolean;
  /** Why the check failed; absent when ok. */
  reason?: string;
}

/**
 * Checks, in order: one SignerInfo whose certificate is embedded; message-digest equal to
 * `documentDigest`; content-type equal to eContentType; signing-certificate-v2, when present,
 * hashing to the signer certificate; and the signature over the signed attributes (as SET OF)
 * with the signer certificate's public key.
 */
export function verifySignedData(der: Buffer, documentDigest: Buffer): VerifySignedDataResult {
  let parsed: SignedDataDetails;
  try {
    parsed = readSignedData(der);
  } catch (error) {
    return fail(`not a readable CMS SignedData: ${describeError(error)}`);
  }
  if (parsed.signerCount !== 1) return fail(`expected one SignerInfo, found ${parsed.signerCount}`);
  const signerCertificate = parsed.signerCertificate;
  if (signerCertificate === null) return fail('the SignerInfo names a certificate that is not embedded');
  if (parsed.signedAttributes.length === 0) return fail('the SignerInfo has no signed attributes');

  const digestHash = findHashAlgorithm(parsed.digestAlgorithmOid);
  if (digestHash === undefined) return fail(`unsupported digest algorithm ${parsed.digestAlgorithmOid}`);
  if (parsed.messageDigest === null) return fail('no message-digest signed attribute');
  if (!Buffer.isBuffer(documentDigest) || !parsed.messageDigest.equals(documentDigest)) {
    return fail('message-digest does not match the document digest');
  }
  if (parsed.contentTypeAttribute !== parsed.eContentType) {
    return fail(`content-type attribute ${parsed.contentTypeAttribute ?? '(absent)'} differs from eContentType ${parsed.eContentType}`);
  }

  const essCertId = parsed.signingCertificateV2;
  if (essCertId !== null) {
    const certHashAlgorithm = findHashAlgorithm(essCertId.hashAlgorithmOid);
    if (certHashAlgorithm === undefined) return fail(`unsupported signing-certificate-v2 hash ${essCertId.hashAlgorithmOid}`);
    if (!createHash(certHashAlgorithm).update(signerCertificate).digest().equals(essCertId.certHash)) {
      return fail('signing-certificate-v2 does not match the signer certificate');
    }
  }

  const algorithm = resolveSignatureAlgorithm(parsed.signatureAlgorithm, parsed.digestAlgorithmOid);
  if (typeof algorithm === 'string') return fail(algorithm);

  let publicKey: KeyObject;
  try {
    // The same signer signs sheet after sheet: its key is read from the certificate once.
    publicKey = cachedByDer(signerKeys, signerCertificate, () => new X509Certificate(signerCertificate).publicKey);
  } catch (error) {
    return fail(`signer certificate cannot be read: ${describeError(error)}`);
  }
  const keyType = publicKey.asymmetricKeyType;
  const isKeyFit = algorithm.scheme === 'ecdsa' ? keyType === 'ec' : keyType === 'rsa' || keyType === 'rsa-pss';
  if (!isKeyFit) return fail(`a ${keyType ?? 'unknown'} key cannot make a ${algorithm.scheme} signature`);

  let isValid: boolean;
  try {
    isValid = verify(
      algorithm.hashAlgorithm,
      parsed.signedAttributes,
      {
        key: publicKey,
        ...(algorithm.scheme === 'rsa-pss'
          ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: algorithm.saltLength ?? 20 }
          : algorithm.scheme === 'rsa-pkcs1'
            ? { padding: constants.RSA_PKCS1_PADDING }
            : { dsaEncoding: 'der' as const }),
      },
      parsed.signature,
    );
  } catch (error) {
    return fail(`signature check failed: ${describeError(error)}`);
  }
  if (!isValid) return fail('the signature does not verify with the signer certificate');
  return { ok: true };
}

function fail(reason: string): VerifySignedDataResult {
  return { ok: false, reason };
}
