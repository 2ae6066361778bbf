// Streaming uploads: each file part goes straight to the working store (hashed on the way, with
// a byte limit → 413), after its first bytes are checked to be a PDF (→ 415). Nothing is held in
// memory but the small JSON part.

import type { FastifyRequest } from 'fastify';
import { MapsignError } from '../errors.js';
import type { HeadCheck, StoredFile, WorkFileStore } from '../queue/index.js';

/** The PDF header may start anywhere in the first 1024 bytes (ISO 32000-2 §7.5.2, as readers accept it). */
const HEADER_WINDOW = 1024;
const MAX_JSON_BYTES = 1024 * 1024;
export const PART_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Refuses with PDF_NOT_PDF unless the first bytes of a file show `%PDF-`. */
function refuseUnlessPdfHeader(head: Buffer): void {
  if (!head.subarray(0, HEADER_WINDOW).includes('%PDF-')) {
    throw new MapsignError('PDF_NOT_PDF', 'the uploaded file is not a PDF (no %PDF- header in its first 1024 bytes)');
  }
}

/** The header check as WorkFileStore.put runs it: once on the first bytes, with no stage in the stream. */
export const PDF_HEADER_CHECK: HeadCheck = { bytes: HEADER_WINDOW, check: refuseUnlessPdfHeader };

export interface UploadedFile extends StoredFile {
  part: string;
  filename: string;
}

export interface ReceivePartsOptions {
  files: WorkFileStore;
  maxFileBytes: number;
  maxFiles: number;
  /** Name of the JSON part; called as soon as it arrives, so a bad request fails before any upload. */
  jsonPart?: { name: string; onJson(text: string): void };
  /** Refuses a file part early (e.g. one the JSON part does not name). */
  acceptFile?: (part: string) => void;
}

export interface ReceivedParts {
  json: string | null;
  files: UploadedFile[];
}

async function readSmallStream(stream: AsyncIterable<Buffer>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > limit) throw new MapsignError('USAGE_INVALID', `the JSON part is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Reads a multipart body part by part. Files that arrived before a later failure are removed
 * when this call stored them first.
 *
 * @throws MapsignError `UPLOAD_TOO_LARGE`, `PDF_NOT_PDF`, `USAGE_INVALID`, and what the callbacks throw
 */
export async function receiveParts(request: FastifyRequest, options: ReceivePartsOptions): Promise<ReceivedParts> {
  if (!request.isMultipart()) throw new MapsignError('USAGE_INVALID', 'this route expects multipart/form-data');
  const received: ReceivedParts = { json: null, files: [] };
  try {
    const parts = request.parts({
      limits: { fileSize: options.maxFileBytes + 1, files: options.maxFiles + 1, fields: 8, fieldSize: MAX_JSON_BYTES, parts: options.maxFiles + 9 },
    });
    for await (const part of parts) {
      const isJson = options.jsonPart !== undefined && part.fieldname === options.jsonPart.name;
      if (part.type === 'field' || isJson) {
        if (!isJson) throw new MapsignError('USAGE_INVALID', `unexpected form field ${JSON.stringify(part.fieldname)}`);
        if (received.json !== null) throw new MapsignError('USAGE_INVALID', `the part ${part.fieldname} is given twice`);
        // @fastify/multipart hands a field sent as application/json over already parsed.
        const text = part.type === 'field' ? (typeof part.value === 'string' ? part.value : JSON.stringify(part.value)) : await readSmallStream(part.file, MAX_JSON_BYTES);
        if (part.type === 'field' && part.valueTruncated) throw new MapsignError('USAGE_INVALID', `the JSON part is larger than ${MAX_JSON_BYTES} bytes`);
        received.json = text;
        options.jsonPart!.onJson(text);
        continue;
      }
      if (!PART_NAME.test(part.fieldname)) throw new MapsignError('USAGE_INVALID', `a file part name is letters, digits, ".", "_" or "-", not ${JSON.stringify(part.fieldname)}`);
      if (received.files.some((f) => f.part === part.fieldname)) throw new MapsignError('USAGE_INVALID', `the file part ${part.fieldname} is given twice`);
      if (received.files.length >= options.maxFiles) throw new MapsignError('USAGE_INVALID', `at most ${options.maxFiles} files per request`);
      options.acceptFile?.(part.fieldname);
      const stored = await options.files.put(part.file, { maxBytes: options.maxFileBytes, headCheck: PDF_HEADER_CHECK });
      received.files.push({ ...stored, part: part.fieldname, filename: part.filename });
    }
    return received;
  } catch (error) {
    await removeUploads(options.files, received.files);
    throw error;
  }
}

/** Removes the files this request stored first (not those another upload stored before). */
export async function removeUploads(files: WorkFileStore, uploads: readonly UploadedFile[]): Promise<void> {
  for (const upload of uploads) if (upload.isNew) await files.remove(upload.sha256).catch(() => undefined);
}
