import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, open, readdir, readFile, rm, utimes, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MapsignError } from '../../../src/errors.js';
import { openServiceDatabase, SqliteRequestStore, WorkFileStore, type ServiceDatabase } from '../../../src/queue/index.js';
import { sheetMetadata } from '../../support/service.js';

let dir: string;
let db: ServiceDatabase;
let store: SqliteRequestStore;
let files: WorkFileStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-work-'));
  db = openServiceDatabase(join(dir, 'service.sqlite'));
  store = new SqliteRequestStore(db);
  files = await WorkFileStore.open(join(dir, 'work'));
});

afterEach(async () => {
  vi.restoreAllMocks();
  db.close();
  await rm(dir, { recursive: true, force: true });
});

const HOUR = 60 * 60 * 1000;

async function putAged(text: string, ageMs: number): Promise<string> {
  const { sha256 } = await files.put(Readable.from([Buffer.from(`%PDF-1.7 ${text}`)]));
  const then = new Date(Date.now() - ageMs);
  await utimes(files.pathOf(sha256), then, then);
  return sha256;
}

async function newRequest(id: string, sha256: string): Promise<void> {
  await store.create({
    id,
    owner: 'portal',
    idempotencyKey: id,
    bodyHash: id,
    callbackUrl: null,
    signatures: [{ role: 'department', signer: 'department-seal' }],
    sheets: [{ part: 's1', sourceSheetId: null, metadata: sheetMetadata(1), sha256, size: 10 }],
    createdAt: Date.now(),
  });
}

describe('working files', () => {
  it('go once no open request needs them and they are older than the grace, and not before', async () => {
    const open = await putAged('open', 2 * HOUR);
    const finished = await putAged('finished', 2 * HOUR);
    const fresh = await putAged('fresh', 0);
    await newRequest(`r${'1'.repeat(24)}`, open);
    await newRequest(`r${'2'.repeat(24)}`, finished);
    await store.recordFailed(`r${'2'.repeat(24)}`, 0, { code: 'PDF_ENCRYPTED', message: 'encrypted', details: {} });

    const keep = await store.openFileHashes();
    expect(keep).toEqual(new Set([open]));
    const removed = await files.removeUnused(keep, HOUR);
    expect(removed.files).toBe(1);
    expect(await files.has(open)).not.toBeNull();
    expect(await files.has(finished)).toBeNull();
    expect(await files.has(fresh)).not.toBeNull();
  });

  it('count as new again when the same bytes are uploaded again, so the grace protects the new request', async () => {
    const old = await putAged('again', 2 * HOUR);
    expect((await files.put(Readable.from([Buffer.from('%PDF-1.7 again')]))).isNew).toBe(false);
    expect((await files.removeUnused(new Set(), HOUR)).files).toBe(0);
    expect(existsSync(files.pathOf(old))).toBe(true);
    expect(old).toBe(createHash('sha256').update('%PDF-1.7 again').digest('hex'));
  });

  it('of a signing step stay listed while the sheet is open: upload and every step\'s output', async () => {
    const upload = await putAged('upload', 2 * HOUR);
    const id = `r${'3'.repeat(24)}`;
    await newRequest(id, upload);
    const signed = 'b'.repeat(64);
    expect(await store.recordSigned(id, 0, { step: 0, role: 'department', signer: { kind: 'server', name: 'department-seal' }, signerName: 'Seal', signedAt: '2026-07-15T02:00:00.000Z', sha256: signed, size: 20, archiveSheetId: null, archiveRevision: null })).toBe(true);
    expect(await store.openFileHashes()).toEqual(new Set([upload, signed]));
  });
});

const MiB = 1024 * 1024;

