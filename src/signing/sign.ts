// Stage 4: build the signed attributes over the document digest, have the key source sign their
// hash, optionally time-stamp the signature value (PAdES B-T, ETSI EN 319 142-1 §6.3), and
// assemble the CMS SignedData. Only digests reach the key source and the TSA.

import { createHash } from 'node:crypto';
import { isMapsignError } from '../errors.js';
import { assembleSignedData, buildSignatureTimeStampAttribute, buildSignedAttributes, type HashAlgorithm } from '../cms/index.js';
import type { KeySource } from '../pki/index.js';
import type { Timestamper } from './tsa-client.js';

export interface TimestampPolicy {
  timestamper: Timestamper;
  /** When the TSA fails: 'fail' raises TSA_UNAVAILABLE (default); 'lower' signs at B-B and says so. */
  onUnavailable: 'fail' | 'lower';
}

export interface SignDigestResult {
  cms: Buffer;
  /** ISO time of the signature time-stamp, when there is one. */
  timestampTime: string | null;
  /** Why the level was lowered to B-B, when the policy allowed it. */
  loweredBecause: string | null;
  /** Certificates the TSA put in its token (its own first), for the B-LT validation data. */
  tsaCertificates: Buffer[];
}

export async function signDigest(
  documentDigest: Buffer,
  hashAlgorithm: HashAlgorithm,
  keySource: KeySource,
  timestampPolicy?: TimestampPolicy,
): Promise<SignDigestResult> {
  const certificates = keySource.certificateChain();
  const signedAttributes = buildSignedAttributes({ documentDigest, hashAlgorithm, signerCertificate: certificates[0]! });
  const digest = createHash(hashAlgorithm).update(signedAttributes).digest();
  const signature = await keySource.sign({ hashAlgorithm, digest, signedAttributes });
  const unsignedAttributes: Buffer[] = [];
  let timestampTime: string | null = null;
  let loweredBecause: string | null = null;
  let tsaCertificates: Buffer[] = [];
  if (timestampPolicy) {
    try {
      const token = await timestampPolicy.timestamper(createHash(hashAlgorithm).update(signature).digest(), hashAlgorithm);
      unsignedAttributes.push(buildSignatureTimeStampAttribute(token.token));
      timestampTime = token.genTime.toISOString();
      // The TSA's own certificate first, so its chain can be ordered from it.
      tsaCertificates = token.signerCertificate
        ? [token.signerCertificate, ...token.certificates.filter((c) => !c.equals(token.signerCertificate!))]
        : token.certificates;
    } catch (error) {
      const isTsaFailure = isMapsignError(error, 'TSA_UNAVAILABLE') || isMapsignError(error, 'TSA_RESPONSE_INVALID');
      if (!isTsaFailure || timestampPolicy.onUnavailable === 'fail') throw error;
      loweredBecause = `${error.code}: ${error.message}`;
    }
  }
  const cms = assembleSignedData({ signedAttributes, signature, hashAlgorithm, scheme: keySource.scheme, certificates, unsignedAttributes });
  return { cms, timestampTime, loweredBecause, tsaCertificates };
}
