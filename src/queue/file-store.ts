// The service's working files: uploads as they arrive and each signing step's output, stored
// under their SHA-256 (written to a temporary file, hashed on the way, fsynced, renamed), so a
// retried step finds its input by hash and a repeated write changes nothing.

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, unlink, utimes, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MapsignError, fromSystemError } from '../errors.js';

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * Bytes gathered before one positioned writev: the chunks as they arrived (hashed on arrival, while
 * they are in the cache, and never copied), so a 5 MiB upload costs a handful of writes.
 */
const BATCH_BYTES = 1024 * 1024;
/** A durable upload starts flushing its bytes this often, so the final sync has little left to do. */
const BACKGROUND_SYNC_BYTES = 64 * 1024 * 1024;

/** Looks at the first bytes of a file before any of it is stored. */
export interface HeadCheck {
  /** How many first bytes `check` needs (it gets fewer when the file is shorter); at most 1 MiB. */
  bytes: number;
  /** Throws to refuse the file. */
  check(head: Buffer): void;
}

export interface PutFileOptions {
  /** Refuse with `UPLOAD_TOO_LARGE` once more bytes than this arrive. */
  maxBytes?: number;
  /** Runs as soon as its bytes have arrived (e.g. a PDF header check), before the byte limit is applied to them. */
  headCheck?: HeadCheck;
}

export interface StoredFile {
  sha256: string;
  size: number;
  /** False when a file with these bytes was stored already. */
  isNew: boolean;
}

interface BatchFileSinkOptions {
  maxBytes: number;
  headCheck: HeadCheck | null;
  /** Bytes between background flushes to disk; null: none. */
  syncEveryBytes: number | null;
}

/**
 * Writes a stream to a new file (`wx`), hashing it on the way: chunks are gathered into a batch
 * while the previous batch is being written, so receiving overlaps the disk; a write still in
 * flight holds up the next full batch, which is how a slow disk pauses the source.
 */
class BatchFileSink extends Writable {
  size = 0;
  /** Set once the stream has finished. */
  sha256 = '';
  private readonly opening: Promise<FileHandle>;
  private handle: FileHandle | null = null;
  private readonly hash = createHash('sha256');
  private headCheck: HeadCheck | null;
  private batch: Buffer[] = [];
  private batchBytes = 0;
  /** Where in the file the batch goes. */
  private position = 0;
  private writing: Promise<void> | null = null;
  private syncing: Promise<void> | null = null;
  private unsyncedBytes = 0;
  /** The slow part of the latest write or of the end, which closing waits for. */
  private busy: Promise<void> = Promise.resolve();
  private closing: Promise<void> | null = null;

  constructor(path: string, private readonly options: BatchFileSinkOptions) {
    // Autodestroy would close the file before put syncs it.
    super({ highWaterMark: 256 * 1024, autoDestroy: false });
    if (options.headCheck && options.headCheck.bytes > BATCH_BYTES) throw new MapsignError('USAGE_INVALID', `a head check may look at ${BATCH_BYTES} bytes at most`);
    this.headCheck = options.headCheck;
    this.opening = open(path, 'wx');
    this.opening.catch(() => undefined);
  }

