// The archive service: ingest of a signed sheet (blob, then catalog rows and audit entry in one
// transaction), download, search, metadata changes, verification reports and the checks.
// Ingest order keeps catalog and blobs in agreement: the blob is staged and hashed, the facts
// read from exactly those bytes, an intent recorded, the blob renamed into place, then the rows
// committed (removing the intent). A crash leaves at most an intent that recovery rolls back.

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MapsignError, fromSystemError } from '../errors.js';
import { verifyAuditChain, type AuditVerifyResult } from './audit.js';
import { createFileSink, isSha256Hex, type BlobRange, type BlobStore, type PutBlobOptions, type StagedBlob } from './blob-store.js';
import type { Catalog, CommitSheetInput, ExistingSheet } from './catalog.js';
import { checkArchive, intentOwner, recoverArchive, type ArchiveCheckOptions, type ArchiveCheckResult, type RecoveryResult } from './consistency.js';
import { toSignatureInputs, DEFAULT_ROLE_TEMPLATES, type RoleTemplates } from './facts.js';
import { diffMetadata, validateSheetMetadata } from './metadata.js';
import { sheetKeyOf, toSignatureRecord, type SignatureInput } from './rows.js';
import { newPublicCode, normalizePublicCode } from './public-code.js';
import { finishPage, planSearch, type SearchQuery, type SearchResult } from './search.js';
import type { AuditEntry, AuditEvent, ReadSignatureFacts, SheetDetail, SheetMetadata, SignatureRecord } from './types.js';

export interface AddSheetOptions {
  /** Path of the signed PDF, or its bytes as a stream. */
  file: string | Readable;
  /** Raw metadata (parsed JSON); validated against the contract. */
  metadata: unknown;
  /** Reads the signatures of a complete local file (see {@link ReadSignatureFacts}). */
  readSignatures: ReadSignatureFacts;
  /** Who archives it, for the audit log; default "mapsign". */
  actor?: string;
  /**
   * SHA-256 of `file` (a path) as its producer computed it: the blob store may then take the file
   * as it is (a hard link) instead of copying it.
   */
  sha256?: string;
  /**
   * What led to this file (its receipt, its signing), written to the audit log in the same commit
   * as its `archived` entry, under the sheet's id: before archiving, a new sheet has no id yet.
   */
  history?: readonly AuditEvent[];
  /**
   * Role of the signature this file adds (its last), as the signing request named it. Without it
   * the roles come from the procedure's template by position; either way the earlier signatures
   * keep the roles their sheet has.
   */
  addedSignatureRole?: string;
  /**
   * The public code of a new sheet (newPublicCode), when it had to be known before archiving (it
   * is printed in the stamp's QR code); generated when absent. A later revision keeps its sheet's.
   *
   * @throws MapsignError `USAGE_INVALID` when it is not a public code
   */
  publicCode?: string;
  /**
   * A verification report of this file, made before archiving it: stored with the new revision in
   * the same commit, instead of by a recordVerification after it (one commit, one flush, less).
   */
  verification?: { isValid: boolean; report: unknown; actor?: string };
}

export interface AddSheetResult {
  sheetId: number;
  revision: number;
  /** The sheet's public code (for a later revision, the one it always had). */
  publicCode: string;
  sha256: string;
  size: number;
  isNewSheet: boolean;
  signatures: SignatureRecord[];
  /** Metadata fields a later revision changed (also in a metadata-changed audit entry). */
  changedFields: string[];
}

export interface OpenFileOptions {
  /** Revision number; default the latest. Ignored when the reference is a hash. */
  revision?: number;
  range?: BlobRange;
  /** Writes a `downloaded` audit entry for this actor; no entry when absent. */
  actor?: string;
}

export interface OpenFileResult {
  stream: Readable;
  sheetId: number;
  revision: number;
  sha256: string;
  size: number;
}

export interface SaveFileOptions {
  revision?: number;
  /** Replace an existing output (default: refuse with OUTPUT_EXISTS). */
  overwrite?: boolean;
  actor?: string;
}

export interface RecordVerificationOptions {
  /** Revision the report is about; default the latest. */
  revision?: number;
  isValid: boolean;
  /** The report as JSON (the verifier's own shape). */
  report: unknown;
  actor?: string;
}

