// The one pass over the file. Every /ByteRange starts at 0, so all digests of one algorithm share
// their state up to the first gap: one running hash per algorithm covers [0, a) and is copied
// into each signature's own hash when the pass reaches that signature's a; each copy then skips
// its gap [a, b) and goes on to its end. The file is read once with positioned reads into two
// reused buffers (one read ahead while the other is hashed); memory does not grow with the file.

import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { fromSystemError, MapsignError } from '../errors.js';
import { fileStampOf, giveIoBuffer, IO_CHUNK_BYTES, isSettled, recallDigest, rememberDigest, takeIoBuffer } from '../pdf/index.js';

export interface HashJob {
  algorithm: string;
  /** [0, a) and [b, end): a === b === end for a plain hash of [0, end). */
  a: number;
  b: number;
  end: number;
}

export type HashProgress = (bytesDone: number, bytesTotal: number) => void;

const CHUNK_BYTES = IO_CHUNK_BYTES;

interface JobState {
  job: HashJob;
  hash: Hash | null;
}

interface Group {
  shared: Hash;
  /** Jobs by their fork point a, ascending. */
  pending: JobState[];
  next: number;
}

/**
 * Hashes every job in one pass over `path` and returns the digests in job order. When this process
 * already hashed the same ranges of the same unchanged file (see pdf/range-digests.ts), it returns
 * those digests without reading the file.
 */
export async function hashRanges(path: string, jobs: HashJob[], onProgress?: HashProgress): Promise<Buffer[]> {
  const handle = await open(path, 'r').catch((error: unknown) => {
    throw fromSystemError(error, path);
  });
  try {
    const stats = await handle.stat({ bigint: true });
    const stamp = fileStampOf(stats);
    const recalled = stamp === null ? [] : jobs.map((job) => recallDigest(stamp, job));
    if (stamp !== null && recalled.every((digest) => digest !== undefined)) {
      const total = Math.max(0, ...jobs.map((j) => j.end));
      onProgress?.(total, total);
      return recalled as Buffer[];
    }
    const digests = await hashOpenFile(handle, path, jobs, onProgress);
    // Remembered only when the file did not change while it was read, and changed long enough ago
    // that a later write must move its mtime.
    const after = fileStampOf(await handle.stat({ bigint: true }));
    if (stamp !== null && after === stamp && isSettled(stats)) jobs.forEach((job, i) => rememberDigest(stamp, job, digests[i]!));
    return digests;
  } catch (error) {
    throw fromSystemError(error, path);
  } finally {
    await handle.close();
  }
}

async function hashOpenFile(handle: FileHandle, path: string, jobs: HashJob[], onProgress?: HashProgress): Promise<Buffer[]> {
  const states: JobState[] = jobs.map((job) => ({ job, hash: null }));
  const groups = new Map<string, Group>();
  for (const state of states) {
    const { a, b, end } = state.job;
    if (!(0 <= a && a <= b && b <= end)) throw new MapsignError('INTERNAL_ERROR', `bad hash job [0 ${a}) [${b} ${end})`);
    let group = groups.get(state.job.algorithm);
    if (!group) {
      group = { shared: createHash(state.job.algorithm), pending: [], next: 0 };
      groups.set(state.job.algorithm, group);
    }
    group.pending.push(state);
  }
  for (const group of groups.values()) group.pending.sort((x, y) => x.job.a - y.job.a);
  const total = Math.max(0, ...jobs.map((j) => j.end));

  const consume = (chunk: Buffer, p: number): void => {
    const q = p + chunk.length;
    for (const group of groups.values()) {
      let pos = p;
      while (group.next < group.pending.length && group.pending[group.next]!.job.a <= q) {
        const state = group.pending[group.next]!;
        if (state.job.a > pos) group.shared.update(chunk.subarray(pos - p, state.job.a - p));
        pos = Math.max(pos, state.job.a);
        state.hash = group.shared.copy();
        group.next++;
      }
      if (group.next < group.pending.length && pos < q) group.shared.update(chunk.subarray(pos - p));
    }
    for (const state of states) {
      if (state.hash === null) continue;
      const s = Math.max(p, state.job.b);
      const e = Math.min(q, state.job.end);
      if (s < e) state.hash.update(chunk.subarray(s - p, e - p));
    }
  };

  const buffers = [takeIoBuffer(), takeIoBuffer()];
  let pending: Promise<number> | null = null;
  try {
    const read = async (slot: number, position: number): Promise<number> => {
      const wanted = Math.min(CHUNK_BYTES, total - position);
      let filled = 0;
      while (filled < wanted) {
        const { bytesRead } = await handle.read(buffers[slot]!, filled, wanted - filled, position + filled);
        if (bytesRead === 0) throw new MapsignError('PDF_TRUNCATED', `${path} became shorter while it was being verified`);
        filled += bytesRead;
      }
      return filled;
    };
    let position = 0;
    let slot = 0;
    pending = total > 0 ? read(0, 0) : null;
    while (pending) {
      const bytes = await pending;
      const nextPosition = position + bytes;
      pending = nextPosition < total ? read(1 - slot, nextPosition) : null;
      consume(buffers[slot]!.subarray(0, bytes), position);
      onProgress?.(nextPosition, total);
      position = nextPosition;
      slot = 1 - slot;
    }
    // A job whose end is 0 (an empty file) never forked.
    for (const group of groups.values()) {
      for (; group.next < group.pending.length; group.next++) group.pending[group.next]!.hash = group.shared.copy();
    }
  } finally {
    // A read still in flight (after a failure) must land before its buffer is used again.
    if (pending) await pending.catch(() => undefined);
    buffers.forEach(giveIoBuffer);
  }
  return states.map((s) => s.hash!.digest());
}
