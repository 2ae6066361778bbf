// Stage 5: patch /Contents in place with one positional write. Only the hex digits between
// '<' and '>' change, which is what keeps the hashed bytes intact.

import type { Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { MapsignError, PlaceholderTooSmallError } from '../errors.js';
import { formatContents } from '../pdf/index.js';
import type { PreparedDigest } from './digest.js';

export interface EmbedResult {
  /** SHA-256 of the whole signed file so far, not finished: later increments (DSS, document time-stamp) continue it. */
  runningFileHash: Hash;
}

export async function embedSignature(
  output: FileHandle,
  prepared: PreparedDigest,
  cms: Buffer,
  fileHashUpToGap: Hash,
  tail: Buffer,
): Promise<EmbedResult> {
  const reservedBytes = (prepared.reservedEnd - prepared.reservedStart - 2) / 2;
  if (cms.length > reservedBytes) throw new PlaceholderTooSmallError(cms.length, reservedBytes);
  const hex = formatContents(cms, reservedBytes);
  const at = prepared.reservedStart + 1;
  if (at + hex.length !== prepared.reservedEnd - 1) {
    throw new MapsignError('INTERNAL_ERROR', 'the /Contents patch would write outside its gap');
  }
  await output.write(hex, 0, hex.length, at);
  fileHashUpToGap.update('<');
  fileHashUpToGap.update(hex);
  fileHashUpToGap.update('>');
  fileHashUpToGap.update(tail);
  return { runningFileHash: fileHashUpToGap };
}
