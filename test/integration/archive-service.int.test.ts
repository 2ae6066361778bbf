// The archive service with real signed sheets, on SQLite and PostgreSQL: facts read from the
// file, revisions, every bad input (bad metadata, unsigned, not a PDF, duplicate, foreign
// revision, byte limit, full disk) leaving nothing behind, downloads checked against their
// hash, and `check` naming every disagreement between catalog and blobs.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Archive, openArchive, type SheetMetadata } from '../../src/archive/index.js';
import { readSignatureFacts } from '../../src/cli/commands/archive.js';
import { openPkcs12KeySource, type KeySource } from '../../src/pki/index.js';
import { signPdf } from '../../src/signing/index.js';
import { BACKENDS, openTestCatalog, type BackendKind, type TestCatalog } from '../fixtures/archive-backends.js';
import { makeNotPdf, makePdf } from '../fixtures/make-pdf.js';
import { samplePki } from '../fixtures/make-pki.js';
import { EXAMPLE_METADATA } from '../fixtures/make-sheet-records.js';

const pki = samplePki();
let dir: string;
let staffRsa: KeySource;
let seal: KeySource;
const files = { unsigned: '', first: '', second: '', otherFirst: '', otherThird: '', notPdf: '' };

const META: SheetMetadata = { ...EXAMPLE_METADATA };

const sha256Of = async (path: string): Promise<string> => createHash('sha256').update(await readFile(path)).digest('hex');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-archive-service-'));
  staffRsa = await openPkcs12KeySource({ path: pki.p12.staffRsa, password: pki.password });
  seal = await openPkcs12KeySource({ path: pki.p12.departmentSeal, password: pki.password });
  files.unsigned = (await makePdf(join(dir, 'sheet.pdf'), { pageSize: 'A1' })).path;
  files.first = join(dir, 'sheet-1.pdf');
  files.second = join(dir, 'sheet-2.pdf');
  await signPdf({ input: files.unsigned, output: files.first, keySource: staffRsa, reason: 'Đo đạc' });
  await signPdf({ input: files.first, output: files.second, keySource: seal });
  const other = (await makePdf(join(dir, 'other.pdf'), { pageSize: 'A0' })).path;
  files.otherFirst = join(dir, 'other-1.pdf');
  files.otherThird = join(dir, 'other-3.pdf');
  await signPdf({ input: other, output: files.otherFirst, keySource: staffRsa });
  await signPdf({ input: files.otherFirst, output: join(dir, 'other-2.pdf'), keySource: seal });
  await signPdf({ input: join(dir, 'other-2.pdf'), output: files.otherThird, keySource: staffRsa });
  files.notPdf = await makeNotPdf(join(dir, 'not.pdf'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readSignatureFacts', () => {
  it('reads signer, organisation, serial, issuer, time and level of each signature from the file', async () => {
    const facts = await readSignatureFacts(files.second);
    expect(facts).toHaveLength(2);
    expect(facts[0]).toMatchObject({ fieldName: 'Signature1', padesLevel: 'B-B', timestampTime: null, reason: 'Đo đạc' });
    expect(facts[0]!.certificateSerial).toMatch(/^[0-9a-f]+$/);
    expect(facts[0]!.certificateIssuer).toMatch(/CN=/);
    expect(facts[0]!.signerName).toBeTruthy();
    expect(Date.parse(facts[0]!.signingTime!)).not.toBeNaN();
    expect(facts[1]!.certificateSerial).not.toBe(facts[0]!.certificateSerial);
    expect(await readSignatureFacts(files.unsigned)).toEqual([]);
    await expect(readSignatureFacts(files.notPdf)).rejects.toMatchObject({ code: 'PDF_NOT_PDF' });
  });
});