export interface ArchiveOptions {
  catalog: Catalog;
  blobs: BlobStore;
  maxBlobBytes?: number;
  roleTemplates?: RoleTemplates;
}

/** What ingest learned from the staged file. */
interface Staged {
  previous: ExistingSheet | null;
  signatures: SignatureInput[];
  sha256: string;
}

const DEFAULT_ACTOR = 'mapsign';
const AUDIT_PAGE = 5000;

async function hashPrefix(path: string, length: number): Promise<string> {
  const hash = createHash('sha256');
  if (length > 0) await pipeline(createReadStream(path, { start: 0, end: length - 1, highWaterMark: 1 << 20 }), hash);
  return length > 0 ? hash.digest('hex') : createHash('sha256').digest('hex');
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Passes bytes through while hashing them, to check a download against its name. */
class HashingPassThrough extends Transform {
  readonly hash = createHash('sha256');
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    callback(null, chunk);
  }
}

export class Archive {
  readonly catalog: Catalog;
  readonly blobs: BlobStore;
  private readonly maxBlobBytes: number | undefined;
  private readonly roleTemplates: RoleTemplates;

  constructor(options: ArchiveOptions) {
    this.catalog = options.catalog;
    this.blobs = options.blobs;
    this.maxBlobBytes = options.maxBlobBytes;
    this.roleTemplates = options.roleTemplates ?? DEFAULT_ROLE_TEMPLATES;
  }

  /**
   * Archives a signed sheet: a new sheet, or the next revision of the sheet with the same
   * dossier, kind, sheet number and parcels (then it must extend the stored file byte for byte
   * and add signatures).
   *
   * @throws MapsignError `ARCHIVE_METADATA_INVALID`, `ARCHIVE_NOT_SIGNED`, `ARCHIVE_DUPLICATE`,
   *   `ARCHIVE_REVISION_CONFLICT`, `ARCHIVE_TOO_LARGE`, `DISK_FULL`, the reader's `PDF_*` codes;
   *   nothing stays visible after any of them.
   */
  async add(options: AddSheetOptions): Promise<AddSheetResult> {
    const metadata = validateSheetMetadata(options.metadata);
    const givenCode = options.publicCode === undefined ? undefined : normalizePublicCode(options.publicCode);
    if (givenCode === null) throw new MapsignError('USAGE_INVALID', `${JSON.stringify(options.publicCode)} is not a public code (26 base32 characters)`);
    for (const event of options.history ?? []) {
      if (event.kind !== 'received' && event.kind !== 'signed') throw new MapsignError('USAGE_INVALID', `the history of an archived file holds received and signed entries, not ${event.kind}`);
    }
    const actor = options.actor ?? DEFAULT_ACTOR;
    const owner = intentOwner(randomBytes(6).toString('hex'));
    // Open a path before anything else: a missing file fails here, not as an unheard stream error.
    const source =
      typeof options.file === 'string'
        ? (
            await open(options.file, 'r').catch((error: unknown) => {
              throw fromSystemError(error, options.file as string);
            })
          ).createReadStream({ highWaterMark: 1 << 20 })
        : options.file;
    let staged: Staged | undefined;
    const putOptions: PutBlobOptions = {
      maxBytes: this.maxBlobBytes,
      beforeCommit: async (blob) => {
        staged = await this.stage(blob, metadata, options.readSignatures, options.addedSignatureRole);
        await this.catalog.addIntent({ sha256: blob.sha256, owner, createdAt: Date.now() });
      },
    };
    const isAdoptable = typeof options.file === 'string' && options.sha256 !== undefined && this.blobs.adopt !== undefined;
    if (isAdoptable) source.destroy();
    const put = await (isAdoptable ? this.blobs.adopt!(options.file as string, { ...putOptions, sha256: options.sha256! }) : this.blobs.put(source, putOptions))
      .catch(async (error: unknown) => {
        source.destroy();
        // The blob never became visible; an intent recorded for it goes too.
        if (staged) await this.catalog.removeIntent(staged.sha256, owner).catch(() => undefined);
        throw error;
      });
    if (!staged) throw new MapsignError('INTERNAL_ERROR', 'the blob store committed without staging');
    const { previous, signatures } = staged;
    const changedFields = previous ? diffMetadata(previous.metadata, metadata) : [];
    const events: AuditEvent[] = [
      ...(options.history ?? []).map((event) => ({ ...event, sheetId: null })),
      { kind: 'archived', sha256: put.sha256, actor, details: { revision: (previous?.revision ?? 0) + 1, size: put.size, signatures: signatures.length } },
    ];
    if (changedFields.length > 0) events.push({ kind: 'metadata-changed', sha256: put.sha256, actor, details: { fields: changedFields } });
    const input: CommitSheetInput = {
      extends: previous ? { sheetId: previous.id, revision: previous.revision } : null,
      metadata,
      publicCode: previous?.publicCode ?? givenCode ?? newPublicCode(),
      sha256: put.sha256,
      size: put.size,
      signatures,
      archivedAt: Date.now(),
      events,
      intent: { sha256: put.sha256, owner },
      ...(options.verification ? { verification: { isValid: options.verification.isValid, report: options.verification.report, actor: options.verification.actor ?? DEFAULT_ACTOR } } : {}),
    };
    try {
      const [result] = await this.catalog.commitSheets([input]);
      return {
        sheetId: result!.sheetId,
        revision: result!.revision,
        publicCode: input.publicCode!,
        sha256: put.sha256,
        size: put.size,
        isNewSheet: previous === null,
        signatures: signatures.map(toSignatureRecord),
        changedFields,
      };
    } catch (error) {
      await this.rollBack(put.sha256, owner, put.isNew);
      throw error;
    }
  }

