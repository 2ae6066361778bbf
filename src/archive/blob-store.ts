// Content-addressed blob store: a blob's name is the SHA-256 of its bytes. Bytes are streamed
// into a temporary file inside the store, hashed on the way, fsynced and renamed into place, so
// a blob is either complete and visible or absent. Paths are built only from validated hashes.

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { link, mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Transform, Writable, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MapsignError, fromSystemError } from '../errors.js';

/** A complete, fsynced local copy of a blob that is about to become visible. */
export interface StagedBlob {
  sha256: string;
  size: number;
  /** Local path of the staged bytes; valid only while `beforeCommit` runs. Read it, never write it. */
  path: string;
  /** Whether a blob with this hash was already stored (then nothing new becomes visible). */
  isAlreadyStored: boolean;
}

export interface PutBlobOptions {
  /** Refuse the blob with `ARCHIVE_TOO_LARGE` once more than this many bytes arrive. */
  maxBytes?: number;
  /** Runs after the bytes are hashed and on disk, before they become visible; throwing aborts the put and leaves nothing. */
  beforeCommit?: (staged: StagedBlob) => Promise<void>;
}

export interface PutBlobResult {
  sha256: string;
  size: number;
  /** False when the same bytes were already stored. */
  isNew: boolean;
}

export interface BlobInfo {
  sha256: string;
  size: number;
}

/** Inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface BlobRange {
  start: number;
  end?: number;
}

export interface TemporaryFileInfo {
  name: string;
  size: number;
  /** Left by a writer that is gone (this host, dead process) or older than a day. */
  isStale: boolean;
}

/**
 * Where archived files live. The file-system store implements it now; an S3-compatible store
 * can implement it later by staging to local disk (to hash and to run `beforeCommit`), then
 * uploading under the hash as the key.
 */
export interface AdoptBlobOptions extends PutBlobOptions {
  /** SHA-256 of the file, as its producer computed it while writing it. */
  sha256: string;
}

export interface BlobStore {
  put(source: Readable | AsyncIterable<Uint8Array>, options?: PutBlobOptions): Promise<PutBlobResult>;
  /**
   * Stores a complete local file that nobody writes to any more, under the hash its producer
   * computed (the service's work store names files so). A store that can share the bytes (a hard
   * link on the same file system) does so without copying; `archive check` rehashes later.
   * Optional: without it, callers stream the file through {@link put}.
   */
  adopt?(path: string, options: AdoptBlobOptions): Promise<PutBlobResult>;
  /** Streams a blob, or the inclusive `range` of it. */
  get(sha256: string, range?: BlobRange): Promise<Readable>;
  stat(sha256: string): Promise<BlobInfo | null>;
  /** Removes a blob; false when it was not there. */
  delete(sha256: string): Promise<boolean>;
  list(): AsyncIterable<BlobInfo>;
  /** Reads the stored bytes again and returns their SHA-256. */
  rehash(sha256: string): Promise<string>;
  /** Temporary files of unfinished puts. */
  listTemporary(): Promise<TemporaryFileInfo[]>;
  /** Removes the temporary files of writers that are gone; returns how many. */
  removeStaleTemporary(): Promise<number>;
}

const HEX_SHA256 = /^[0-9a-f]{64}$/;
const TEMP_NAME = /^([A-Za-z0-9_.-]+)~(\d+)~[0-9a-f]{12}\.part$/;
const STALE_AFTER_MS = 24 * 60 * 60 * 1000;
const READ_CHUNK = 1 << 20;

/** Whether `value` is a lower-case hex SHA-256, the only thing blob paths are built from. */
export function isSha256Hex(value: string): boolean {
  return HEX_SHA256.test(value);
}

function assertSha256(value: string): void {
  if (!isSha256Hex(value)) {
    throw new MapsignError('USAGE_INVALID', `not a SHA-256 in lower-case hex: ${JSON.stringify(value.slice(0, 80))}`);
  }
}

/** ENOSPC and EDQUOT become `DISK_FULL`; other system errors go through `fromSystemError`. */
export function toStorageError(error: unknown, path: string): MapsignError {
  if (error instanceof MapsignError) return error;
  const sysCode = (error as NodeJS.ErrnoException | undefined)?.code;
  if (sysCode === 'ENOSPC' || sysCode === 'EDQUOT') {
    return new MapsignError('DISK_FULL', `no space left while writing ${path}`, { cause: error, details: { path, sysCode } });
  }
  return fromSystemError(error, path);
}

