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
 * Bytes per block of an upload's copy: each is hashed in one update and written in one positioned
 * write (per-chunk hashing and writes of 64 KiB socket chunks cost more CPU than the copy).
 */
const BLOCK_BYTES = 2 * 1024 * 1024;
/** A durable upload starts flushing its bytes this often, so the final sync has little left to do. */
const BACKGROUND_SYNC_BYTES = 64 * 1024 * 1024;
/** Idle blocks kept for the next upload (each upload holds two while it streams). */
const KEEP_IDLE_BLOCKS = 8;
const idleBlocks: Buffer[] = [];

function takeBlock(): Buffer {
  return idleBlocks.pop() ?? Buffer.allocUnsafeSlow(BLOCK_BYTES);
}

function giveBlock(block: Buffer): void {
  if (idleBlocks.length < KEEP_IDLE_BLOCKS && !idleBlocks.includes(block)) idleBlocks.push(block);
}

/** Looks at the first bytes of a file before any of it is stored. */
export interface HeadCheck {
  /** How many first bytes `check` needs (it gets fewer when the file is shorter); at most BLOCK_BYTES (2 MiB). */
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

interface BlockFileSinkOptions {
  maxBytes: number;
  headCheck: HeadCheck | null;
  /** Bytes between background flushes to disk; null: none. */
  syncEveryBytes: number | null;
}

/**
 * Writes a stream to a new file (`wx`), hashing it on the way: bytes are copied into one block
 * while the previous block is being written, so receiving overlaps the disk; a write still in
 * flight holds up the next full block, which is how a slow disk pauses the source.
 */
class BlockFileSink extends Writable {
  size = 0;
  /** Set once the stream has finished. */
  sha256 = '';
  private readonly opening: Promise<FileHandle>;
  private handle: FileHandle | null = null;
  private readonly hash = createHash('sha256');
  private headCheck: HeadCheck | null;
  private block = takeBlock();
  private filled = 0;
  /** Where in the file the block being filled goes. */
  private position = 0;
  private writing: { block: Buffer; done: Promise<void> } | null = null;
  private syncing: Promise<void> | null = null;
  private unsyncedBytes = 0;
  /** The slow part of the latest write or of the end, which closing waits for. */
  private busy: Promise<void> = Promise.resolve();
  private closing: Promise<void> | null = null;

  constructor(path: string, private readonly options: BlockFileSinkOptions) {
    // Autodestroy would close the file before put syncs it.
    super({ highWaterMark: 256 * 1024, autoDestroy: false });
    if (options.headCheck && options.headCheck.bytes > BLOCK_BYTES) throw new MapsignError('USAGE_INVALID', `a head check may look at ${BLOCK_BYTES} bytes at most`);
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
    if (this.filled + chunk.length < this.block.length) {
      chunk.copy(this.block, this.filled);
      this.filled += chunk.length;
      callback();
      return;
    }
    this.runSlowly(this.storeAcrossBlocks(chunk), callback);
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
      await Promise.allSettled([this.writing?.done, this.syncing]);
      giveBlock(this.block);
      if (this.writing) giveBlock(this.writing.block);
      const handle = await this.opening.catch(() => null);
      await handle?.close();
    })();
    return this.closing;
  }

  /** The head check comes first, as it did when checks were stages before the limit. */
  private admit(chunk: Buffer): void {
    if (this.headCheck && this.size + chunk.length >= this.headCheck.bytes) {
      // Until the head is checked, every byte so far is in the first block.
      const head = Buffer.concat([this.block.subarray(0, this.filled), chunk], this.headCheck.bytes);
      this.headCheck.check(head);
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

  private async storeAcrossBlocks(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      const copied = chunk.copy(this.block, this.filled, offset);
      this.filled += copied;
      offset += copied;
      if (this.filled === this.block.length) await this.writeBlock();
    }
  }

  private async finish(): Promise<void> {
    this.headCheck?.check(this.block.subarray(0, this.filled));
    this.headCheck = null;
    if (this.filled > 0) await this.writeBlock();
    await this.writing?.done;
    await this.syncing;
    this.sha256 = this.hash.digest('hex');
  }

  /** Hashes the filled block and starts its write once the previous block's write is done. */
  private async writeBlock(): Promise<void> {
    const block = this.block;
    const length = this.filled;
    this.hash.update(block.subarray(0, length));
    const previous = this.writing;
    if (previous) await previous.done;
    if (this.destroyed) throw new MapsignError('IO_FAILED', 'the upload was stopped');
    const done = this.writeFully(block, length, this.position);
    // Awaited before the next block or at the end; until then a failure must not count as unhandled.
    done.catch(() => undefined);
    this.writing = { block, done };
    this.block = previous?.block ?? takeBlock();
    this.filled = 0;
    this.position += length;
    this.unsyncedBytes += length;
    const every = this.options.syncEveryBytes;
    if (every !== null && this.unsyncedBytes >= every && this.syncing === null) this.startBackgroundSync();
  }

  private async writeFully(block: Buffer, length: number, position: number): Promise<void> {
    for (let written = 0; written < length; ) {
      const { bytesWritten } = await this.handle!.write(block, written, length - written, position + written);
      if (bytesWritten === 0) throw new MapsignError('IO_FAILED', `nothing written at offset ${position + written}`);
      written += bytesWritten;
    }
  }

  /** Flushes what earlier blocks wrote while the next ones are written. */
  private startBackgroundSync(): void {
    this.unsyncedBytes = 0;
    const syncing = this.handle!.datasync().then(() => {
      this.syncing = null;
    });
    syncing.catch(() => undefined);
    this.syncing = syncing;
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

  /** Streams `source` into the store. @throws MapsignError `UPLOAD_TOO_LARGE`, what `headCheck` throws, `IO_FAILED`, `DISK_FULL` */
  async put(source: Readable, options: PutFileOptions = {}): Promise<StoredFile> {
    const temp = this.tempPath();
    const sink = new BlockFileSink(temp, {
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
