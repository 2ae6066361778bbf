// Translates objects that pdf-lib built in a scratch document (fonts, images) into our object
// model (ISO 32000-2 §7.3), renumbered into the increment. pdf-lib never writes a file here:
// DESIGN.md keeps it to building objects, because saving would rewrite the signed sheet.

import type { PDFContext, PDFDict, PDFObject, PDFRef } from 'pdf-lib';
import { MapsignError } from '../errors.js';
import type { IncrementObject } from './incremental-writer.js';
import { PdfDict as OurDict, PdfName as OurName, PdfNewStream, PdfRef as OurRef, PdfString as OurString, type PdfObject } from './objects.js';

/** The pdf-lib module, loaded only when a stamp is drawn so that invisible signatures never pay for it. */
export type PdfLib = typeof import('pdf-lib');

/** Objects copied so far, each under a new number; a pdf-lib object reachable twice is copied once. */
export class PdfLibObjectCopier {
  private readonly numbers = new Map<string, OurRef>();
  private readonly pending: Array<{ from: PDFRef; to: OurRef }> = [];
  readonly objects: IncrementObject[] = [];

  constructor(
    private readonly lib: PdfLib,
    private readonly context: PDFContext,
    private nextNumber: number,
  ) {}

  /** The first object number not yet used by this copier. */
  get nextObjectNumber(): number {
    return this.nextNumber;
  }

  /** Copies the object `ref` points to (and everything it reaches); returns its new reference. */
  copyRef(ref: PDFRef): OurRef {
    const target = this.refFor(ref);
    this.drain();
    return target;
  }

  private refFor(ref: PDFRef): OurRef {
    const key = ref.toString();
    const known = this.numbers.get(key);
    if (known) return known;
    const created = new OurRef(this.nextNumber++, 0);
    this.numbers.set(key, created);
    this.pending.push({ from: ref, to: created });
    return created;
  }

  private drain(): void {
    for (let next = this.pending.shift(); next; next = this.pending.shift()) {
      const value = this.context.lookup(next.from);
      if (value === undefined) throw new MapsignError('INTERNAL_ERROR', `pdf-lib object ${next.from.toString()} is missing`);
      this.objects.push({ ref: next.to, value: this.convert(value) });
    }
  }

  private convert(value: PDFObject): PdfObject {
    const { PDFArray, PDFBool, PDFDict, PDFHexString, PDFName, PDFNull, PDFNumber, PDFRef, PDFStream, PDFString } = this.lib;
    if (value instanceof PDFRef) return this.refFor(value);
    if (value === PDFNull) return null;
    if (value instanceof PDFBool) return value.asBoolean();
    if (value instanceof PDFNumber) return value.asNumber();
    if (value instanceof PDFName) return new OurName(value.decodeText());
    if (value instanceof PDFHexString) return new OurString(Buffer.from(value.asBytes()), true);
    if (value instanceof PDFString) return new OurString(Buffer.from(value.asBytes()));
    if (value instanceof PDFArray) return value.asArray().map((item) => this.convert(item));
    if (value instanceof PDFDict) return this.convertDict(value);
    if (value instanceof PDFStream) {
      // getContents() is the encoded data that the dictionary's /Filter describes; /Length is
      // recomputed by our serializer.
      const dict = this.convertDict(value.dict);
      dict.entries.delete('Length');
      return new PdfNewStream(dict, Buffer.from(value.getContents()));
    }
    throw new MapsignError('INTERNAL_ERROR', `cannot copy a pdf-lib ${value.constructor.name}`);
  }

  private convertDict(value: PDFDict): OurDict {
    const out = new OurDict();
    for (const [key, item] of value.entries()) out.set(key.decodeText(), this.convert(item));
    return out;
  }
}
