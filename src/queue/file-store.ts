// The service's working files: uploads as they arrive and each signing step's output, stored
// under their SHA-256 (written to a temporary file, hashed on the way, fsynced, renamed), so a
// retried step finds its input by hash and a repeated write changes nothing.

import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MapsignError, fromSystemError } from '../errors.js';

const SHA256 = /^[0-9a-f]{64}$/;

export interface PutFileOptions {
  /** Refuse with `UPLOAD_TOO_LARGE` once more bytes than this arrive. */
  maxBytes?: number;
  /** Transforms the bytes pass through before they are hashed (e.g. a PDF header check). */
  checks?: Transform[];
}

export interface StoredFile {
  sha256: string;
  size: number;
  /** False when a file with these bytes was stored already. */
  isNew: boolean;
}

/** Counts and hashes bytes; fails past the limit. */
class Meter extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  constructor(private readonly maxBytes: number) {
    super({ highWaterMark: 1 << 20 });
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      callback(new MapsignError('UPLOAD_TOO_LARGE', `the file is larger than the limit of ${this.maxBytes} bytes`, { details: { maxBytes: this.maxBytes } }));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }
}

async function fsyncFile(path: string, flags = 'r+'): Promise<void> {
  const handle = await open(path, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class WorkFileStore {
  private readonly objects: string;
  private readonly temp: string;

  private constructor(readonly root: string, private readonly isDurable: boolean) {
    this.objects = join(root, 'objects');
    this.temp = join(root, 'tmp');
  }

  /** Opens (and creates) the store under `root`. */
  static async open(root: string, options: { durable?: boolean } = {}): Promise<WorkFileStore> {
    const store = new WorkFileStore(root, options.durable ?? true);
    await mkdir(store.objects, { recursive: true });
    await mkdir(store.temp, { recursive: true });
    return store;
  }

  /** Local path of a stored file; check {@link has} first when it may be missing. */
  pathOf(sha256: string): string {
    if (!SHA256.test(sha256)) throw new MapsignError('USAGE_INVALID', `not a SHA-256: ${JSON.stringify(sha256.slice(0, 80))}`);
    return join(this.objects, sha256.slice(0, 2), `${sha256}.pdf`);
  }

  /** Size of a stored file, or null. */
  async has(sha256: string): Promise<number | null> {
    try {
      return (await stat(this.pathOf(sha256))).size;
    } catch {
      return null;
    }
  }

  /** A fresh temporary path inside the store (same file system, so a rename publishes it). */
  tempPath(label = 'part'): string {
    return join(this.temp, `${process.pid}-${randomBytes(8).toString('hex')}.${label}`);
  }

  /** Streams `source` into the store. @throws MapsignError `UPLOAD_TOO_LARGE`, what `checks` throw, `IO_FAILED`, `DISK_FULL` */
  async put(source: Readable, options: PutFileOptions = {}): Promise<StoredFile> {
    const temp = this.tempPath();
    const meter = new Meter(options.maxBytes ?? Number.MAX_SAFE_INTEGER);
    try {
      const stages = [source, ...(options.checks ?? []), meter, createWriteStream(temp, { flags: 'wx', highWaterMark: 1 << 20 })];
      await pipeline(stages as unknown as ReadonlyArray<NodeJS.ReadableStream | NodeJS.WritableStream | NodeJS.ReadWriteStream>);
      return await this.publish(temp, meter.hash.digest('hex'), meter.bytes, false);
    } catch (error) {
      throw toStoreError(error, temp);
    } finally {
      await rm(temp, { force: true }).catch(() => undefined);
    }
  }

  /**
   * Moves a finished temporary file (e.g. a signer's output) into the store under its known hash;
   * `isSynced` when its producer already flushed it to disk (signPdf with durable).
   */
  async adopt(temp: string, sha256: string, size: number, options: { isSynced?: boolean } = {}): Promise<StoredFile> {
    try {
      return await this.publish(temp, sha256, size, options.isSynced ?? false);
    } catch (error) {
      throw toStoreError(error, temp);
    } finally {
      await rm(temp, { force: true }).catch(() => undefined);
    }
  }

  /**
   * Durable (the default): the file's bytes, then its name in its folder (and a new folder's own
   * name), are on disk before this resolves, since a request or a step that names the file is
   * recorded next.
   */
  private async publish(temp: string, sha256: string, size: number, isSynced: boolean): Promise<StoredFile> {
    const target = this.pathOf(sha256);
    if ((await this.has(sha256)) !== null) {
      // In use again: the age that removeUnused goes by starts over.
      const now = new Date();
      await utimes(target, now, now).catch(() => undefined);
      return { sha256, size, isNew: false };
    }
    if (this.isDurable && !isSynced) await fsyncFile(temp);
    const folder = join(this.objects, sha256.slice(0, 2));
    const created = await mkdir(folder, { recursive: true });
    await rename(temp, target);
    if (this.isDurable) {
      await fsyncFile(folder, 'r');
      if (created !== undefined) await fsyncFile(this.objects, 'r');
    }
    return { sha256, size, isNew: true };
  }

  async remove(sha256: string): Promise<void> {
    await rm(this.pathOf(sha256), { force: true });
  }

  /**
   * Removes stored files that no open request needs (`keep`) and that are older than `ageMs`: an
   * upload is stored a moment before its request is, and a finished sheet's files are in the
   * archive, from where a later step restores them. Returns how many files and bytes went.
   */
  async removeUnused(keep: ReadonlySet<string>, ageMs = 60 * 60 * 1000): Promise<{ files: number; bytes: number }> {
    const removed = { files: 0, bytes: 0 };
    for (const folder of await readdir(this.objects).catch(() => [] as string[])) {
      if (!/^[0-9a-f]{2}$/.test(folder)) continue;
      for (const name of await readdir(join(this.objects, folder)).catch(() => [] as string[])) {
        const sha256 = name.endsWith('.pdf') ? name.slice(0, -4) : '';
        if (!SHA256.test(sha256) || keep.has(sha256)) continue;
        const path = join(this.objects, folder, name);
        const info = await stat(path).catch(() => null);
        if (!info || Date.now() - info.mtimeMs <= ageMs) continue;
        await rm(path, { force: true });
        removed.files++;
        removed.bytes += info.size;
      }
    }
    return removed;
  }

  /** Removes temporary files older than `ageMs` (left by a process that died mid-write). */
  async removeStaleTemporary(ageMs = 60 * 60 * 1000): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.temp).catch(() => [] as string[])) {
      const path = join(this.temp, name);
      const info = await stat(path).catch(() => null);
      if (info && Date.now() - info.mtimeMs > ageMs) {
        await rm(path, { force: true });
        removed++;
      }
    }
    return removed;
  }
}

function toStoreError(error: unknown, path: string): MapsignError {
  if (error instanceof MapsignError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new MapsignError('DISK_FULL', `no space left while writing ${path}`, { cause: error });
  return fromSystemError(error, path);
}
