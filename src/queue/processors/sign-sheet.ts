// Processor of `sign-sheet`: one role's signature on one sheet, as an incremental update. Before
// signing it checks the request's record and the archive (a step already recorded is never
// signed again; a sheet whose archived revision moved on is refused), writes the output under
// its hash, and records the step by compare-and-set, so a crash anywhere leaves exactly one
// recorded signature per role.

import { MapsignError } from '../../errors.js';
import type { SignPdfOptions } from '../../signing/index.js';
import type { SignSheetPayload } from '../jobs/index.js';
import { buildServiceStamp, verificationUrlOf, type StampSpec } from '../stamp-spec.js';
import type { SheetRecordState, SignerRef } from '../types.js';
import type { JobContext, JobResult, ProcessorDeps } from './deps.js';
import { loadSheet, restoreInput } from './sheet-context.js';

const PROGRESS_EVERY_MS = 1000;

/**
 * The stamp of this signature: the template's lines, the signer's images, and a QR code of the
 * sheet's verification URL. A sheet not archived yet may still continue an archived one (a file
 * uploaded as the next revision of a sheet): its code is the archived sheet's then.
 */
async function stampOf(spec: StampSpec, sheet: SheetRecordState, signer: SignerRef, deps: ProcessorDeps): Promise<NonNullable<SignPdfOptions['stamp']>> {
  if (!deps.stampTemplates) throw new MapsignError('CONFIG_INVALID', 'a signature asks for a visible stamp but this worker has no stamp templates');
  let verificationUrl: string | null = null;
  if (spec.qr) {
    if (!deps.publicUrl) throw new MapsignError('CONFIG_INVALID', 'a stamp asks for a QR code but MAPSIGN_PUBLIC_URL is not set for this worker');
    const code = (sheet.archiveSheetId === null ? await deps.archive.findPublicCode(sheet.metadata) : null) ?? sheet.publicCode;
    if (!code) throw new MapsignError('CONFIG_INVALID', `sheet ${sheet.index} has no public code for its QR code (a request made before public codes)`);
    verificationUrl = verificationUrlOf(deps.publicUrl, code);
  }
  const images = deps.stampImages ? await deps.stampImages(signer) : {};
  return buildServiceStamp({ spec, templates: deps.stampTemplates, images, dossierCode: sheet.metadata.dossierCode, verificationUrl });
}

export async function processSignSheet(payload: SignSheetPayload, context: JobContext, deps: ProcessorDeps): Promise<JobResult> {
  const started = Date.now();
  const { request, sheet } = await loadSheet(deps.store, payload.requestId, payload.sheet);
  const spec = request.signatures[payload.step];
  if (!spec) throw new MapsignError('JOB_PAYLOAD_INVALID', `request ${request.id} has no signature ${payload.step}`);
  if (sheet.state === 'failed') return { skipped: 'sheet-failed' };
  if (sheet.step > payload.step) {
    // Recorded by an earlier run of this job (a crash after recording): nothing to sign.
    return { skipped: 'already-signed', sha256: sheet.history[payload.step]?.sha256 ?? null };
  }
  if (sheet.step < payload.step || sheet.archivedStep < sheet.step) {
    throw new MapsignError('JOB_OUT_OF_ORDER', `sheet ${payload.sheet} of request ${request.id} is at step ${sheet.step} (archived ${sheet.archivedStep}); step ${payload.step} must wait`, {
      details: { step: sheet.step, archivedStep: sheet.archivedStep },
    });
  }
  if (sheet.archiveSheetId !== null) {
    // The file signed must still be the sheet's latest archived revision; another request may have
    // signed the same archived sheet meanwhile.
    const archived = await deps.archive.getSheet(sheet.archiveSheetId);
    if (archived.sha256 !== sheet.currentSha256) {
      throw new MapsignError('ARCHIVE_REVISION_CONFLICT', `archived sheet ${archived.id} moved on to revision ${archived.revision}; the file of this request is not its latest revision`, {
        details: { sheetId: archived.id, revision: archived.revision },
      });
    }
  }
  const input = await restoreInput(deps, sheet.currentSha256);
  await deps.store.setSheetState(request.id, sheet.index, 'signing');
  const keySource = await deps.openKey(payload.signer);
  const stamp = spec.stamp ? await stampOf(spec.stamp, sheet, payload.signer, deps) : undefined;
  const output = deps.files.tempPath('signing');
  // The first report after a second of signing: a sheet signed sooner shows no progress, only its result.
  let lastProgress = Date.now();
  const result = await deps.sign({
    ...deps.signOptions,
    input,
    output,
    keySource,
    reason: `Vai trò: ${spec.role}`,
    ...(stamp ? { stamp } : {}),
    durable: true,
    // adopt below moves the file into the store and flushes the folder it lands in.
    syncDirectory: false,
    onProgress: (done, total) => {
      const now = Date.now();
      if (now - lastProgress < PROGRESS_EVERY_MS || total === 0) return;
      lastProgress = now;
      const fraction = done / total;
      void deps.store.setProgress(request.id, sheet.index, fraction).catch(() => undefined);
      void context.reportProgress(fraction).catch(() => undefined);
    },
  });
  // signPdf with durable has flushed the file; adopt makes its new name durable.
  const stored = await deps.files.adopt(output, result.sha256, result.size, { isSynced: true });
  const isRecorded = await deps.store.recordSigned(request.id, sheet.index, {
    step: payload.step,
    role: spec.role,
    signer: payload.signer,
    signerName: result.signer.commonName,
    signedAt: result.signingTime,
    sha256: stored.sha256,
    size: stored.size,
    archiveSheetId: null,
    archiveRevision: null,
  });
  if (!isRecorded) {
    // A concurrent run of the same step recorded its file first; ours is never used.
    const winner = (await deps.store.get(request.id))?.sheets[sheet.index]?.history[payload.step]?.sha256;
    if (winner !== stored.sha256) await deps.files.remove(stored.sha256);
    return { skipped: 'already-signed', sha256: winner ?? null };
  }
  deps.logger.info({ requestId: request.id, sheet: sheet.index, step: payload.step, role: spec.role, sha256: stored.sha256, jobId: context.jobId }, 'sheet signed');
  return { sha256: stored.sha256, size: stored.size, bytesSigned: sheet.currentSize, durationMs: Date.now() - started };
}