/** Hashes and counts the bytes that pass, and stops the stream past the byte limit. */
class MeterTransform extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      callback(new MapsignError('ARCHIVE_TOO_LARGE', `the file is larger than the limit of ${this.maxBytes} bytes`, { details: { maxBytes: this.maxBytes } }));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }
}

async function writeFully(handle: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

/**
 * A writable over an open file that fsyncs in `final` when `isDurable`, so the pipeline ends only
 * once the bytes are on disk. The caller keeps the handle and closes it.
 */
export function createFileSink(handle: FileHandle, isDurable: boolean): Writable {
  return new Writable({
    highWaterMark: READ_CHUNK,
    write(chunk: Buffer, _encoding, callback) {
      writeFully(handle, chunk).then(() => callback(), callback);
    },
    final(callback) {
      (isDurable ? handle.sync() : Promise.resolve()).then(() => callback(), callback);
    },
  });
}

/** Whether a process of this host with `pid` still runs (one of another user counts as running). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function fsyncDirectory(path: string): Promise<void> {
  try {
    const handle = await open(path, 'r');
    await handle.sync().finally(() => handle.close());
  } catch {
    // Best effort: not every file system can fsync a directory.
  }
}

export interface FsBlobStoreOptions {
  /** Folder of the store; `objects/` and `tmp/` are created inside. */
  root: string;
  /** Default byte limit per put. */
  maxBytes?: number;
  /** fsync files and folders (default true); false only for benchmarks and throwaway stores. */
  durable?: boolean;
}

/** The file-system blob store: `objects/<2 hex>/<64 hex>`, temporary files in `tmp/`. */
export class FsBlobStore implements BlobStore {
  readonly root: string;
  private readonly objectsDir: string;
  private readonly tempDir: string;
  private readonly maxBytes: number;
  private readonly isDurable: boolean;
  private readonly host = hostname().replace(/[^A-Za-z0-9_.-]/g, '_');

  constructor(options: FsBlobStoreOptions) {
    this.root = options.root;
    this.objectsDir = join(options.root, 'objects');
    this.tempDir = join(options.root, 'tmp');
    this.maxBytes = options.maxBytes ?? Number.MAX_SAFE_INTEGER;
    this.isDurable = options.durable ?? true;
  }

  /** Creates the folders; call once before use. */
  async init(): Promise<void> {
    await mkdir(this.objectsDir, { recursive: true }).catch((error: unknown) => {
      throw toStorageError(error, this.objectsDir);
    });
    await mkdir(this.tempDir, { recursive: true }).catch((error: unknown) => {
      throw toStorageError(error, this.tempDir);
    });
  }

  private pathOf(sha256: string): string {
    assertSha256(sha256);
    return join(this.objectsDir, sha256.slice(0, 2), sha256);
  }

  private tempName(): string {
    return join(this.tempDir, `${this.host}~${process.pid}~${randomBytes(6).toString('hex')}.part`);
  }

  /**
   * Makes a complete temporary file (`fill` puts it at `temp` and says what it holds) visible
   * under its hash after `beforeCommit`; the temporary file goes whatever happens.
   */
  private async commit(temp: string, options: PutBlobOptions, fill: () => Promise<BlobInfo>): Promise<PutBlobResult> {
    let isMoved = false;
    try {
      const { sha256, size } = await fill();
      const isAlreadyStored = (await this.stat(sha256)) !== null;
      await options.beforeCommit?.({ sha256, size, path: temp, isAlreadyStored });
      if (isAlreadyStored) return { sha256, size, isNew: false };
      const folder = join(this.objectsDir, sha256.slice(0, 2));
      await mkdir(folder, { recursive: true });
      await rename(temp, this.pathOf(sha256));
      isMoved = true;
      if (this.isDurable) await fsyncDirectory(folder);
      return { sha256, size, isNew: true };
    } catch (error) {
      throw toStorageError(error, temp);
    } finally {
      if (!isMoved) await rm(temp, { force: true }).catch(() => undefined);
    }
  }

  async put(source: Readable | AsyncIterable<Uint8Array>, options: PutBlobOptions = {}): Promise<PutBlobResult> {
    const maxBytes = Math.min(options.maxBytes ?? this.maxBytes, this.maxBytes);
    const temp = this.tempName();
    return this.commit(temp, options, async () => {
      const handle = await open(temp, 'wx', 0o640);
      const meter = new MeterTransform(maxBytes);
      try {
        await pipeline(source, meter, createFileSink(handle, this.isDurable));
      } finally {
        await handle.close().catch(() => undefined);
      }
      return { sha256: meter.hash.digest('hex'), size: meter.bytes };
    });
  }

