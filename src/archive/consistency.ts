// Keeps the catalog and the blob store in agreement: recovery of interrupted ingests on start,
// and the check that walks both (sorted by hash, merged) and names every disagreement.

import { hostname } from 'node:os';
import type { BlobInfo, BlobStore } from './blob-store.js';
import type { Catalog, IngestIntent, RevisionBlob } from './catalog.js';

export type ArchiveProblemKind = 'missing-blob' | 'size-mismatch' | 'hash-mismatch' | 'orphan-blob' | 'interrupted-ingest' | 'stale-temporary' | 'catalog';

export interface ArchiveProblem {
  kind: ArchiveProblemKind;
  message: string;
  sha256?: string;
  sheetId?: number;
  revision?: number;
}

export interface ArchiveCheckOptions {
  /** Re-read and hash every blob (slow: reads the whole store). */
  deep?: boolean;
  /** Roll back interrupted ingests and remove stale temporary files first. */
  repair?: boolean;
}

export interface ArchiveCheckResult {
  isConsistent: boolean;
  revisions: number;
  blobs: number;
  /** Ingests running now (their blob may be visible before their rows). */
  inFlight: number;
  problems: ArchiveProblem[];
  /** What `repair` did. */
  repaired: RecoveryResult | null;
}

export interface RecoveryResult {
  temporaryFilesRemoved: number;
  ingestsRolledBack: number;
  blobsRemoved: number;
}

const STALE_INTENT_MS = 24 * 60 * 60 * 1000;
const PAGE = 5000;
const MAX_PROBLEMS = 1000;

/** A new owner name for one ingest: `<host>~<pid>~<random>`. */
export function intentOwner(random: string): string {
  return `${hostname()}~${process.pid}~${random}`;
}

/** Whether the ingest that wrote an intent can still finish it. */
export function isIntentLive(intent: IngestIntent, now = Date.now()): boolean {
  if (now - intent.createdAt > STALE_INTENT_MS) return false;
  const [host, pid] = intent.owner.split('~');
  if (host !== hostname()) return true;
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temporary files of writers that are gone and rolls back ingests that will never
 * finish: their blob is removed unless a revision or a live ingest uses it.
 */
export async function recoverArchive(catalog: Catalog, blobs: BlobStore): Promise<RecoveryResult> {
  const temporaryFilesRemoved = await blobs.removeStaleTemporary();
  const intents = await catalog.listIntents();
  let ingestsRolledBack = 0;
  let blobsRemoved = 0;
  for (const intent of intents) {
    if (isIntentLive(intent)) continue;
    const isUsed = (await catalog.findRevision(intent.sha256)) !== null || intents.some((other) => other !== intent && other.sha256 === intent.sha256 && isIntentLive(other));
    if (!isUsed && (await blobs.delete(intent.sha256))) blobsRemoved++;
    await catalog.removeIntent(intent.sha256, intent.owner);
    ingestsRolledBack++;
  }
  return { temporaryFilesRemoved, ingestsRolledBack, blobsRemoved };
}

async function* revisionsByHash(catalog: Catalog): AsyncIterable<RevisionBlob> {
  let after = '';
  for (;;) {
    const page = await catalog.listRevisionBlobs(after, PAGE);
    yield* page;
    if (page.length < PAGE) return;
    after = page[page.length - 1]!.sha256;
  }
}

async function next<T>(iterator: AsyncIterator<T>): Promise<T | null> {
  const step = await iterator.next();
  return step.done ? null : step.value;
}

/** Walks the revisions and the blobs in hash order and reports every disagreement. */
export async function checkArchive(catalog: Catalog, blobs: BlobStore, options: ArchiveCheckOptions = {}): Promise<ArchiveCheckResult> {
  const repaired = options.repair ? await recoverArchive(catalog, blobs) : null;
  const problems: ArchiveProblem[] = [];
  const report = (problem: ArchiveProblem): void => {
    if (problems.length < MAX_PROBLEMS) problems.push(problem);
  };
  for (const message of await catalog.checkIntegrity()) report({ kind: 'catalog', message });

  const intents = await catalog.listIntents();
  const liveHashes = new Set(intents.filter((i) => isIntentLive(i)).map((i) => i.sha256));
  // A blob of an interrupted ingest is reported once, as that ingest, not again as an orphan.
  const intentHashes = new Set(intents.map((i) => i.sha256));
  for (const intent of intents) {
    if (isIntentLive(intent)) continue;
    report({
      kind: 'interrupted-ingest',
      sha256: intent.sha256,
      message: `ingest of ${intent.sha256} by ${intent.owner} never finished; its blob may be visible without catalog rows (the next start, or --repair, rolls it back)`,
    });
  }
  for (const file of await blobs.listTemporary()) {
    if (file.isStale) report({ kind: 'stale-temporary', message: `temporary file ${file.name} (${file.size} bytes) was left by a writer that is gone` });
  }

  const revisionIterator = revisionsByHash(catalog)[Symbol.asyncIterator]();
  const blobIterator = blobs.list()[Symbol.asyncIterator]();
  let revision = await next(revisionIterator);
  let blob: BlobInfo | null = await next(blobIterator);
  let revisionCount = 0;
  let blobCount = 0;
  while (revision !== null || blob !== null) {
    if (blob === null || (revision !== null && revision.sha256 < blob.sha256)) {
      const r = revision!;
      revisionCount++;
      report({ kind: 'missing-blob', sha256: r.sha256, sheetId: r.sheetId, revision: r.revision, message: `sheet ${r.sheetId} revision ${r.revision}: its file ${r.sha256} is missing from the blob store` });
      revision = await next(revisionIterator);
    } else if (revision === null || blob.sha256 < revision.sha256) {
      blobCount++;
      if (!intentHashes.has(blob.sha256)) report({ kind: 'orphan-blob', sha256: blob.sha256, message: `blob ${blob.sha256} (${blob.size} bytes) belongs to no revision in the catalog` });
      blob = await next(blobIterator);
    } else {
      revisionCount++;
      blobCount++;
      if (revision.size !== blob.size) {
        report({ kind: 'size-mismatch', sha256: blob.sha256, sheetId: revision.sheetId, revision: revision.revision, message: `sheet ${revision.sheetId} revision ${revision.revision}: the catalog says ${revision.size} bytes, the blob has ${blob.size}` });
      } else if (options.deep && (await blobs.rehash(blob.sha256)) !== blob.sha256) {
        report({ kind: 'hash-mismatch', sha256: blob.sha256, sheetId: revision.sheetId, revision: revision.revision, message: `sheet ${revision.sheetId} revision ${revision.revision}: the stored bytes no longer hash to ${blob.sha256}` });
      }
      revision = await next(revisionIterator);
      blob = await next(blobIterator);
    }
  }
  return { isConsistent: problems.length === 0, revisions: revisionCount, blobs: blobCount, inFlight: liveHashes.size, problems, repaired };
}
