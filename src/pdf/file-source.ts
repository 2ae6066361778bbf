// Positioned reads over an open file: the reader asks for the few windows it needs and never
// for the whole file.

import { open, type FileHandle } from 'node:fs/promises';
import { fromSystemError } from '../errors.js';

export class FileSource {
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

  /** Reads up to `length` bytes at `offset`; shorter only at the end of the file. */
  async read(offset: number, length: number): Promise<Buffer> {
    const start = Math.max(0, Math.min(offset, this.size));
    const wanted = Math.max(0, Math.min(length, this.size - start));
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
