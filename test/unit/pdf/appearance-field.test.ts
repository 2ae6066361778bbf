import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planStampedSignatureField, type VisibleStampOptions } from '../../../src/pdf/appearance-field.js';
import { buildIncrementFor } from '../../../src/pdf/incremental-writer.js';
import { PdfDict, PdfNewStream, PdfRef } from '../../../src/pdf/objects.js';
import { PdfReader } from '../../../src/pdf/pdf-reader.js';
import { makePdf } from '../../fixtures/make-pdf.js';
import { makeSealPng, makeSignaturePng } from '../../fixtures/make-images.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-stamp-field-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const stamp: VisibleStampOptions = {
  box: { x: 10, y: 10, width: 98, height: 46 },
  lines: [{ text: '{title}', position: 'header' }, { text: '{signerName}' }, { text: 'Ký bởi: {organisation}' }],
  fields: { title: 'PHÓ GIÁM ĐỐC', signerName: 'Nguyễn Văn An', organisation: 'Sở Nông nghiệp và Môi trường tỉnh Đồng Nai' },
  signatureImage: makeSignaturePng(),
  sealImage: makeSealPng(),
  qrText: 'https://kiemtra.example.vn/x',
};

async function withSheet<T>(name: string, options: Parameters<typeof makePdf>[1], run: (reader: PdfReader) => Promise<T>): Promise<T> {
  const path = join(dir, `${name}.pdf`);
  await makePdf(path, options);
  const reader = await PdfReader.open(path);
  try {
    return await run(reader);
  } finally {
    await reader.close();
  }
}

describe('planStampedSignatureField', () => {
  it('writes the widget at the stamp box with the stamp as /AP /N, and numbers the stamp after the field', async () => {
    await withSheet('new-field', { pageSize: 'A1', rotate: 90 }, async (reader) => {
      const plan = await planStampedSignatureField(reader, { stamp });
      const byNumber = new Map(plan.objects.map((o) => [o.ref.num, o.value]));
      expect(byNumber.size).toBe(plan.objects.length);
      expect(byNumber.has(plan.signatureRef.num)).toBe(false);

      const widget = byNumber.get(plan.fieldRef.num) as PdfDict;
      expect(widget.get('Rect')).toEqual(plan.placement.rect);
      const appearanceRef = (widget.get('AP') as PdfDict).get('N') as PdfRef;
      const appearance = byNumber.get(appearanceRef.num) as PdfNewStream;
      expect(appearance.dict.getName('Subtype')).toBe('Form');
      expect(appearance.dict.get('Matrix')).toEqual(plan.placement.matrix);

      const fieldNumbers = [plan.signatureRef.num, plan.fieldRef.num, appearanceRef.num];
      const stampNumbers = plan.objects.map((o) => o.ref.num).filter((n) => n >= reader.nextObjectNumber && !fieldNumbers.includes(n));
      expect(stampNumbers.length).toBeGreaterThan(8);
      for (const n of stampNumbers) expect(n).toBeGreaterThan(Math.max(...fieldNumbers));

      const increment = await buildIncrementFor(reader, [...plan.objects, { ref: plan.signatureRef, value: null }]);
      expect(increment.size).toBe(Math.max(...byNumber.keys(), plan.signatureRef.num) + 1);
    });
  });

  it('refuses a box bigger than the page with STAMP_OFF_PAGE', async () => {
    await withSheet('off-page', { pageSize: 'A4' }, async (reader) => {
      await expect(planStampedSignatureField(reader, { stamp: { ...stamp, box: { x: 0, y: 0, width: 250, height: 40 } } })).rejects.toMatchObject({ code: 'STAMP_OFF_PAGE' });
    });
  });

  it('draws the stamp in the /Rect of an existing empty signature field, which it leaves where it is', async () => {
    await withSheet('empty-field', { pageSize: 'A1', acroForm: 'empty-signature-field' }, async (reader) => {
      const huge = { ...stamp, box: { x: 0, y: 0, width: 5000, height: 5000 } };
      const plan = await planStampedSignatureField(reader, { fieldName: 'Signature1', stamp: huge });
      const field = plan.objects.find((o) => o.ref.equals(plan.fieldRef))!.value as PdfDict;
      const rect = field.get('Rect') as number[];
      expect(plan.placement.rect).toEqual(rect);
      expect(field.get('V')).toEqual(plan.signatureRef);
      const appearance = plan.objects.find((o) => o.ref.equals((field.get('AP') as PdfDict).get('N') as PdfRef))!.value as PdfNewStream;
      expect(appearance.dict.get('BBox')).toEqual([0, 0, rect[2]! - rect[0]!, rect[3]! - rect[1]!]);
      expect(new Set(plan.objects.map((o) => o.ref.num)).size).toBe(plan.objects.length);
    });
  });
});