  async adopt(path: string, options: AdoptBlobOptions): Promise<PutBlobResult> {
    const { sha256 } = options;
    assertSha256(sha256);
    const maxBytes = Math.min(options.maxBytes ?? this.maxBytes, this.maxBytes);
    const temp = this.tempName();
    try {
      await link(path, temp);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Another file system, or one without hard links: copy, hashing on the way as usual.
      if (code === 'EXDEV' || code === 'EPERM' || code === 'EMLINK' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') {
        const copied = await this.put(createReadStream(path, { highWaterMark: READ_CHUNK }), options);
        if (copied.sha256 !== sha256) throw new MapsignError('ARCHIVE_CORRUPT', `the file ${path} hashes to ${copied.sha256}, not ${sha256} as its producer said`, { details: { sha256 } });
        return copied;
      }
      throw toStorageError(error, path);
    }
    return this.commit(temp, options, async () => {
      const handle = await open(temp, 'r');
      try {
        const { size } = await handle.stat();
        if (size > maxBytes) throw new MapsignError('ARCHIVE_TOO_LARGE', `the file is larger than the limit of ${maxBytes} bytes`, { details: { maxBytes } });
        // Normally a no-op: the producer synced its file; a blob must be on disk before it is visible.
        if (this.isDurable) await handle.datasync();
        return { sha256, size };
      } finally {
        await handle.close().catch(() => undefined);
      }
    });
  }

  async get(sha256: string, range?: BlobRange): Promise<Readable> {
    const path = this.pathOf(sha256);
    const info = await this.stat(sha256);
    if (info === null) throw new MapsignError('ARCHIVE_NOT_FOUND', `no blob ${sha256}`, { details: { sha256 } });
    if (range === undefined) return createReadStream(path, { highWaterMark: READ_CHUNK });
    const end = range.end ?? info.size - 1;
    if (!Number.isSafeInteger(range.start) || !Number.isSafeInteger(end) || range.start < 0 || end < range.start || end >= info.size) {
      throw new MapsignError('USAGE_INVALID', `byte range ${range.start}-${range.end ?? ''} is outside the blob of ${info.size} bytes`, {
        details: { sha256, size: info.size },
      });
    }
    return createReadStream(path, { start: range.start, end, highWaterMark: READ_CHUNK });
  }

  async stat(sha256: string): Promise<BlobInfo | null> {
    const path = this.pathOf(sha256);
    try {
      const info = await stat(path);
      return { sha256, size: info.size };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw toStorageError(error, path);
    }
  }

  async delete(sha256: string): Promise<boolean> {
    const path = this.pathOf(sha256);
    if ((await this.stat(sha256)) === null) return false;
    await rm(path, { force: true }).catch((error: unknown) => {
      throw toStorageError(error, path);
    });
    if (this.isDurable) await fsyncDirectory(join(this.objectsDir, sha256.slice(0, 2)));
    return true;
  }

  async *list(): AsyncIterable<BlobInfo> {
    const folders = (await readdir(this.objectsDir).catch(() => [] as string[])).filter((name) => /^[0-9a-f]{2}$/.test(name)).sort();
    for (const folder of folders) {
      const names = (await readdir(join(this.objectsDir, folder)).catch(() => [] as string[])).sort();
      for (const name of names) {
        if (!isSha256Hex(name) || !name.startsWith(folder)) continue;
        const info = await this.stat(name);
        if (info) yield info;
      }
    }
  }

  async rehash(sha256: string): Promise<string> {
    const hash = createHash('sha256');
    await pipeline(await this.get(sha256), hash);
    return hash.digest('hex');
  }

  async listTemporary(): Promise<TemporaryFileInfo[]> {
    const names = await readdir(this.tempDir).catch(() => [] as string[]);
    const result: TemporaryFileInfo[] = [];
    for (const name of names.sort()) {
      const info = await stat(join(this.tempDir, name)).catch(() => null);
      if (!info) continue;
      const match = TEMP_NAME.exec(name);
      const isOrphan = match !== null && match[1] === this.host && !isProcessAlive(Number(match[2]));
      result.push({ name, size: info.size, isStale: isOrphan || Date.now() - info.mtimeMs > STALE_AFTER_MS });
    }
    return result;
  }

  async removeStaleTemporary(): Promise<number> {
    let removed = 0;
    for (const file of await this.listTemporary()) {
      if (!file.isStale) continue;
      await rm(join(this.tempDir, file.name), { force: true });
      removed++;
    }
    return removed;
  }
}

/** Opens (and creates) a file-system blob store. */
export async function openFsBlobStore(options: FsBlobStoreOptions): Promise<FsBlobStore> {
  const store = new FsBlobStore(options);
  await store.init();
  return store;
}
