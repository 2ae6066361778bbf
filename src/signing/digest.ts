// Stage 3: write the output in one pass. The input's bytes are read once, hashed and written
// with two reused buffers (the next read overlaps the current write), then the increment
// follows; the digest covers exactly the /ByteRange, i.e. everything but the /Contents gap.
// All-zero chunks are left as holes, so sparse inputs stay sparse.

import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { MapsignError, fromSystemError } from '../errors.js';
import type { HashAlgorithm } from '../cms/index.js';
import type { PreparedRevision } from './prepare-revision.js';

export interface PreparedDigest {
  hashAlgorithm: HashAlgorithm;
  /** Hex of the hash over the /ByteRange. */
  digest: string;
  reservedStart: number;
  reservedEnd: number;
  byteRange: [number, number, number, number];
  totalSize: number;
}

export interface DigestResult {
  prepared: PreparedDigest;
  /** The file hash without /Contents: a SHA-256 state up to the gap, finished once the signature is known. */
  fileHashUpToGap: Hash;
}

export type ProgressListener = (bytesDone: number, bytesTotal: number) => void;

const CHUNK_BYTES = 4 * 1024 * 1024;

export async function copyAndDigest(
  input: FileHandle,
  inputPath: string,
  output: FileHandle,
  revision: PreparedRevision,
  hashAlgorithm: HashAlgorithm,
  onProgress?: ProgressListener,
): Promise<DigestResult> {
  const documentHash = createHash(hashAlgorithm);
  const fileHash = hashAlgorithm === 'sha256' ? undefined : createHash('sha256');
  const totalSize = revision.baseSize + revision.increment.length;
  const buffers = [Buffer.allocUnsafe(CHUNK_BYTES), Buffer.allocUnsafe(CHUNK_BYTES)];
  const zero = Buffer.alloc(CHUNK_BYTES);
  let pendingWrite: Promise<unknown> = Promise.resolve();
  const readInto = (buffer: Buffer, position: number): Promise<{ bytesRead: number }> =>
    input.read(buffer, 0, Math.min(CHUNK_BYTES, revision.baseSize - position), position);

  try {
    let position = 0;
    let turn = 0;
    let pendingRead = revision.baseSize > 0 ? readInto(buffers[0]!, 0) : undefined;
    while (pendingRead) {
      const { bytesRead } = await pendingRead;
      if (bytesRead === 0) throw new MapsignError('PDF_TRUNCATED', `${inputPath} became shorter while it was being signed`);
      const current = buffers[turn]!.subarray(0, bytesRead);
      const chunkPosition = position;
      position += bytesRead;
      await pendingWrite;
      pendingRead = position < revision.baseSize ? readInto(buffers[1 - turn]!, position) : undefined;
      documentHash.update(current);
      fileHash?.update(current);
      const isHole = bytesRead === CHUNK_BYTES && current.equals(zero);
      pendingWrite = isHole ? Promise.resolve() : output.write(current, 0, bytesRead, chunkPosition);
      turn = 1 - turn;
      onProgress?.(position, totalSize);
    }
    await pendingWrite;

    const inc = revision.increment;
    const gapStart = revision.reservedStart - revision.baseSize;
    const gapEnd = revision.reservedEnd - revision.baseSize;
    documentHash.update(inc.subarray(0, gapStart));
    fileHash?.update(inc.subarray(0, gapStart));
    // A copy of the state at the gap: the file hash goes on from here once /Contents is filled.
    const fileHashUpToGap = fileHash ?? documentHash.copy();
    documentHash.update(inc.subarray(gapEnd));
    await output.write(inc, 0, inc.length, revision.baseSize);
    onProgress?.(totalSize, totalSize);
    return {
      prepared: {
        hashAlgorithm,
        digest: documentHash.digest('hex'),
        reservedStart: revision.reservedStart,
        reservedEnd: revision.reservedEnd,
        byteRange: revision.byteRange,
        totalSize,
      },
      fileHashUpToGap,
    };
  } catch (error) {
    await pendingWrite.catch(() => undefined);
    throw fromSystemError(error, inputPath);
  }
}