describe.each(BACKENDS)('archive service on %s', (kind: BackendKind) => {
  let t: TestCatalog;
  let archive: Archive;

  beforeAll(async () => {
    t = await openTestCatalog(kind);
    archive = await openArchive({ ...t.archiveOptions, catalog: t.catalog, maxBlobBytes: 50 * 1024 * 1024 });
  });

  afterAll(async () => {
    await t?.cleanup();
  });

  async function expectNothingLeft(): Promise<void> {
    expect(await readdir(join(t.archiveOptions.dataDir, 'blobs', 'tmp'))).toEqual([]);
    const check = await archive.check();
    expect(check.problems).toEqual([]);
  }

  const add = (file: string | Readable, metadata: unknown = META) => archive.add({ file, metadata, readSignatures: readSignatureFacts, actor: 'test' });

  it('archives a signed sheet with the facts of its signature, and finds it by "to 25 thua 112"', async () => {
    const result = await add(files.first);
    expect(result).toMatchObject({ sheetId: 1, revision: 1, isNewSheet: true, sha256: await sha256Of(files.first), changedFields: [] });
    expect(result.signatures).toEqual([expect.objectContaining({ position: 1, role: 'don-vi-do-dac', padesLevel: 'B-B' })]);
    const found = await archive.search({ text: 'to 25 thua 112' });
    expect(found.items.map((s) => s.id)).toEqual([1]);
    expect(found.items[0]!.signatures[0]!.signerName).toBe(result.signatures[0]!.signerName);
    await expectNothingLeft();
  });

  it('makes the next signing step of the same sheet its second revision', async () => {
    const result = await add(files.second, { ...META, surveyUnit: 'Công ty CP Đo đạc Đồng Nai' });
    expect(result).toMatchObject({ sheetId: 1, revision: 2, isNewSheet: false, changedFields: ['surveyUnit'] });
    expect(result.signatures.map((s) => s.role)).toEqual(['don-vi-do-dac', 'ubnd-cap-xa']);
    const sheet = await archive.getSheet(1);
    expect(sheet.revisions.map((r) => r.signatures.length)).toEqual([1, 2]);
    expect((await archive.search({ text: 'do dac dong nai' })).items.map((s) => s.id)).toEqual([1]);
    const kinds = (await t.catalog.readAudit(0, 100)).map((e) => e.kind);
    expect(kinds).toEqual(['archived', 'archived', 'metadata-changed']);
    await expectNothingLeft();
  });

  it('refuses the same file again with ARCHIVE_DUPLICATE and changes nothing', async () => {
    const before = await t.catalog.counts();
    await expect(add(files.first)).rejects.toMatchObject({ code: 'ARCHIVE_DUPLICATE', details: { sheetId: 1, revision: 1 } });
    expect(await t.catalog.counts()).toEqual(before);
    await expectNothingLeft();
  });

  it('refuses bad metadata, an unsigned PDF and a file that is not a PDF, leaving nothing', async () => {
    await expect(add(files.otherFirst, { ...META, dossierCode: 'HS-1', extra: true })).rejects.toMatchObject({ code: 'ARCHIVE_METADATA_INVALID' });
    await expect(add(files.unsigned, { ...META, sheetNumber: '99' })).rejects.toMatchObject({ code: 'ARCHIVE_NOT_SIGNED' });
    await expect(add(files.notPdf, { ...META, sheetNumber: '99' })).rejects.toMatchObject({ code: 'PDF_NOT_PDF' });
    await expect(add(join(dir, 'missing.pdf'), { ...META, sheetNumber: '99' })).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND' });
    expect((await t.catalog.counts()).revisions).toBe(2);
    await expectNothingLeft();
  });

  it('refuses a file of the same sheet that does not extend the stored revision', async () => {
    await expect(add(files.otherThird)).rejects.toMatchObject({ code: 'ARCHIVE_REVISION_CONFLICT', message: expect.stringContaining('not an incremental update') });
    await expect(add(files.otherFirst)).rejects.toMatchObject({ code: 'ARCHIVE_REVISION_CONFLICT', message: expect.stringContaining('adds signatures') });
    await expectNothingLeft();
  });

  it('refuses a file over the byte limit and a disk that fills up mid-write, leaving nothing', async () => {
    const small = await openArchive({ ...t.archiveOptions, catalog: t.catalog, maxBlobBytes: 10_000 });
    await expect(small.add({ file: files.otherFirst, metadata: { ...META, sheetNumber: '30' }, readSignatures: readSignatureFacts })).rejects.toMatchObject({ code: 'ARCHIVE_TOO_LARGE' });
    let sent = 0;
    const fillsUp = new Readable({
      read() {
        if (sent++ < 4) this.push(Buffer.alloc(256 * 1024));
        else this.destroy(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 }));
      },
    });
    await expect(add(fillsUp, { ...META, sheetNumber: '31' })).rejects.toMatchObject({ code: 'DISK_FULL' });
    await expectNothingLeft();
  });

  it('archives a sheet from a stream, as the API will', async () => {
    const { createReadStream } = await import('node:fs');
    const result = await add(createReadStream(files.otherFirst), { ...META, sheetNumber: '26', parcelNumbers: ['7'], commune: 'Phường Long Bình' });
    expect(result).toMatchObject({ sheetId: 2, revision: 1 });
    await expectNothingLeft();
  });

  it('writes a stored file out, checking its hash, and logs the download', async () => {
    const output = join(dir, `${kind}-out.pdf`);
    const saved = await archive.saveFile('1', output, { revision: 1, actor: 'clerk' });
    expect(saved).toMatchObject({ sheetId: 1, revision: 1, sha256: await sha256Of(files.first) });
    expect(await sha256Of(output)).toBe(saved.sha256);
    await expect(archive.saveFile('1', output)).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
    expect((await archive.saveFile(await sha256Of(files.second), output, { overwrite: true })).revision).toBe(2);
    const last = (await t.catalog.readAudit(0, 100)).filter((e) => e.kind === 'downloaded');
    expect(last).toEqual([expect.objectContaining({ actor: 'clerk', sheetId: 1 })]);
    await expect(archive.saveFile('77', join(dir, 'x.pdf'))).rejects.toMatchObject({ code: 'ARCHIVE_NOT_FOUND' });
    await expect(archive.saveFile('../etc/passwd', join(dir, 'x.pdf'))).rejects.toMatchObject({ code: 'USAGE_INVALID' });
  });

  it('stores a verification report and moves the sheet to verified', async () => {
    await archive.recordVerification(1, { isValid: true, report: { summary: 'hợp lệ' }, actor: 'verifier' });
    const sheet = await archive.getSheet(1);
    expect(sheet.status).toBe('verified');
    expect(sheet.verification).toMatchObject({ revision: 2, isValid: true, report: { summary: 'hợp lệ' } });
    expect((await archive.search({ status: 'verified' })).items.map((s) => s.id)).toEqual([1]);
    expect((await archive.verifyAudit()).isIntact).toBe(true);
  });

  it('finds a damaged blob on download and with a deep check', async () => {
    const sha256 = await sha256Of(files.otherFirst);
    const path = join(t.archiveOptions.dataDir, 'blobs', 'objects', sha256.slice(0, 2), sha256);
    const original = await readFile(path);
    const damaged = Buffer.from(original);
    damaged[100] = damaged[100]! ^ 0xff;
    await writeFile(path, damaged);
    const output = join(dir, `${kind}-damaged.pdf`);
    await expect(archive.saveFile('2', output)).rejects.toMatchObject({ code: 'ARCHIVE_CORRUPT' });
    expect(existsSync(output)).toBe(false);
    expect((await archive.check()).isConsistent).toBe(true);
    expect((await archive.check({ deep: true })).problems).toEqual([expect.objectContaining({ kind: 'hash-mismatch', sheetId: 2, revision: 1 })]);
    await writeFile(path, original);
  });

  it('names a missing blob, a blob of the wrong size and an orphan blob', async () => {
    const objects = join(t.archiveOptions.dataDir, 'blobs', 'objects');
    const first = await sha256Of(files.first);
    const firstPath = join(objects, first.slice(0, 2), first);
    const saved = await readFile(firstPath);
    await unlink(firstPath);
    const second = await sha256Of(files.second);
    const secondPath = join(objects, second.slice(0, 2), second);
    const savedSecond = await readFile(secondPath);
    await writeFile(secondPath, savedSecond.subarray(0, 100));
    const orphan = createHash('sha256').update('stray').digest('hex');
    await import('node:fs/promises').then((fs) => fs.mkdir(join(objects, orphan.slice(0, 2)), { recursive: true }));
    await writeFile(join(objects, orphan.slice(0, 2), orphan), 'stray');
    const result = await archive.check();
    expect(result.isConsistent).toBe(false);
    expect(result.problems.map((p) => [p.kind, p.sha256]).sort()).toEqual(
      [
        ['missing-blob', first],
        ['size-mismatch', second],
        ['orphan-blob', orphan],
      ].sort(),
    );
    await writeFile(firstPath, saved);
    await writeFile(secondPath, savedSecond);
    await unlink(join(objects, orphan.slice(0, 2), orphan));
    expect((await archive.check({ deep: true })).problems).toEqual([]);
  });
});
