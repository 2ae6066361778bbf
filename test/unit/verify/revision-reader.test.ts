// The read-only helpers of src/pdf/revision-reader.ts that verify builds on: a reader of an older
// revision, its cross-reference entries, and where a dictionary's entries lie in the file.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectPdf, locateDictionaryEntries, openRevisionReader, PdfReader, PdfRef, readRevisionIndex } from '../../../src/pdf/index.js';
import { openPkcs12KeySource } from '../../../src/pki/index.js';
import { signPdf } from '../../../src/signing/index.js';
import { readRevisions } from '../../../src/verify/revisions.js';
import { makePdf } from '../../fixtures/make-pdf.js';
import { samplePki } from '../../fixtures/make-pki.js';

const pki = samplePki();
let dir: string;
let path: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-revision-reader-'));
  const key = await openPkcs12KeySource({ path: pki.p12.staffRsa, password: pki.password });
  await makePdf(join(dir, 'sheet.pdf'));
  await signPdf({ input: join(dir, 'sheet.pdf'), output: join(dir, 'once.pdf'), keySource: key });
  path = join(dir, 'twice.pdf');
  await signPdf({ input: join(dir, 'once.pdf'), output: path, keySource: key });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('revision reader', () => {
  it('finds where each revision ends and reads the document as it was then', async () => {
    const reader = await PdfReader.open(path);
    try {
      const { revisions, trailingData } = await readRevisions(reader);
      expect(revisions).toHaveLength(3);
      expect(revisions[2]!.end).toBe(reader.size);
      expect(trailingData).toBeNull();
      const first = await openRevisionReader(reader, revisions[1]!.end);
      const fields = await first.resolve((await first.acroForm())?.dict.get('Fields'));
      expect(Array.isArray(fields) && fields.length).toBe(1);
      const index = await readRevisionIndex(first);
      expect(index.get(1)?.type).toBe('offset');
      expect(index.get(reader.nextObjectNumber - 1)).toBeUndefined();
    } finally {
      await reader.close();
    }
  });

  it('locates a signature dictionary’s /Contents exactly at its /ByteRange gap', async () => {
    const reader = await PdfReader.open(path);
    try {
      const signature = (await inspectPdf(path)).signatures[1]!;
      const [, a, b] = signature.byteRange!;
      const fields = (await reader.resolve((await reader.acroForm())!.dict.get('Fields'))) as PdfRef[];
      const field = await reader.resolveDict(fields[1]);
      const ref = field!.get('V') as PdfRef;
      const entry = (await readRevisionIndex(reader)).get(ref.num);
      const layout = await locateDictionaryEntries(reader, entry?.type === 'offset' ? entry.offset : -1, ref.num, ref.gen);
      expect(layout.entries.find((e) => e.key === 'Contents')).toMatchObject({ start: a, end: b });
      await expect(locateDictionaryEntries(reader, 0, ref.num, ref.gen)).rejects.toMatchObject({ code: 'PDF_MALFORMED' });
    } finally {
      await reader.close();
    }
  });
});
