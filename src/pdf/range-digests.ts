// Digests of byte ranges of a file that this process computed as it wrote or read every byte of
// it, remembered under the file's identity and modification stamp (device, inode, size and
// mtime in nanoseconds): the stat check by which git's index and make trust earlier work. The
// signer remembers the /ByteRange digest and the SHA-256 of the file it has just written and
// made durable; verifying that same file in the same process (a service worker archives what it
// signed a moment before) then needs no second pass over its bytes. Any write to the file moves
// its mtime or its size, and nothing remembered under the old stamp is found again.
//
// The kernel's file times advance by clock ticks (a few milliseconds), so a write in the same tick
// as the last one can leave the mtime as it was. Hence the two ways in: a file this process has
// just written is first given an mtime no write can produce (random microseconds, see
// markWrittenFile), and a file only read is remembered once its mtime is some seconds old, the
// "racily clean" rule of git's index.

import { randomInt } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { stat, utimes } from 'node:fs/promises';

/** [0, a) and [b, end) hashed with `algorithm`; a === b === end for the whole of [0, end). */
export interface DigestRange {
  algorithm: string;
  a: number;
  b: number;
  end: number;
}

const LIMIT = 2048;
/** A file read (not written) by this process is remembered only once its mtime is this old. */
const SETTLED_NS = 2_000_000_000n;
const remembered = new Map<string, Buffer>();

/** The stamp of a file as it is now; null for anything but a regular file. */
export function fileStampOf(stats: BigIntStats): string | null {
  if (!stats.isFile()) return null;
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}`;
}

/** Whether a file with this stamp changed long enough ago that a later write must move its mtime. */
export function isSettled(stats: BigIntStats, now = BigInt(Date.now()) * 1_000_000n): boolean {
  return now - stats.mtimeNs >= SETTLED_NS;
}

/**
 * Gives a file this process has just finished writing an mtime a second before its own, with
 * random microseconds, and returns its stamp: a later write sets the clock's current time, which
 * is past that one. Null when the file system keeps coarser times (the stamp would not be unique
 * then) or the file cannot be touched.
 */
export async function markWrittenFile(path: string): Promise<string | null> {
  try {
    const before = await stat(path, { bigint: true });
    const seconds = Number(before.mtimeNs / 1_000_000_000n) - 1;
    const micros = randomInt(1, 1_000_000);
    await utimes(path, new Date(Number(before.atimeNs / 1_000_000n)), seconds + micros / 1e6);
    const after = await stat(path, { bigint: true });
    const wanted = BigInt(seconds) * 1_000_000_000n + BigInt(micros) * 1000n;
    const drift = after.mtimeNs - wanted;
    // Node passes the time on as microseconds, rounded either way; a file system that keeps only
    // seconds or 2 s (FAT) lands far off.
    if (after.size !== before.size || drift < -2000n || drift > 2000n) return null;
    return fileStampOf(after);
  } catch {
    return null;
  }
}

function keyOf(stamp: string, range: DigestRange): string {
  return `${stamp}|${range.algorithm}|${range.a}|${range.b}|${range.end}`;
}

export function rememberDigest(stamp: string, range: DigestRange, digest: Buffer): void {
  const key = keyOf(stamp, range);
  remembered.delete(key);
  if (remembered.size >= LIMIT) remembered.delete(remembered.keys().next().value!);
  remembered.set(key, Buffer.from(digest));
}

/** The digest remembered for this range of the file with this stamp, or undefined. */
export function recallDigest(stamp: string, range: DigestRange): Buffer | undefined {
  const digest = remembered.get(keyOf(stamp, range));
  return digest && Buffer.from(digest);
}

/** Forgets everything (tests that prove a verification reads the bytes). */
export function forgetDigests(): void {
  remembered.clear();
}
