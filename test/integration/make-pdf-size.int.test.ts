// Big fixtures: a 200 MiB sheet generated in bounded memory, and a sparse sheet past 2^31 bytes.
import { execFile } from 'node:child_process';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHugeSparsePdf, makePdf } from '../fixtures/make-pdf.js';

const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-make-pdf-size-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('makePdf with a large sizeMiB', () => {
  it('writes a 200 MiB sheet with less than 150 MB of RSS growth, and qpdf checks it clean', async () => {
    const path = join(dir, 'sheet-200.pdf');
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    let bytes: number;
    try {
      ({ bytes } = await makePdf(path, { sizeMiB: 200, pageSize: 'A0', rotate: 90 }));
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(peak - before).toBeLessThan(150 * 1024 * 1024);
    expect(Math.abs(bytes - 200 * 2 ** 20)).toBeLessThan(2 ** 20);
    const { stdout } = await run('qpdf', ['--check', path]);
    expect(stdout).toContain('No syntax or stream encoding errors found');
    const info = await run('pdfinfo', [path]);
    expect(info.stdout).toMatch(/Page size:\s+2384 x 3370 pts \(A0\)/);
    expect(info.stdout).toMatch(/Page rot:\s+90/);
  });
});

describe('makeHugeSparsePdf', () => {
  it('writes a sparse 2.2 GB sheet whose objects after the hole have offsets past 2^31', async () => {
    const path = await makeHugeSparsePdf(join(dir, 'huge.pdf'), 2.2e9);
    const { size, blocks } = await stat(path);
    expect(size).toBeGreaterThan(2 ** 31);
    expect(Math.abs(size - 2.2e9)).toBeLessThan(64 * 1024);
    expect(blocks * 512).toBeLessThan(16 * 1024 * 1024);

    const handle = await open(path, 'r');
    const tail = Buffer.alloc(1024);
    try {
      await handle.read(tail, 0, tail.length, size - tail.length);
    } finally {
      await handle.close();
    }
    const offsets = [...tail.toString('latin1').matchAll(/^(\d{10}) 00000 n/gm)].map((m) => Number(m[1]));
    expect(offsets.filter((offset) => offset > 2 ** 31).length).toBeGreaterThanOrEqual(3);

    const info = await run('pdfinfo', [path]);
    expect(info.stdout).toMatch(/Pages:\s+1/);
    expect(info.stdout).toMatch(/Page size:\s+1684 x 2384 pts \(A1\)/);
    const { stdout } = await run('qpdf', ['--check', path]);
    expect(stdout).toContain('No syntax or stream encoding errors found');
  });
});