  override _construct(callback: (error?: Error | null) => void): void {
    this.opening.then((handle) => {
      this.handle = handle;
      callback();
    }, callback);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    try {
      this.admit(chunk);
    } catch (error) {
      callback(error as Error);
      return;
    }
    if (chunk.length === 0) {
      callback();
      return;
    }
    this.hash.update(chunk);
    this.batch.push(chunk);
    this.batchBytes += chunk.length;
    if (this.batchBytes < BATCH_BYTES) callback();
    else this.runSlowly(this.writeBatch(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.runSlowly(this.finish(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.close().then(() => callback(error), (closeError: Error) => callback(error ?? closeError));
  }

  /** Flushes the file to disk (after the stream finished). */
  async sync(): Promise<void> {
    await this.handle!.sync();
  }

  /** Closes the file once no write is in flight; safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.busy;
      await Promise.allSettled([this.writing, this.syncing]);
      const handle = await this.opening.catch(() => null);
      await handle?.close();
    })();
    return this.closing;
  }

  /** The head check comes first, as it did when checks were stages before the limit. */
  private admit(chunk: Buffer): void {
    if (this.headCheck && this.size + chunk.length >= this.headCheck.bytes) {
      // Until the head is checked, every byte so far is in the batch.
      this.headCheck.check(Buffer.concat([...this.batch, chunk], this.headCheck.bytes));
      this.headCheck = null;
    }
    this.size += chunk.length;
    if (this.size > this.options.maxBytes) {
      throw new MapsignError('UPLOAD_TOO_LARGE', `the file is larger than the limit of ${this.options.maxBytes} bytes`, { details: { maxBytes: this.options.maxBytes } });
    }
  }

  private runSlowly(work: Promise<void>, callback: (error?: Error | null) => void): void {
    this.busy = work.catch(() => undefined);
    work.then(() => callback(), callback);
  }

  private async finish(): Promise<void> {
    this.headCheck?.check(Buffer.concat(this.batch));
    this.headCheck = null;
    if (this.batchBytes > 0) await this.writeBatch();
    await this.writing;
    await this.syncing;
    this.sha256 = this.hash.digest('hex');
  }

  /** Starts the batch's write once the previous batch's write is done. */
  private async writeBatch(): Promise<void> {
    await this.writing;
    if (this.destroyed) throw new MapsignError('IO_FAILED', 'the upload was stopped');
    const writing = this.writeAllAt(this.batch, this.position);
    // Awaited before the next batch or at the end; until then a failure must not count as unhandled.
    writing.catch(() => undefined);
    this.writing = writing;
    this.position += this.batchBytes;
    this.unsyncedBytes += this.batchBytes;
    this.batch = [];
    this.batchBytes = 0;
    const every = this.options.syncEveryBytes;
    if (every !== null && this.unsyncedBytes >= every && this.syncing === null) this.startBackgroundSync();
  }

  private async writeAllAt(chunks: Buffer[], position: number): Promise<void> {
    for (let rest = chunks; rest.length > 0; ) {
      const { bytesWritten } = await this.handle!.writev(rest, position);
      if (bytesWritten === 0) throw new MapsignError('IO_FAILED', `nothing written at offset ${position}`);
      position += bytesWritten;
      rest = dropWritten(rest, bytesWritten);
    }
  }

  /** Flushes what earlier batches wrote while the next ones are written. */
  private startBackgroundSync(): void {
    this.unsyncedBytes = 0;
    const syncing = this.handle!.datasync().then(() => {
      this.syncing = null;
    });
    syncing.catch(() => undefined);
    this.syncing = syncing;
  }
}

/** What is left of `chunks` after a short write of `count` bytes. */
function dropWritten(chunks: Buffer[], count: number): Buffer[] {
  const rest: Buffer[] = [];
  for (const chunk of chunks) {
    if (count >= chunk.length) count -= chunk.length;
    else {
      rest.push(chunk.subarray(count));
      count = 0;
    }
  }
  return rest;
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

  /** Streams `source` into the store. @throws MapsignError `UPLOAD_TOO_LARGE`, what `headCheck` throws, `IO_FAILED`, `DISK_FULL` */
  async put(source: Readable, options: PutFileOptions = {}): Promise<StoredFile> {
    const temp = this.tempPath();
    const sink = new BatchFileSink(temp, {
      maxBytes: options.maxBytes ?? Number.MAX_SAFE_INTEGER,
      headCheck: options.headCheck ?? null,
      syncEveryBytes: this.isDurable ? BACKGROUND_SYNC_BYTES : null,
    });
    let isMoved = false;
    try {
      await pipeline(source, sink);
      const { sha256, size } = sink;
      if (await this.reuseIfStored(sha256)) return { sha256, size, isNew: false };
      if (this.isDurable) await sink.sync();
      await sink.close();
      await this.moveIntoStore(temp, sha256);
      isMoved = true;
      return { sha256, size, isNew: true };
    } catch (error) {
      throw toStoreError(error, temp);
    } finally {
      await sink.close().catch(() => undefined);
      if (!isMoved) await unlink(temp).catch(() => undefined);
    }
  }

  /**
   * Moves a finished temporary file (e.g. a signer's output) into the store under its known hash;
   * `isSynced` when its producer already flushed it to disk (signPdf with durable).
   */
  async adopt(temp: string, sha256: string, size: number, options: { isSynced?: boolean } = {}): Promise<StoredFile> {
    let isMoved = false;
    try {
      if (await this.reuseIfStored(sha256)) return { sha256, size, isNew: false };
      if (this.isDurable && !options.isSynced) await fsyncFile(temp);
      await this.moveIntoStore(temp, sha256);
      isMoved = true;
      return { sha256, size, isNew: true };
    } catch (error) {
      throw toStoreError(error, temp);
    } finally {
      if (!isMoved) await unlink(temp).catch(() => undefined);
    }
  }

  /** Whether a file with this hash is stored already; if so it counts as in use again. */
  private async reuseIfStored(sha256: string): Promise<boolean> {
    if ((await this.has(sha256)) === null) return false;
    // The age that removeUnused goes by starts over.
    const now = new Date();
    await utimes(this.pathOf(sha256), now, now).catch(() => undefined);
    return true;
  }

  /**
   * Renames a finished temporary file (already on disk when durable) to its hash. Durable (the
   * default): its name in its folder (and a new folder's own name) is on disk before this
   * resolves, since a request or a step that names the file is recorded next.
   */
  private async moveIntoStore(temp: string, sha256: string): Promise<void> {
    const target = this.pathOf(sha256);
    const folder = dirname(target);
    let isFolderNew = false;
    try {
      await rename(temp, target);
    } catch (error) {
      // Folders are made on first use: trying the rename first spares an mkdir per file.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      isFolderNew = (await mkdir(folder, { recursive: true })) !== undefined;
      await rename(temp, target);
    }
    if (this.isDurable) {
      await fsyncFile(folder, 'r');
      if (isFolderNew) await fsyncFile(this.objects, 'r');
    }
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