  /** Checks a staged file: not archived yet, signed, and (for a known sheet) its next revision. */
  private async stage(blob: StagedBlob, metadata: SheetMetadata, readSignatures: ReadSignatureFacts, addedSignatureRole: string | undefined): Promise<Staged> {
    const existing = await this.catalog.findRevision(blob.sha256);
    if (existing) {
      throw new MapsignError('ARCHIVE_DUPLICATE', `this file is already archived as sheet ${existing.sheetId} revision ${existing.revision}`, {
        details: { sha256: blob.sha256, sheetId: existing.sheetId, revision: existing.revision },
      });
    }
    const facts = await readSignatures(blob.path);
    if (facts.length === 0) throw new MapsignError('ARCHIVE_NOT_SIGNED', 'the file is a PDF without any signature; only signed sheets are archived');
    let signatures = toSignatureInputs(facts, metadata.procedureCode, this.roleTemplates);
    const previous = await this.catalog.findSheetByKey(sheetKeyOf(metadata));
    if (previous) {
      await this.assertExtends(previous, blob.path, blob.size, signatures.length);
      const earlier = new Map((await this.getSheet(previous.id)).signatures.map((s) => [s.fieldName, s.role]));
      signatures = signatures.map((s) => (earlier.has(s.fieldName) ? { ...s, role: earlier.get(s.fieldName) ?? null } : s));
    }
    if (addedSignatureRole !== undefined) {
      signatures = signatures.map((s, i) => (i === signatures.length - 1 ? { ...s, role: addedSignatureRole } : s));
    }
    return { previous, signatures, sha256: blob.sha256 };
  }

  private async assertExtends(previous: ExistingSheet, path: string, size: number, signatureCount: number): Promise<void> {
    const conflict = (reason: string): MapsignError =>
      new MapsignError('ARCHIVE_REVISION_CONFLICT', `sheet ${previous.id} is at revision ${previous.revision}; ${reason}`, {
        details: { sheetId: previous.id, revision: previous.revision },
      });
    if (signatureCount <= previous.signatureCount) throw conflict(`this file has ${signatureCount} signatures, the stored one ${previous.signatureCount}: a new revision adds signatures`);
    if (size <= previous.size || (await hashPrefix(path, previous.size)) !== previous.sha256) {
      throw conflict('this file does not start with the stored revision: it is not an incremental update of it');
    }
  }

  private async rollBack(sha256: string, owner: string, isNewBlob: boolean): Promise<void> {
    try {
      if (isNewBlob && (await this.catalog.findRevision(sha256)) === null) {
        const others = (await this.catalog.listIntents()).filter((i) => i.sha256 === sha256 && i.owner !== owner);
        if (others.length === 0) await this.blobs.delete(sha256);
      }
      await this.catalog.removeIntent(sha256, owner);
    } catch {
      // The intent stays; recovery rolls it back once this process is gone.
    }
  }

