// Where a signer's private key lives, behind one interface: a PKCS#12 file today, a PKCS#11
// token and an external two-phase signer (only the digest leaves the service) later.
import type { HashAlgorithm, SignatureScheme } from '../cms/index.js';

export type KeySourceKind = 'pkcs12' | 'pkcs11' | 'external';

/** What the sign stage hands a key source: the hash of the signed attributes, and the DER itself. */
export interface SignatureRequest {
  hashAlgorithm: HashAlgorithm;
  /** Hash of `signedAttributes` under `hashAlgorithm`. */
  digest: Buffer;
  /** DER of the signed attributes (SET OF); external signers use only `digest`. */
  signedAttributes: Buffer;
}

/**
 * A private key and its certificate chain. Callers never see the key: they ask for a
 * signature. A remote or two-phase signer implements `sign` by sending `digest` away and
 * resolving when the signature comes back.
 */
export interface KeySource {
  readonly kind: KeySourceKind;
  /** DER certificates, signer first, then issuers up to (and including, if present) the root. */
  certificateChain(): Buffer[];
  /** The scheme the key signs with ('rsa-pkcs1' default for RSA, 'rsa-pss' on request, 'ecdsa' for EC). */
  readonly scheme: SignatureScheme;
  /** Signature size upper bound in bytes (for reservations). */
  readonly maxSignatureBytes: number;
  /** The signature over `signedAttributes` (for ECDSA, a DER Ecdsa-Sig-Value). */
  sign(request: SignatureRequest): Promise<Buffer>;
}
