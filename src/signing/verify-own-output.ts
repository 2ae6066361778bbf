// Stage 6: before the output replaces anything, read it back as a verifier would: the newest
// revision must hold our signature dictionary with the planned /ByteRange, the bytes in the gap
// must be our CMS, and the CMS must verify against the digest we computed.

import { MapsignError } from '../errors.js';
import { verifySignedData } from '../cms/index.js';
import { PdfReader, PdfRef, PdfString } from '../pdf/index.js';
import type { PreparedDigest } from './digest.js';

function fail(message: string): never {
  throw new MapsignError('SIGNATURE_SELF_CHECK_FAILED', message);
}

export async function verifyOwnOutput(path: string, prepared: PreparedDigest, cms: Buffer, signatureObjectNumber: number): Promise<void> {
  const reader = await PdfReader.open(path);
  try {
    if (reader.size !== prepared.totalSize) fail(`output is ${reader.size} bytes, expected ${prepared.totalSize}`);
    const signature = await reader.resolveDict(new PdfRef(signatureObjectNumber, 0));
    if (!signature) fail('the signature dictionary cannot be read back');
    const byteRange = signature.get('ByteRange');
    if (!Array.isArray(byteRange) || byteRange.join(',') !== prepared.byteRange.join(',')) fail('/ByteRange read back differs');
    const contents = signature.get('Contents');
    if (!(contents instanceof PdfString) || !contents.bytes.subarray(0, cms.length).equals(cms)) fail('/Contents read back differs');
    const check = verifySignedData(cms, Buffer.from(prepared.digest, 'hex'));
    if (!check.ok) fail(`the new signature does not verify: ${check.reason ?? 'unknown reason'}`);
  } finally {
    await reader.close();
  }
}