  /**
   * The sheet whose public code this is (the QR code's target). A sheet id is not a public code:
   * the public lookup never answers by id, so the archive cannot be listed through it.
   *
   * @throws MapsignError `ARCHIVE_NOT_FOUND`
   */
  async getSheetByPublicCode(code: string): Promise<SheetDetail> {
    const normalized = normalizePublicCode(code);
    const id = normalized === null ? null : await this.catalog.findSheetIdByPublicCode(normalized);
    const sheet = id === null ? null : await this.catalog.getSheet(id);
    if (!sheet) throw new MapsignError('ARCHIVE_NOT_FOUND', 'no archived sheet has this public code', { details: { code } });
    return sheet;
  }

  /**
   * The public code of the archived sheet that a file with these metadata would extend, or null
   * when it would be a new sheet.
   */
  async findPublicCode(metadata: SheetMetadata): Promise<string | null> {
    return (await this.catalog.findSheetByKey(sheetKeyOf(validateSheetMetadata(metadata))))?.publicCode ?? null;
  }

  /** @throws MapsignError `ARCHIVE_NOT_FOUND` */
  async getSheet(id: number): Promise<SheetDetail> {
    const sheet = await this.catalog.getSheet(id);
    if (!sheet) throw new MapsignError('ARCHIVE_NOT_FOUND', `no sheet ${id} in the archive`, { details: { sheetId: id } });
    return sheet;
  }

  /**
   * Opens a stored file by sheet id (latest or given revision) or by its SHA-256.
   *
   * @throws MapsignError `ARCHIVE_NOT_FOUND`, `ARCHIVE_CORRUPT` when the catalog names a blob that is gone.
   */
  async openFile(reference: string | number, options: OpenFileOptions = {}): Promise<OpenFileResult> {
    const target = await this.resolveReference(reference, options.revision);
    if ((await this.blobs.stat(target.sha256)) === null) {
      throw new MapsignError('ARCHIVE_CORRUPT', `sheet ${target.sheetId} revision ${target.revision}: its file ${target.sha256} is missing from the blob store`, {
        details: { sheetId: target.sheetId, revision: target.revision, sha256: target.sha256 },
      });
    }
    const stream = await this.blobs.get(target.sha256, options.range);
    if (options.actor) {
      await this.catalog.appendAudit([{ kind: 'downloaded', sheetId: target.sheetId, sha256: target.sha256, actor: options.actor, details: { revision: target.revision } }], Date.now());
    }
    return { stream, ...target };
  }

  private async resolveReference(reference: string | number, revision: number | undefined): Promise<Omit<OpenFileResult, 'stream'>> {
    const text = String(reference).trim().toLowerCase();
    if (isSha256Hex(text)) {
      const found = await this.catalog.findRevision(text);
      if (!found) throw new MapsignError('ARCHIVE_NOT_FOUND', `no archived file with SHA-256 ${text}`, { details: { sha256: text } });
      return found;
    }
    if (!/^[1-9]\d{0,15}$/.test(text)) throw new MapsignError('USAGE_INVALID', `a sheet is named by its id (a number) or a file SHA-256, not ${JSON.stringify(String(reference))}`);
    const sheet = await this.getSheet(Number(text));
    const wanted = sheet.revisions.find((r) => r.revision === (revision ?? sheet.revision));
    if (!wanted) throw new MapsignError('ARCHIVE_NOT_FOUND', `sheet ${sheet.id} has no revision ${revision}`, { details: { sheetId: sheet.id, revision: revision ?? null } });
    return { sheetId: sheet.id, revision: wanted.revision, sha256: wanted.sha256, size: wanted.size };
  }

