// A sheet larger than 2^31 bytes (sparse on disk): offsets past 2 GiB in /ByteRange and in the
// cross-reference section, checked by pdfsig and qpdf.

import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectPdf } from '../../src/pdf/index.js';
import { openPkcs12KeySource } from '../../src/pki/index.js';
import { signPdf } from '../../src/signing/index.js';
import { makeHugeSparsePdf } from '../fixtures/make-pdf.js';
import { samplePki } from '../fixtures/make-pki.js';
import { pdfsig, qpdfCheck } from '../support/verifiers.js';

const pki = samplePki();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-huge-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('signPdf on a sheet past 2^31 bytes', () => {
  it('writes byte ranges and cross-reference offsets past 2 GiB that pdfsig and qpdf accept', async () => {
    const input = join(dir, 'huge.pdf');
    const output = join(dir, 'huge-signed.pdf');
    await makeHugeSparsePdf(input, 2 ** 31 + 300 * 1024 * 1024);
    const keySource = await openPkcs12KeySource({ path: pki.p12.staffEc, password: pki.password });
    const result = await signPdf({ input, output, keySource });
    const size = (await stat(output)).size;
    expect(size).toBeGreaterThan(2 ** 31);
    expect(result.byteRange[1]).toBeGreaterThan(2 ** 31);
    expect(result.byteRange[2] + result.byteRange[3]).toBe(size);
    const info = await inspectPdf(output);
    expect(info.revisions.at(-1)!.xrefOffset).toBeGreaterThan(2 ** 31);
    const sig = await pdfsig(output);
    expect(sig.signatures, sig.output).toHaveLength(1);
    expect(sig.signatures[0]!.isValid, sig.output).toBe(true);
    expect(sig.signatures[0]!.isTotalDocumentSigned).toBe(true);
    const qpdf = await qpdfCheck(output);
    expect(qpdf.code, qpdf.stderr).toBe(0);
  });
});
