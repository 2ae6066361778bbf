import * as pdfLib from 'pdf-lib';
import { PDFDocument, PDFHexString, PDFName, PDFNull, PDFString } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { PdfLibObjectCopier } from '../../../src/pdf/appearance-pdf-lib.js';
import { PdfDict, PdfName, PdfNewStream, PdfRef, PdfString } from '../../../src/pdf/objects.js';
import { serializeObject } from '../../../src/pdf/serialize.js';

describe('PdfLibObjectCopier', () => {
  it('copies every kind of object, renumbering references from the first free number', async () => {
    const doc = await PDFDocument.create({ updateMetadata: false });
    const context = doc.context;
    const leaf = context.register(context.obj({ Kind: 'Leaf', Values: [1, 2.5, true, false] }));
    const stream = context.register(context.stream(new Uint8Array([0, 1, 2, 255]), { Filter: 'FlateDecode', DecodeParms: { Columns: 4 } }));
    const root = context.obj({
      Name: PDFName.of('A b#c'),
      Text: PDFString.of('Ky (boi)'),
      Hex: PDFHexString.of('feff00d0'),
      Nothing: PDFNull,
      Leaf: leaf,
      Again: leaf,
      Stream: stream,
    });
    const rootRef = context.register(root);

    const copier = new PdfLibObjectCopier(pdfLib, context, 40);
    const copiedRoot = copier.copyRef(rootRef);
    expect(copiedRoot).toEqual(new PdfRef(40, 0));
    expect(copier.objects.map((o) => o.ref.num)).toEqual([40, 41, 42]);
    expect(copier.nextObjectNumber).toBe(43);

    const copied = copier.objects[0]!.value as PdfDict;
    expect(copied.get('Name')).toEqual(new PdfName('A b#c'));
    expect(copied.get('Text')).toEqual(new PdfString(Buffer.from('Ky (boi)', 'latin1')));
    expect(copied.get('Hex')).toEqual(new PdfString(Buffer.from([0xfe, 0xff, 0x00, 0xd0]), true));
    expect(copied.get('Nothing')).toBeNull();
    expect(copied.get('Leaf')).toEqual(new PdfRef(41, 0));
    expect(copied.get('Again')).toEqual(new PdfRef(41, 0));

    const copiedLeaf = copier.objects.find((o) => o.ref.num === 41)!.value as PdfDict;
    expect(serializeObject(copiedLeaf)).toBe('<</Kind /Leaf /Values [1 2.5 true false]>>');
    const copiedStream = copier.objects.find((o) => o.ref.num === 42)!.value as PdfNewStream;
    expect(copiedStream.data).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(copiedStream.dict.has('Length')).toBe(false);
    expect(serializeObject(copiedStream.dict)).toBe('<</Filter /FlateDecode /DecodeParms <</Columns 4>>>>');
  });

  it('copies an object reachable twice only once across calls', async () => {
    const doc = await PDFDocument.create({ updateMetadata: false });
    const shared = doc.context.register(doc.context.obj({ Shared: true }));
    const a = doc.context.register(doc.context.obj({ Ref: shared }));
    const b = doc.context.register(doc.context.obj({ Ref: shared }));
    const copier = new PdfLibObjectCopier(pdfLib, doc.context, 1);
    copier.copyRef(a);
    copier.copyRef(b);
    expect(copier.objects).toHaveLength(3);
  });
});
