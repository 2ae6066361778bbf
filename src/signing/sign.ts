// Stage 4: build the signed attributes over the document digest, have the key source sign their
// hash, and assemble the CMS SignedData. Only digests reach the key source.

import { createHash } from 'node:crypto';
import { assembleSignedData, buildSignedAttributes, type HashAlgorithm } from '../cms/index.js';
import type { KeySource } from '../pki/index.js';

export async function signDigest(documentDigest: Buffer, hashAlgorithm: HashAlgorithm, keySource: KeySource): Promise<Buffer> {
  const certificates = keySource.certificateChain();
  const signedAttributes = buildSignedAttributes({ documentDigest, hashAlgorithm, signerCertificate: certificates[0]! });
  const digest = createHash(hashAlgorithm).update(signedAttributes).digest();
  const signature = await keySource.sign({ hashAlgorithm, digest, signedAttributes });
  return assembleSignedData({ signedAttributes, signature, hashAlgorithm, scheme: keySource.scheme, certificates });
}