  /**
   * Writes a stored file to `output` (temporary file, hash checked on the way, fsync, rename)
   * and logs the download.
   *
   * @throws MapsignError `OUTPUT_EXISTS`, `ARCHIVE_NOT_FOUND`, `ARCHIVE_CORRUPT` when the bytes no longer match their hash.
   */
  async saveFile(reference: string | number, output: string, options: SaveFileOptions = {}): Promise<Omit<OpenFileResult, 'stream'> & { output: string }> {
    const target = resolve(output);
    const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
    if (!options.overwrite && (await isFile(target))) {
      throw new MapsignError('OUTPUT_EXISTS', `${output} exists; choose another output or allow overwriting`, { details: { path: output } });
    }
    const file = await this.openFile(reference, { revision: options.revision });
    let isDone = false;
    try {
      const handle = await open(temp, 'wx', 0o644).catch((error: unknown) => {
        throw fromSystemError(error, temp);
      });
      const hasher = new HashingPassThrough();
      try {
        await pipeline(file.stream, hasher, createFileSink(handle, true));
      } finally {
        await handle.close().catch(() => undefined);
      }
      const actual = hasher.hash.digest('hex');
      if (actual !== file.sha256) {
        throw new MapsignError('ARCHIVE_CORRUPT', `the stored file ${file.sha256} now hashes to ${actual}: the blob is damaged`, { details: { sha256: file.sha256, actual } });
      }
      await rename(temp, target).catch((error: unknown) => {
        throw fromSystemError(error, target);
      });
      isDone = true;
      if (options.actor) {
        await this.catalog.appendAudit([{ kind: 'downloaded', sheetId: file.sheetId, sha256: file.sha256, actor: options.actor, details: { revision: file.revision } }], Date.now());
      }
      const { stream: _stream, ...rest } = file;
      return { ...rest, output: target };
    } finally {
      if (!isDone) await rm(temp, { force: true }).catch(() => undefined);
    }
  }

  /** Searches the catalog; see docs/archive.md for the semantics. @throws MapsignError `USAGE_INVALID` */
  async search(query: SearchQuery): Promise<SearchResult> {
    const plan = planSearch(query);
    return finishPage(plan, await this.catalog.search(plan));
  }

  /** Replaces a sheet's metadata; returns the changed fields (none: nothing is written). */
  async updateMetadata(id: number, metadata: unknown, actor = DEFAULT_ACTOR): Promise<string[]> {
    const next: SheetMetadata = validateSheetMetadata(metadata);
    const sheet = await this.getSheet(id);
    const fields = diffMetadata(sheet.metadata, next);
    if (fields.length === 0) return [];
    await this.catalog.updateMetadata(id, next, { kind: 'metadata-changed', sheetId: id, actor, details: { fields } }, Date.now());
    return fields;
  }

  /** Stores a verification report and sets the sheet's status to `verified` or `invalid`. */
  async recordVerification(id: number, options: RecordVerificationOptions): Promise<void> {
    const sheet = await this.getSheet(id);
    const revision = options.revision ?? sheet.revision;
    const stored = sheet.revisions.find((r) => r.revision === revision);
    if (!stored) throw new MapsignError('ARCHIVE_NOT_FOUND', `sheet ${id} has no revision ${revision}`, { details: { sheetId: id, revision } });
    const event: AuditEvent = { kind: 'verified', sheetId: id, sha256: stored.sha256, actor: options.actor ?? DEFAULT_ACTOR, details: { revision, isValid: options.isValid } };
    await this.catalog.recordVerification(id, revision, options.isValid, options.report, event, Date.now());
  }

  /** Appends events (received, signed, …) written by other parts of the service. */
  appendAudit(events: readonly AuditEvent[]): Promise<AuditEntry[]> {
    return this.catalog.appendAudit(events, Date.now());
  }

  /** Walks the whole audit chain; `isIntact` is false when any entry was edited, removed or reordered. */
  async verifyAudit(): Promise<AuditVerifyResult> {
    const head = await this.catalog.auditHead();
    const catalog = this.catalog;
    async function* entries(): AsyncIterable<AuditEntry> {
      let after = 0;
      for (;;) {
        const page = await catalog.readAudit(after, AUDIT_PAGE);
        yield* page;
        if (page.length < AUDIT_PAGE) return;
        after = page[page.length - 1]!.seq;
      }
    }
    return verifyAuditChain(entries(), head);
  }

  /** Compares the catalog with the blob store; see {@link ArchiveCheckResult}. */
  check(options: ArchiveCheckOptions = {}): Promise<ArchiveCheckResult> {
    return checkArchive(this.catalog, this.blobs, options);
  }

  /** Rolls back ingests whose process is gone and removes their temporary files. */
  recover(): Promise<RecoveryResult> {
    return recoverArchive(this.catalog, this.blobs);
  }

  close(): Promise<void> {
    return this.catalog.close();
  }
}
