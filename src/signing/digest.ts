// Stage 3: write the output in one pass. The input's bytes are read once, hashed and written
// with two reused buffers (the next read overlaps the current write), then the increment
// follows; the digest covers exactly the /ByteRange, i.e. everything but the /Contents gap.
// All-zero chunks are left as holes, so sparse inputs stay sparse.

import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { MapsignError, fromSystemError } from '../errors.js';
import type { HashAlgorithm } from '../cms/index.js';
import type { PreparedRevision } from './prepare-revision.js';
import { giveIoBuffer, IO_CHUNK_BYTES, takeIoBuffer, zeroIoChunk } from '../pdf/index.js';

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

const CHUNK_BYTES = IO_CHUNK_BYTES;
/** Chunks in flight: reads run ahead of hashing and writes trail it, on libuv's thread pool. */
const SLOTS = 4;
/** Flush written data to disk every this many bytes, in the background, so the final fsync is short. */
const FLUSH_EVERY_BYTES = 64 * 1024 * 1024;

interface Slot {
  buffer: Buffer;
  position: number;
  /** Resolves once this slot's current chunk has been read (after its previous write finished). */
  ready: Promise<number>;
}

/**
 * Copies `length` bytes of `input` to `output` at the same offsets and feeds them, in order, to
 * `consume`. Slot k carries chunks k, k+SLOTS, k+2·SLOTS…, so the order never depends on which
 * write finishes first. All-zero chunks are not written: they stay holes in the new file.
 */
export async function copyConsuming(
  input: FileHandle,
  output: FileHandle,
  length: number,
  consume: (chunk: Buffer, end: number) => void,
  isDurable: boolean,
  inputPath: string,
): Promise<void> {
  const zero = zeroIoChunk();
  const pending = new Set<Promise<unknown>>();
  const track = <T>(promise: Promise<T>): Promise<T> => {
    pending.add(promise);
    promise.then(
      () => pending.delete(promise),
      () => pending.delete(promise),
    );
    return promise;
  };
  const read = async (slot: Slot): Promise<number> => {
    const wanted = Math.min(CHUNK_BYTES, length - slot.position);
    let filled = 0;
    while (filled < wanted) {
      const { bytesRead } = await input.read(slot.buffer, filled, wanted - filled, slot.position + filled);
      if (bytesRead === 0) throw new MapsignError('PDF_TRUNCATED', `${inputPath} became shorter while it was being signed`);
      filled += bytesRead;
    }
    return filled;
  };
  const slots: Slot[] = [];
  for (let k = 0; k < SLOTS && k * CHUNK_BYTES < length; k++) {
    const slot: Slot = { buffer: takeIoBuffer(), position: k * CHUNK_BYTES, ready: Promise.resolve(0) };
    slot.ready = track(read(slot));
    slots.push(slot);
  }
  let flushedUpTo = 0;
  let flush: Promise<unknown> | undefined;
  try {
    for (let done = 0, k = 0; done < length; k = (k + 1) % slots.length) {
      const slot = slots[k]!;
      const bytes = await slot.ready;
      const chunk = slot.buffer.subarray(0, bytes);
      const position = slot.position;
      done = position + bytes;
      consume(chunk, done);
      const isHole = bytes === CHUNK_BYTES && chunk.equals(zero);
      const written = isHole ? Promise.resolve() : output.write(slot.buffer, 0, bytes, position);
      slot.position += slots.length * CHUNK_BYTES;
      const hasMore = slot.position < length;
      slot.ready = track(written.then(() => (hasMore ? read(slot) : 0)));
      if (isDurable && flush === undefined && done - flushedUpTo >= FLUSH_EVERY_BYTES) {
        // A background datasync overlaps disk writes with hashing instead of paying for them all at the end.
        flushedUpTo = done;
        flush = track(written.then(() => output.datasync())).finally(() => {
          flush = undefined;
        });
      }
    }
    await Promise.all(pending);
  } catch (error) {
    await Promise.allSettled(pending);
    throw error;
  } finally {
    // Every read and write of the slots has settled by now (awaited above on both paths).
    for (const slot of slots) giveIoBuffer(slot.buffer);
  }
}

export async function copyAndDigest(
  input: FileHandle,
  inputPath: string,
  output: FileHandle,
  revision: PreparedRevision,
  hashAlgorithm: HashAlgorithm,
  onProgress?: ProgressListener,
  isDurable = true,
): Promise<DigestResult> {
  const documentHash = createHash(hashAlgorithm);
  const fileHash = hashAlgorithm === 'sha256' ? undefined : createHash('sha256');
  const totalSize = revision.baseSize + revision.increment.length;
  try {
    await copyConsuming(
      input,
      output,
      revision.baseSize,
      (chunk, end) => {
        documentHash.update(chunk);
        fileHash?.update(chunk);
        onProgress?.(end, totalSize);
      },
      isDurable,
      inputPath,
    );

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
    throw fromSystemError(error, inputPath);
  }
}
