// The large buffers of the one-pass file copies and hashes (4 MiB each), kept for the next file
// instead of given back to the allocator: a service signs and verifies sheet after sheet, and
// fresh buffers of this size are memory outside V8's heap that pushes it into full collections.

export const IO_CHUNK_BYTES = 4 * 1024 * 1024;

/** How many idle buffers are kept (the rest go to the garbage collector). */
const KEEP = 8;
const idle: Buffer[] = [];
let zeroChunk: Buffer | undefined;

/** A buffer of IO_CHUNK_BYTES, with whatever bytes it held before. */
export function takeIoBuffer(): Buffer {
  return idle.pop() ?? Buffer.allocUnsafeSlow(IO_CHUNK_BYTES);
}

/** Gives a buffer from takeIoBuffer back; the caller must be done with it (no read or write pending). */
export function giveIoBuffer(buffer: Buffer): void {
  if (buffer.length === IO_CHUNK_BYTES && idle.length < KEEP && !idle.includes(buffer)) idle.push(buffer);
}

/** IO_CHUNK_BYTES of zeros, shared: compare with it, never write into it. */
export function zeroIoChunk(): Buffer {
  zeroChunk ??= Buffer.alloc(IO_CHUNK_BYTES);
  return zeroChunk;
}
