import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashRanges } from '../../../src/verify/hash-pass.js';

let dir: string;
let path: string;
let data: Buffer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-hash-pass-'));
  path = join(dir, 'data.bin');
  // Larger than two read chunks, so that forks and gaps fall on chunk borders too.
  data = randomBytes(9 * 1024 * 1024 + 17);
  await writeFile(path, data);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function naive(algorithm: string, a: number, b: number, end: number): Buffer {
  return createHash(algorithm).update(data.subarray(0, a)).update(data.subarray(b, end)).digest();
}

describe('hashRanges', () => {
  it('gives each job the digest of [0, a) and [b, end), whatever the algorithms and overlaps', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(fc.constantFrom('sha1', 'sha256', 'sha384'), fc.nat(data.length), fc.nat(data.length), fc.nat(data.length)).map(([algorithm, x, y, z]) => {
            const [a, b, end] = [x, y, z].sort((p, q) => p - q) as [number, number, number];
            return { algorithm, a, b, end };
          }),
          { minLength: 1, maxLength: 4 },
        ),
        async (jobs) => {
          const digests = await hashRanges(path, jobs);
          return jobs.every((job, i) => digests[i]!.equals(naive(job.algorithm, job.a, job.b, job.end)));
        },
      ),
      { numRuns: 12 },
    );
  });

  it('hashes the whole file with a job whose gap is empty at its end', async () => {
    const [digest] = await hashRanges(path, [{ algorithm: 'sha256', a: data.length, b: data.length, end: data.length }]);
    expect(digest!.toString('hex')).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('refuses a job whose gap runs backwards', async () => {
    await expect(hashRanges(path, [{ algorithm: 'sha256', a: 10, b: 5, end: 20 }])).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
  });
});
