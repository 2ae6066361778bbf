import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openFsBlobStore, type FsBlobStore } from '../../../src/archive/index.js';

const sha = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** A stream of `chunks` pieces, then an error of the given errno code. */
function failingStream(chunks: number, code: string): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent < chunks) {
        sent++;
        this.push(Buffer.alloc(64 * 1024, sent));
      } else this.destroy(Object.assign(new Error(`${code}: simulated`), { code }));
    },
  });
}

describe('FsBlobStore', () => {
  let root: string;
  let store: FsBlobStore;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'mapsign-blobs-'));
    store = await openFsBlobStore({ root, maxBytes: 1024 * 1024 });
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function visible(): Promise<string[]> {
    const names: string[] = [];
    for await (const blob of store.list()) names.push(blob.sha256);
    return names;
  }

  it('stores bytes under their SHA-256 and streams them back', async () => {
    const result = await store.put(Readable.from([Buffer.from('tờ bản đồ '), Buffer.from('số 25')]));
    expect(result).toEqual({ sha256: sha('tờ bản đồ số 25'), size: Buffer.byteLength('tờ bản đồ số 25'), isNew: true });
    expect(await text(await store.get(result.sha256))).toBe('tờ bản đồ số 25');
    expect(await visible()).toEqual([result.sha256]);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
  });

  it('serves inclusive byte ranges and refuses ranges outside the blob', async () => {
    const { sha256 } = await store.put(Readable.from([Buffer.from('0123456789')]));
    expect(await text(await store.get(sha256, { start: 2, end: 4 }))).toBe('234');
    expect(await text(await store.get(sha256, { start: 7 }))).toBe('789');
    await expect(store.get(sha256, { start: 5, end: 10 })).rejects.toMatchObject({ code: 'USAGE_INVALID' });
    await expect(store.get(sha256, { start: -1 })).rejects.toMatchObject({ code: 'USAGE_INVALID' });
  });

  it('stores the same bytes once', async () => {
    const first = await store.put(Readable.from([Buffer.from('same')]));
    const second = await store.put(Readable.from([Buffer.from('same')]));
    expect(second).toEqual({ ...first, isNew: false });
    expect(await visible()).toHaveLength(1);
  });

  it('refuses a blob over the byte limit with ARCHIVE_TOO_LARGE and leaves nothing', async () => {
    await expect(store.put(Readable.from([Buffer.alloc(600 * 1024), Buffer.alloc(600 * 1024)]))).rejects.toMatchObject({ code: 'ARCHIVE_TOO_LARGE' });
    await expect(store.put(Readable.from([Buffer.alloc(10)]), { maxBytes: 9 })).rejects.toMatchObject({ code: 'ARCHIVE_TOO_LARGE' });
    expect(await visible()).toEqual([]);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
  });

  it('maps a full disk (ENOSPC, EDQUOT) mid-write to DISK_FULL and leaves nothing', async () => {
    await expect(store.put(failingStream(5, 'ENOSPC'))).rejects.toMatchObject({ code: 'DISK_FULL', details: expect.objectContaining({ sysCode: 'ENOSPC' }) });
    await expect(store.put(failingStream(1, 'EDQUOT'))).rejects.toMatchObject({ code: 'DISK_FULL' });
    expect(await visible()).toEqual([]);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
  });

  it('passes other stream errors on as I/O errors and leaves nothing', async () => {
    await expect(store.put(failingStream(2, 'EIO'))).rejects.toMatchObject({ code: 'IO_FAILED' });
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
  });

  it('shows the staged file to beforeCommit, and a refusal there leaves nothing', async () => {
    let seen = '';
    await expect(
      store.put(Readable.from([Buffer.from('not signed')]), {
        beforeCommit: async (staged) => {
          seen = await readFile(staged.path, 'utf8');
          expect(staged).toMatchObject({ sha256: sha('not signed'), size: 10, isAlreadyStored: false });
          throw Object.assign(new Error('refused'), { code: 'X' });
        },
      }),
    ).rejects.toThrow('refused');
    expect(seen).toBe('not signed');
    expect(await visible()).toEqual([]);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
  });

  it('builds paths only from lower-case hex hashes', async () => {
    for (const name of ['../../etc/passwd', 'A'.repeat(64), `${'a'.repeat(63)}/`, '']) {
      await expect(store.get(name)).rejects.toMatchObject({ code: 'USAGE_INVALID' });
      await expect(store.stat(name)).rejects.toMatchObject({ code: 'USAGE_INVALID' });
      await expect(store.delete(name)).rejects.toMatchObject({ code: 'USAGE_INVALID' });
    }
    await expect(store.get('b'.repeat(64))).rejects.toMatchObject({ code: 'ARCHIVE_NOT_FOUND' });
  });

  it('lists blobs in hash order, ignoring stray files', async () => {
    const hashes = [];
    for (const word of ['an', 'bình', 'cường', 'dũng', 'đạt']) hashes.push((await store.put(Readable.from([Buffer.from(word)]))).sha256);
    await writeFile(join(root, 'objects', 'README'), 'not a blob');
    expect(await visible()).toEqual([...hashes].sort());
  });

  it('notices bytes that changed on disk when re-hashing', async () => {
    const { sha256 } = await store.put(Readable.from([Buffer.from('original')]));
    await writeFile(join(root, 'objects', sha256.slice(0, 2), sha256), 'tampered');
    expect(await store.rehash(sha256)).toBe(sha('tampered'));
  });

  it('removes temporary files of writers that are gone, and only those', async () => {
    const host = hostname().replace(/[^A-Za-z0-9_.-]/g, '_');
    const dead = `${host}~999999999~0123456789ab.part`;
    const live = `${host}~${process.pid}~0123456789ab.part`;
    await writeFile(join(root, 'tmp', dead), 'half a sheet');
    await writeFile(join(root, 'tmp', live), 'being written');
    expect((await store.listTemporary()).map((t) => [t.name, t.isStale])).toEqual([
      [live, false],
      [dead, true],
    ].sort());
    expect(await store.removeStaleTemporary()).toBe(1);
    expect(existsSync(join(root, 'tmp', dead))).toBe(false);
    expect(existsSync(join(root, 'tmp', live))).toBe(true);
  });

  describe('adopting a finished local file', () => {
    it('shares its bytes by a hard link instead of copying them', async () => {
      const file = join(root, 'signed.pdf');
      await writeFile(file, 'tờ 25 đã ký');
      const result = await store.adopt(file, { sha256: sha('tờ 25 đã ký') });
      expect(result).toEqual({ sha256: sha('tờ 25 đã ký'), size: Buffer.byteLength('tờ 25 đã ký'), isNew: true });
      const stored = join(root, 'objects', result.sha256.slice(0, 2), result.sha256);
      expect((await stat(stored)).ino).toBe((await stat(file)).ino);
      expect(await text(await store.get(result.sha256))).toBe('tờ 25 đã ký');
      expect(await readdir(join(root, 'tmp'))).toEqual([]);
      expect(await store.adopt(file, { sha256: result.sha256 })).toMatchObject({ isNew: false });
    });

    it('leaves nothing visible when the check before commit refuses, or the file is over the limit', async () => {
      const file = join(root, 'signed.pdf');
      await writeFile(file, 'x'.repeat(2 * 1024 * 1024));
      await expect(store.adopt(file, { sha256: sha('x'.repeat(2 * 1024 * 1024)) })).rejects.toMatchObject({ code: 'ARCHIVE_TOO_LARGE' });
      await writeFile(file, 'not signed');
      const refusal = new Error('refused');
      await expect(store.adopt(file, { sha256: sha('not signed'), beforeCommit: () => Promise.reject(refusal) })).rejects.toThrow(/refused/);
      expect(await visible()).toEqual([]);
      expect(await readdir(join(root, 'tmp'))).toEqual([]);
      expect(await readFile(file, 'utf8')).toBe('not signed');
    });

    it('refuses a name that is not a SHA-256', async () => {
      await expect(store.adopt(join(root, 'x'), { sha256: '../../etc/passwd' })).rejects.toMatchObject({ code: 'USAGE_INVALID' });
    });
  });
});
