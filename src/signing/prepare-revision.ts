// Stage 2: plan the incremental update that carries the new signature field and the signature
// dictionary with its placeholders, and fix every byte of it except /Contents. After this stage
// no PDF object changes: later stages only hash these bytes and fill the /Contents gap.

import {
  buildIncrementFor,
  buildSignatureDictionary,
  formatByteRange,
  planSignatureField,
  planStampedSignatureField,
  type PdfReader,
  type SignatureFieldOptions,
  type StampPlacement,
  type VisibleStampOptions,
} from '../pdf/index.js';

export interface PrepareRevisionOptions extends SignatureFieldOptions {
  /** A CAdES signature (default) or an RFC 3161 document time-stamp (PAdES B-LTA). */
  kind?: 'signature' | 'document-timestamp';
  reservedBytes: number;
  signingTime: Date;
  reason?: string;
  location?: string;
  contactInfo?: string;
  signerName?: string;
  /** A visible stamp for the widget, written in this same increment (its {fields} already complete). */
  stamp?: VisibleStampOptions;
}

export interface PreparedRevision {
  /** Size of the input, copied unchanged in front of the increment. */
  baseSize: number;
  /** The increment, complete but for the /Contents hex digits (all zero). */
  increment: Buffer;
  /** File offsets of '<' and one past '>' of /Contents: the gap the signature does not cover. */
  reservedStart: number;
  reservedEnd: number;
  reservedBytes: number;
  byteRange: [number, number, number, number];
  fieldName: string;
  pageNumber: number;
  signatureObjectNumber: number;
  /** Where the visible stamp went, when there is one. */
  stampPlacement?: StampPlacement;
}

export async function prepareRevision(reader: PdfReader, options: PrepareRevisionOptions): Promise<PreparedRevision> {
  const stamped = options.stamp ? await planStampedSignatureField(reader, { ...options, stamp: options.stamp }) : undefined;
  const plan = stamped ?? (await planSignatureField(reader, options));
  const isTimestamp = options.kind === 'document-timestamp';
  const signatureDictionary = buildSignatureDictionary({
    type: isTimestamp ? 'DocTimeStamp' : 'Sig',
    subFilter: isTimestamp ? 'ETSI.RFC3161' : 'ETSI.CAdES.detached',
    reservedBytes: options.reservedBytes,
    signingTime: options.signingTime,
    reason: options.reason,
    location: options.location,
    contactInfo: options.contactInfo,
    signerName: options.signerName,
  });
  const increment = await buildIncrementFor(reader, [...plan.objects, { ref: plan.signatureRef, raw: signatureDictionary.raw }]);
  const bodyOffset = increment.bodyOffsets.get(plan.signatureRef.num)!;
  const reservedStart = reader.size + bodyOffset + signatureDictionary.contentsOffset;
  const reservedEnd = reservedStart + signatureDictionary.contentsLength;
  const totalSize = reader.size + increment.bytes.length;
  const byteRange: [number, number, number, number] = [0, reservedStart, reservedEnd, totalSize - reservedEnd];
  formatByteRange(byteRange).copy(increment.bytes, bodyOffset + signatureDictionary.byteRangeOffset);
  return {
    baseSize: reader.size,
    increment: increment.bytes,
    reservedStart,
    reservedEnd,
    reservedBytes: options.reservedBytes,
    byteRange,
    fieldName: plan.fieldName,
    pageNumber: plan.page.pageNumber,
    signatureObjectNumber: plan.signatureRef.num,
    ...(stamped ? { stampPlacement: stamped.placement } : {}),
  };
}
