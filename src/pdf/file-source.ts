// Positioned reads over an open file: the reader asks for the few windows it needs and never
// for the whole file. Small reads go through a few cached 64 KiB blocks: the tail, the
// cross-reference sections and the objects a signature touches sit close together, and each read
// that reaches the disk is a round trip through libuv's thread pool (on a busy machine, a lost
// time slice), so reading a block once beats reading its parts one by one.

import { open, type FileHandle } from 'node:fs/promises';
import { fromSystemError } from '../errors.js';

const BLOCK_BYTES = 64 * 1024;
/** Blocks kept per open file (1 MiB). */
const BLOCKS_KEPT = 16;

export class FileSource {
  private readonly blocks = new Map<number, Buffer>();

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<FileSource> {
    try {
      const handle = await open(path, 'r');
      const stat = await handle.stat();
      if (!stat.isFile()) {
        await handle.close();
        throw Object.assign(new Error(`${path} is not a regular file`), { code: 'EISDIR' });
      }
      return new FileSource(handle, path, stat.size);
    } catch (error) {
      throw fromSystemError(error, path);
    }
  }

  /** Reads up to `length` bytes at `offset`; shorter only at the end of the file. The buffer is the caller's own. */
  async read(offset: number, length: number): Promise<Buffer> {
    const start = Math.max(0, Math.min(offset, this.size));
    const wanted = Math.max(0, Math.min(length, this.size - start));
    if (wanted === 0) return Buffer.alloc(0);
    if (wanted >= BLOCK_BYTES) return this.readDirect(start, wanted);
    const first = Math.floor(start / BLOCK_BYTES);
    const last = Math.floor((start + wanted - 1) / BLOCK_BYTES);
    const result = Buffer.allocUnsafe(wanted);
    let filled = 0;
    for (let index = first; index <= last; index++) {
      const block = await this.block(index);
      const from = index === first ? start - index * BLOCK_BYTES : 0;
      const copied = block.copy(result, filled, from, Math.min(block.length, from + (wanted - filled)));
      filled += copied;
      if (copied === 0) break;
    }
    return filled === wanted ? result : result.subarray(0, filled);
  }

  private async block(index: number): Promise<Buffer> {
    const cached = this.blocks.get(index);
    if (cached) {
      this.blocks.delete(index);
      this.blocks.set(index, cached);
      return cached;
    }
    const offset = index * BLOCK_BYTES;
    const block = await this.readDirect(offset, Math.min(BLOCK_BYTES, this.size - offset));
    if (this.blocks.size >= BLOCKS_KEPT) this.blocks.delete(this.blocks.keys().next().value!);
    this.blocks.set(index, block);
    return block;
  }

  private async readDirect(start: number, wanted: number): Promise<Buffer> {
    const buffer = Buffer.allocUnsafe(wanted);
    let filled = 0;
    try {
      while (filled < wanted) {
        const { bytesRead } = await this.handle.read(buffer, filled, wanted - filled, start + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
    } catch (error) {
      throw fromSystemError(error, this.path);
    }
    return filled === wanted ? buffer : buffer.subarray(0, filled);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