function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** `bytes` cut into chunks whose sizes cycle through `sizes`. */
function chunked(bytes: Buffer, sizes: number[]): Readable {
  const chunks: Buffer[] = [];
  for (let offset = 0, i = 0; offset < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    chunks.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return Readable.from(chunks);
}

/** A stream of `total` fresh bytes in 64 KiB chunks, `onPull` told how many have been taken. */
function generated(total: number, onPull: (pulled: number) => void = () => undefined, fill = 0x41): Readable {
  let pulled = 0;
  return new Readable({
    read() {
      if (pulled >= total) {
        this.push(null);
        return;
      }
      const chunk = Buffer.alloc(Math.min(64 * 1024, total - pulled), fill);
      pulled += chunk.length;
      onPull(pulled);
      this.push(chunk);
    },
  });
}

/** Temporary files and stored objects, by path under the store. */
async function storeContents(): Promise<string[]> {
  const entries = await readdir(join(dir, 'work'), { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length));
}

async function fileHandlePrototype(): Promise<FileHandle> {
  const handle = await open(join(dir, 'probe'), 'w');
  await handle.close();
  return Object.getPrototypeOf(handle) as FileHandle;
}

async function expectStoredExactly(bytes: Buffer, source: Readable): Promise<void> {
  const stored = await files.put(source);
  expect(stored).toEqual({ sha256: sha256Of(bytes), size: bytes.length, isNew: true });
  expect((await readFile(files.pathOf(stored.sha256))).equals(bytes)).toBe(true);
  expect(await storeContents()).toEqual([files.pathOf(stored.sha256).slice(dir.length)]);
  await files.remove(stored.sha256);
}

describe('WorkFileStore.put', () => {
  it('hashes and stores a source of many tiny chunks', async () => {
    const bytes = randomBytes(300 * 1024 + 5);
    await expectStoredExactly(bytes, chunked(bytes, [1, 7, 13, 4096, 0, 31]));
  });

  it('hashes and stores a source of one chunk many batches long', async () => {
    const bytes = randomBytes(9 * MiB + 123);
    await expectStoredExactly(bytes, Readable.from([bytes]));
  });

  it('hashes and stores chunks that straddle batch boundaries', async () => {
    const bytes = randomBytes(5 * MiB + 3);
    await expectStoredExactly(bytes, chunked(bytes, [65_537, 1_000_003, 17]));
  });

  it('stores an empty source as an empty file', async () => {
    await expectStoredExactly(Buffer.alloc(0), Readable.from([]));
  });

  it('stores sizes that are whole batches, or a byte either side', async () => {
    for (const size of [MiB, 2 * MiB - 1, 2 * MiB, 2 * MiB + 1, 4 * MiB, 8 * MiB]) {
      const bytes = randomBytes(size);
      await expectStoredExactly(bytes, chunked(bytes, [64 * 1024]));
    }
  });

  it('round-trips a file of many batches byte for byte', async () => {
    const bytes = randomBytes(20 * MiB);
    await expectStoredExactly(bytes, chunked(bytes, [64 * 1024, 16 * 1024, 100_000]));
  });

  it('takes exactly maxBytes and refuses maxBytes + 1 as soon as it arrives, leaving nothing', async () => {
    const limit = 3 * MiB + 1;
    expect((await files.put(generated(limit), { maxBytes: limit })).size).toBe(limit);
    await files.remove(sha256Of(Buffer.alloc(limit, 0x41)));
    await expect(files.put(Readable.from([Buffer.alloc(limit + 1, 0x41)]), { maxBytes: limit })).rejects.toMatchObject({ code: 'UPLOAD_TOO_LARGE' });
    let pulled = 0;
    await expect(files.put(generated(500 * MiB, (n) => (pulled = n)), { maxBytes: limit })).rejects.toMatchObject({ code: 'UPLOAD_TOO_LARGE' });
    expect(pulled).toBeLessThan(limit + MiB);
    expect(await storeContents()).toEqual([]);
  });

  it('leaves nothing when the source fails or stops midway', async () => {
    const failing = generated(50 * MiB, (n) => {
      if (n >= 5 * MiB) failing.destroy(new Error('connection reset'));
    });
    await expect(files.put(failing)).rejects.toBeInstanceOf(MapsignError);
    const aborted = generated(50 * MiB, (n) => {
      if (n >= 7 * MiB) aborted.destroy();
    });
    await expect(files.put(aborted)).rejects.toBeInstanceOf(MapsignError);
    expect(await storeContents()).toEqual([]);
  });

  it('runs the head check on the first bytes before storing any, and leaves nothing when it refuses', async () => {
    const seen: string[] = [];
    const headCheck = {
      bytes: 8,
      check(head: Buffer) {
        seen.push(head.toString('latin1'));
        if (!head.toString('latin1').startsWith('%PDF-')) throw new MapsignError('PDF_NOT_PDF', 'not a PDF');
      },
    };
    const pdf = Buffer.from('%PDF-1.7 and the rest');
    expect((await files.put(chunked(pdf, [2, 3, 1, 100]), { headCheck })).size).toBe(pdf.length);
    expect((await files.put(Readable.from([Buffer.from('%PDF-')]), { headCheck })).size).toBe(5);
    expect(seen).toEqual(['%PDF-1.7', '%PDF-']);

    let pulled = 0;
    await expect(files.put(generated(100 * MiB, (n) => (pulled = n), 0x50), { headCheck, maxBytes: 4 })).rejects.toMatchObject({ code: 'PDF_NOT_PDF' });
    expect(pulled).toBeLessThan(MiB);
    await expect(files.put(Readable.from([]), { headCheck })).rejects.toMatchObject({ code: 'PDF_NOT_PDF' });
    expect(await storeContents()).toHaveLength(2);
    await files.remove(sha256Of(pdf));
    await files.remove(sha256Of(Buffer.from('%PDF-')));
    expect(await storeContents()).toEqual([]);
  });

  it('says isNew false for bytes it has already, and keeps one copy', async () => {
    const bytes = randomBytes(3 * MiB);
    expect((await files.put(Readable.from([bytes]))).isNew).toBe(true);
    expect(await files.put(chunked(bytes, [64 * 1024]))).toEqual({ sha256: sha256Of(bytes), size: bytes.length, isNew: false });
    expect(await storeContents()).toEqual([files.pathOf(sha256Of(bytes)).slice(dir.length)]);
  });

  it('syncs the file on disk before it takes its name in the store', async () => {
    const bytes = randomBytes(3 * MiB);
    const target = files.pathOf(sha256Of(bytes));
    const prototype = await fileHandlePrototype();
    const sync = prototype.sync;
    const fileSyncs: string[] = [];
    vi.spyOn(prototype, 'sync').mockImplementation(async function (this: FileHandle) {
      const info = await this.stat();
      if (info.isFile()) fileSyncs.push(`${info.size} bytes, published ${existsSync(target)}`);
      return sync.call(this);
    });
    await files.put(chunked(bytes, [64 * 1024]));
    expect(fileSyncs).toEqual([`${bytes.length} bytes, published false`]);
  });

  it('flushes a big durable file in the background as it goes', async () => {
    const prototype = await fileHandlePrototype();
    const datasync = vi.spyOn(prototype, 'datasync');
    await files.put(generated(72 * MiB));
    expect(datasync).toHaveBeenCalled();
  });

  it('pauses the source while the disk is slow, rather than buffering', async () => {
    const prototype = await fileHandlePrototype();
    const write = prototype.writev as (...args: unknown[]) => Promise<{ bytesWritten: number }>;
    let written = 0;
    let pulled = 0;
    let largestLead = 0;
    vi.spyOn(prototype, 'writev').mockImplementation(async function (this: FileHandle, ...args: unknown[]) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const result = await write.apply(this, args);
      written += result.bytesWritten;
      return result as never;
    });
    await files.put(generated(40 * MiB, (n) => {
      pulled = n;
      largestLead = Math.max(largestLead, pulled - written);
    }));
    expect(written).toBe(40 * MiB);
    expect(largestLead).toBeLessThan(16 * MiB);
  });

  it('maps a full disk to DISK_FULL and leaves nothing', async () => {
    const prototype = await fileHandlePrototype();
    const write = prototype.writev as (...args: unknown[]) => Promise<unknown>;
    let calls = 0;
    vi.spyOn(prototype, 'writev').mockImplementation(async function (this: FileHandle, ...args: unknown[]) {
      if (++calls === 2) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      return write.apply(this, args) as never;
    });
    await expect(files.put(generated(20 * MiB))).rejects.toMatchObject({ code: 'DISK_FULL' });
    expect(await storeContents()).toEqual([]);
  });

  it('keeps its memory flat while a large stream goes through', { timeout: 60_000 }, async () => {
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const script = join(dir, 'put-memory.mts');
    await writeFile(
      script,
      `import { Readable } from 'node:stream';
import { WorkFileStore } from ${JSON.stringify(join(root, 'src/queue/index.js'))};
const files = await WorkFileStore.open(${JSON.stringify(join(dir, 'memory'))}, { durable: false });
await files.put(Readable.from([Buffer.from('warm-up')]));
const before = process.memoryUsage().rss;
let peak = before;
const total = 300 * 1024 * 1024;
let pulled = 0;
const source = new Readable({
  read() {
    if (pulled >= total) return void this.push(null);
    const chunk = Buffer.alloc(64 * 1024, pulled & 0xff);
    pulled += chunk.length;
    if (pulled % (4 * 1024 * 1024) === 0) peak = Math.max(peak, process.memoryUsage().rss);
    this.push(chunk);
  },
});
const stored = await files.put(source);
peak = Math.max(peak, process.resourceUsage().maxRSS * 1024);
console.log(JSON.stringify({ size: stored.size, growth: peak - before }));
`,
    );
    const child = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: root, encoding: 'utf8' });
    expect(child.stderr).toBe('');
    const { size, growth } = JSON.parse(child.stdout) as { size: number; growth: number };
    expect(size).toBe(300 * MiB);
    expect(growth).toBeLessThan(100 * MiB);
  });
});

describe('WorkFileStore.adopt', () => {
  it('moves a finished file in under its hash, or drops it when the store has those bytes', async () => {
    const bytes = randomBytes(1000);
    const first = files.tempPath('signing');
    await writeFile(first, bytes);
    expect(await files.adopt(first, sha256Of(bytes), bytes.length)).toEqual({ sha256: sha256Of(bytes), size: 1000, isNew: true });
    const second = files.tempPath('signing');
    await writeFile(second, bytes);
    expect((await files.adopt(second, sha256Of(bytes), bytes.length)).isNew).toBe(false);
    expect(existsSync(first) || existsSync(second)).toBe(false);
    expect((await readFile(files.pathOf(sha256Of(bytes)))).equals(bytes)).toBe(true);
  });
});
