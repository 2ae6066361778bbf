// FileSource: positioned reads through cached 64 KiB blocks give exactly the file's bytes for
// any window (across block borders, past the end), and small reads near each other reach the
// disk once.

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FileSource } from '../../../src/pdf/file-source.js';

let dir: string;
let path: string;
let data: Buffer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-file-source-'));
  path = join(dir, 'data.bin');
  data = randomBytes(3 * 64 * 1024 + 123);
  await writeFile(path, data);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FileSource', () => {
  it('returns exactly the bytes of any window, whatever blocks it spans or how far past the end it reaches', async () => {
    const source = await FileSource.open(path);
    try {
      await fc.assert(
        fc.asyncProperty(fc.nat(data.length + 10), fc.nat(200_000), async (offset, length) => {
          const expected = data.subarray(Math.min(offset, data.length), Math.min(offset + length, data.length));
          expect((await source.read(offset, length)).equals(expected)).toBe(true);
        }),
        { numRuns: 300 },
      );
    } finally {
      await source.close();
    }
  });

  it('reads a block from the disk once for the small reads inside it, and gives each caller its own buffer', async () => {
    const source = await FileSource.open(path);
    const handle = (source as unknown as { handle: { read: (...args: unknown[]) => unknown } }).handle;
    const reads = vi.spyOn(handle, 'read');
    try {
      const first = await source.read(70_000, 64);
      await source.read(70_100, 4096);
      await source.read(69_000, 1024);
      expect(reads).toHaveBeenCalledTimes(1);
      first.fill(0);
      expect((await source.read(70_000, 64)).equals(data.subarray(70_000, 70_064))).toBe(true);
    } finally {
      await source.close();
    }
  });
});
