// `mapsign verify`: the report on stdout, exit 0 only for valid and trusted sheets, 65 otherwise
// with the verdict's code on stderr; JSON with its schema version; Vietnamese by default.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPkcs12KeySource } from '../../src/pki/index.js';
import { signPdf } from '../../src/signing/index.js';
import { makePdf } from '../fixtures/make-pdf.js';
import { samplePki } from '../fixtures/make-pki.js';
import { runCommand } from '../support/verifiers.js';
import { appendIncrement } from '../fixtures/make-signed.js';
import { PdfNewStream, PdfDict } from '../../src/pdf/index.js';

const pki = samplePki();
const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
let dir: string;
let signed: string;
let tampered: string;

function cli(...args: string[]): ReturnType<typeof runCommand> {
  return runCommand('node', ['--import', 'tsx', main, 'verify', ...args]);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-verify-cli-'));
  await makePdf(join(dir, 'sheet.pdf'));
  signed = join(dir, 'signed.pdf');
  await signPdf({ input: join(dir, 'sheet.pdf'), output: signed, keySource: await openPkcs12KeySource({ path: pki.p12.staffRsa, password: pki.password }) });
  tampered = join(dir, 'tampered.pdf');
  await appendIncrement(signed, tampered, async (reader) => {
    const page = await reader.getPage(1);
    return [{ ref: page.dict.get('Contents') as never, value: new PdfNewStream(new PdfDict(), Buffer.from('0 g BT /F1 80 Tf 100 100 Td (GIA) Tj ET')) }];
  });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('mapsign verify', () => {
  it('exits 0 for a valid sheet whose signer chains to a root in --trust', async () => {
    const result = await cli(signed, '--trust', pki.dir);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Kết luận: HỢP LỆ/);
    expect(result.stdout).toMatch(/Người ký: Nguyễn Văn An/);
  });

  it('exits non-zero without --trust and says that trust was not checked', async () => {
    const result = await cli(signed);
    expect(result.code).toBe(65);
    expect(result.stderr).toMatch(/TRUST_NOT_CHECKED/);
    expect(result.stderr).toMatch(/--trust/);
  });

  it('exits 65 with SIGNATURE_INVALID when the content was changed after signing', async () => {
    const result = await cli(tampered, '--trust', pki.dir, '--lang', 'en');
    expect(result.code).toBe(65);
    expect(result.stderr).toMatch(/SIGNATURE_INVALID/);
    expect(result.stdout).toMatch(/NOT VALID/);
    expect(result.stdout).toMatch(/CHANGES THAT ARE NOT ALLOWED/);
  });

  it('prints one JSON document with the schema version', async () => {
    const result = await cli(tampered, '--json');
    const report = JSON.parse(result.stdout) as { schemaVersion: number; verdict: { indication: string } };
    expect(report.schemaVersion).toBe(1);
    expect(report.verdict.indication).toBe('FAILED');
  });

  it('exits 66 for a missing file', async () => {
    const result = await cli(join(dir, 'missing.pdf'));
    expect(result.code).toBe(66);
  });
});
