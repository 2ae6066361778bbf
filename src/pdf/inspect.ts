// A structural summary of a PDF for `mapsign inspect`: revisions (cross-reference sections),
// pages, and signature fields with their /ByteRange, read without loading the file.

import { PdfName, PdfRef, PdfString, type PdfObject } from './objects.js';
import { PdfReader } from './pdf-reader.js';

export interface InspectRevision {
  xrefOffset: number;
  kind: 'table' | 'stream';
  entries: number;
  hybrid: boolean;
}

export interface InspectSignature {
  field: string;
  type: string | null;
  subFilter: string | null;
  byteRange: number[] | null;
  /** Whether the byte range ends at the end of the file. */
  coversWholeFile: boolean;
  /** Bytes reserved in /Contents. */
  contentsBytes: number;
  signingTime: string | null;
  name: string | null;
  reason: string | null;
  location: string | null;
}

export interface InspectResult {
  path: string;
  size: number;
  version: string;
  pageCount: number;
  revisions: InspectRevision[];
  signatures: InspectSignature[];
  /** Unsigned signature fields. */
  emptySignatureFields: string[];
}

function text(value: PdfObject | undefined): string | null {
  return value instanceof PdfString ? value.toText() : null;
}

export async function inspectPdf(path: string): Promise<InspectResult> {
  const reader = await PdfReader.open(path);
  try {
    const signatures: InspectSignature[] = [];
    const emptySignatureFields: string[] = [];
    const acroForm = await reader.acroForm();
    const roots = await reader.resolve(acroForm?.dict.get('Fields'));
    const queue: Array<{ value: PdfObject; prefix: string; inheritedType: string | undefined }> = Array.isArray(roots)
      ? roots.map((value) => ({ value, prefix: '', inheritedType: undefined }))
      : [];
    const seen = new Set<number>();
    while (queue.length > 0 && seen.size < 100_000) {
      const { value, prefix, inheritedType } = queue.shift()!;
      if (value instanceof PdfRef) {
        if (seen.has(value.num)) continue;
        seen.add(value.num);
      }
      const field = await reader.resolveDict(value);
      if (!field) continue;
      const partial = text(field.get('T'));
      const fullName = partial === null ? prefix : prefix ? `${prefix}.${partial}` : partial;
      const fieldType = field.getName('FT') ?? inheritedType;
      const kids = await reader.resolve(field.get('Kids'));
      if (Array.isArray(kids)) for (const kid of kids) queue.push({ value: kid, prefix: fullName, inheritedType: fieldType });
      if (fieldType !== 'Sig' || partial === null) continue;
      const signature = await reader.resolveDict(field.get('V'));
      if (!signature) {
        emptySignatureFields.push(fullName);
        continue;
      }
      const byteRangeValue = await reader.resolve(signature.get('ByteRange'));
      const byteRange = Array.isArray(byteRangeValue) && byteRangeValue.every((n) => typeof n === 'number') ? (byteRangeValue as number[]) : null;
      const contents = signature.get('Contents');
      signatures.push({
        field: fullName,
        type: signature.getName('Type') ?? null,
        subFilter: signature.get('SubFilter') instanceof PdfName ? (signature.get('SubFilter') as PdfName).value : null,
        byteRange,
        coversWholeFile: byteRange !== null && byteRange.length === 4 && byteRange[2]! + byteRange[3]! === reader.size,
        contentsBytes: contents instanceof PdfString ? contents.bytes.length : 0,
        signingTime: text(signature.get('M')),
        name: text(signature.get('Name')),
        reason: text(signature.get('Reason')),
        location: text(signature.get('Location')),
      });
    }
    signatures.sort((a, b) => (a.byteRange?.[2] ?? 0) + (a.byteRange?.[3] ?? 0) - ((b.byteRange?.[2] ?? 0) + (b.byteRange?.[3] ?? 0)));
    return {
      path,
      size: reader.size,
      version: reader.headerVersion,
      pageCount: await reader.pageCount(),
      revisions: [...reader.sections].reverse().map((s) => ({
        xrefOffset: s.offset,
        kind: s.kind,
        entries: s.entryCount,
        hybrid: s.hybridStreamOffset !== undefined,
      })),
      signatures,
      emptySignatureFields,
    };
  } finally {
    await reader.close();
  }
}
