import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { httpStatusOf, toProblem } from '../../../src/api/index.js';
import { parseRange } from '../../../src/api/range.js';
import { PDF_HEADER_CHECK } from '../../../src/api/upload.js';
import { WorkFileStore } from '../../../src/queue/index.js';
import { MapsignError } from '../../../src/errors.js';

describe('parseRange', () => {
  it('reads one byte range of a file', () => {
    expect(parseRange(undefined, 1000)).toBeNull();
    expect(parseRange('bytes=0-99', 1000)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=900-', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=-100', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=990-5000', 1000)).toEqual({ start: 990, end: 999 });
  });

  it('answers the whole file for forms it does not serve, and RANGE_NOT_SATISFIABLE outside the file', () => {
    expect(parseRange('bytes=0-1,5-6', 1000)).toBeNull();
    expect(parseRange('items=0-1', 1000)).toBeNull();
    expect(() => parseRange('bytes=1000-', 1000)).toThrow(expect.objectContaining({ code: 'RANGE_NOT_SATISFIABLE' }));
    expect(() => parseRange('bytes=-0', 1000)).toThrow(expect.objectContaining({ code: 'RANGE_NOT_SATISFIABLE' }));
  });
});

describe('toProblem', () => {
  it('gives RFC 9457 fields with the code, its status and the request id', () => {
    expect(toProblem(new MapsignError('IDEMPOTENCY_KEY_REUSED', 'used', { details: { requestId: 'r1' } }), 'req-1')).toEqual({
      type: 'urn:mapsign:error:IDEMPOTENCY_KEY_REUSED',
      title: 'Khóa Idempotency-Key đã được dùng cho một yêu cầu khác',
      status: 409,
      code: 'IDEMPOTENCY_KEY_REUSED',
      message: 'used',
      requestId: 'req-1',
      details: { requestId: 'r1' },
    });
  });

  it('answers 401, 403 and 416 for the codes the shared table cannot hold yet', () => {
    expect(['AUTH_REQUIRED', 'AUTH_FORBIDDEN', 'RANGE_NOT_SATISFIABLE', 'UPLOAD_TOO_LARGE', 'PDF_NOT_PDF'].map((c) => httpStatusOf(c as never))).toEqual([401, 403, 416, 413, 415]);
  });

  it('hides the text of unexpected errors and maps Fastify\'s own', () => {
    expect(toProblem(new Error('secret path /etc/x'), 'r')).toMatchObject({ status: 500, code: 'INTERNAL_ERROR', message: expect.not.stringContaining('/etc') });
    expect(toProblem(Object.assign(new Error('body/x must be string'), { code: 'FST_ERR_VALIDATION', validation: [] }), 'r')).toMatchObject({ status: 400, code: 'USAGE_INVALID' });
    expect(toProblem(Object.assign(new Error('too large'), { code: 'FST_REQ_FILE_TOO_LARGE', statusCode: 413 }), 'r')).toMatchObject({ status: 413, code: 'UPLOAD_TOO_LARGE' });
  });
});

describe('the PDF header check of uploads', () => {
  const store = async <T>(work: (files: WorkFileStore) => Promise<T>): Promise<T> => {
    const dir = await mkdtemp(join(tmpdir(), 'mapsign-header-check-'));
    try {
      return await work(await WorkFileStore.open(dir, { durable: false }));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  const put = (files: WorkFileStore, chunks: Buffer[]) => files.put(Readable.from(chunks), { headCheck: PDF_HEADER_CHECK });

  it('stores a PDF unchanged, header split across chunks or after a little junk', async () => {
    await store(async (files) => {
      const bytes = Buffer.concat([Buffer.from('%PD'), Buffer.from('F-1.7\n'), Buffer.alloc(5000, 0x41)]);
      const stored = await put(files, [bytes.subarray(0, 3), bytes.subarray(3, 9), bytes.subarray(9)]);
      expect((await readFile(files.pathOf(stored.sha256))).equals(bytes)).toBe(true);
      const tiny = await put(files, [Buffer.from('\r\n%PDF-1.4 tiny')]);
      expect((await readFile(files.pathOf(tiny.sha256))).toString()).toBe('\r\n%PDF-1.4 tiny');
    });
  });

  it('refuses anything else with PDF_NOT_PDF and stores nothing', async () => {
    await store(async (files) => {
      await expect(put(files, [Buffer.alloc(4000, 0x50)])).rejects.toMatchObject({ code: 'PDF_NOT_PDF' });
      await expect(put(files, [Buffer.from('PK\x03\x04')])).rejects.toMatchObject({ code: 'PDF_NOT_PDF' });
      // A header past the first 1024 bytes does not count.
      await expect(put(files, [Buffer.alloc(1024, 0x20), Buffer.from('%PDF-1.7')])).rejects.toMatchObject({ code: 'PDF_NOT_PDF' });
      expect(await readdir(join(files.root, 'objects'))).toEqual([]);
    });
  });
});
