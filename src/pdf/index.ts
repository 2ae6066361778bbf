// Public surface of the byte-level PDF module: the lazy reader, the incremental writer, the
// signature field and the /ByteRange and /Contents placeholders.

export { PdfReader } from './pdf-reader.js';
export type { PageInfo } from './pdf-reader.js';
export { DEFAULT_LIMITS } from './xref.js';
export type { ReaderLimits, XrefSection } from './xref.js';
export { PdfDict, PdfName, PdfNewStream, PdfRef, PdfStream, PdfString, dict, name } from './objects.js';
export type { PdfObject } from './objects.js';
export { buildIncrement, buildIncrementFor } from './incremental-writer.js';
export type { BuildIncrementOptions, Increment, IncrementObject } from './incremental-writer.js';
export { planSignatureField } from './signature-field.js';
export type { SignatureFieldOptions, SignatureFieldPlan } from './signature-field.js';
export { BYTE_RANGE_DIGITS, buildSignatureDictionary, formatByteRange, formatContents, formatPdfDate } from './placeholder.js';
export type { SignatureDictionary, SignatureDictionaryOptions } from './placeholder.js';
export { serializeObject } from './serialize.js';
export { inspectPdf } from './inspect.js';
export type { InspectResult, InspectRevision, InspectSignature } from './inspect.js';
export { locateDictionaryEntries, openRevisionReader, readRevisionIndex } from './revision-reader.js';
export type { DictionaryEntryLocation, DictionaryLayout, RevisionIndex } from './revision-reader.js';
export type { XrefEntry } from './xref.js';
export { planDss } from './dss.js';
export type { DssContent } from './dss.js';
export { buildStampAppearance } from './appearance.js';
export type { StampAppearance, StampAppearanceOptions, StampFontWeight, StampTextLine } from './appearance.js';
export { STAMP_CORNERS, millimetresToPoints, placeStamp, placementForRect, visiblePageSizeMm } from './appearance-placement.js';
export type { PdfMatrix, PlaceStampOptions, StampBoxMm, StampCorner, StampPage, StampPlacement } from './appearance-placement.js';
export { STAMP_FIELD_NAMES, defaultStampTemplatesPath, fillStampLines, formatStampTime, loadStampTemplates, parseStampTemplates, resolveStampTemplate, stampTemplateNames } from './appearance-templates.js';
export type { StampFields, StampTemplate, StampTemplates } from './appearance-templates.js';
export { planStampedSignatureField } from './appearance-field.js';
export type { StampedSignatureFieldOptions, StampedSignatureFieldPlan, VisibleStampOptions } from './appearance-field.js';
export { fileStampOf, forgetDigests, isSettled, markWrittenFile, recallDigest, rememberDigest } from './range-digests.js';
export type { DigestRange } from './range-digests.js';
export { IO_CHUNK_BYTES, giveIoBuffer, takeIoBuffer, zeroIoChunk } from './io-buffers.js';
