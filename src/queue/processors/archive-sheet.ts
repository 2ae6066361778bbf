// Processor of `archive-sheet`: archives the file of one signing step (a new sheet, or the next
// revision of the sheet) and stores its verification report. Archiving twice is impossible: a
// step already recorded returns at once, and a file the archive already holds is taken as
// archived (ARCHIVE_DUPLICATE names its sheet and revision).

import { isMapsignError, MapsignError } from '../../errors.js';
import type { ArchiveSheetPayload } from '../jobs/index.js';
import { notifyFlow } from '../flow-plan.js';
import { isRequestTerminal, type SheetRecordState, type SheetState, type SignRequestRecord } from '../types.js';
import type { AuditEvent } from '../../archive/index.js';
import type { JobContext, JobResult, ProcessorDeps } from './deps.js';
import { loadSheet, restoreInput } from './sheet-context.js';

/** The audit entries of how this step's file came to be: the upload (first step only) and the signing. */
function historyOf(request: SignRequestRecord, sheet: SheetRecordState, step: number): AuditEvent[] {
  const done = sheet.history[step]!;
  const input = step === 0 ? { sha256: sheet.sourceSha256, size: sheet.sourceSize } : { sha256: sheet.history[step - 1]!.sha256, size: sheet.history[step - 1]!.size };
  const events: AuditEvent[] = [];
  if (step === 0 && sheet.part !== null) {
    events.push({ kind: 'received', sha256: input.sha256, actor: `system:${request.owner}`, details: { requestId: request.id, part: sheet.part, size: input.size, receivedAt: new Date(request.createdAt).toISOString() } });
  }
  const actor = done.signer.kind === 'server' ? `signer:${done.signer.name}` : `staff:${done.signer.account}`;
  events.push({ kind: 'signed', sha256: done.sha256, actor, details: { requestId: request.id, step, role: done.role, signerName: done.signerName, signedAt: done.signedAt, inputSha256: input.sha256 } });
  return events;
}

export async function processArchiveSheet(payload: ArchiveSheetPayload, context: JobContext, deps: ProcessorDeps): Promise<JobResult> {
  const started = Date.now();
  const { request, sheet } = await loadSheet(deps.store, payload.requestId, payload.sheet);
  if (sheet.state === 'failed') return { skipped: 'sheet-failed' };
  const done = sheet.history[payload.step];
  if (sheet.archivedStep > payload.step) return { skipped: 'already-archived', sheetId: done?.archiveSheetId ?? null, revision: done?.archiveRevision ?? null };
  if (!done || sheet.step <= payload.step || sheet.archivedStep < payload.step) {
    throw new MapsignError('JOB_OUT_OF_ORDER', `sheet ${payload.sheet} of request ${request.id}: step ${payload.step} is not signed yet`, { details: { step: sheet.step } });
  }
  const path = await restoreInput(deps, done.sha256);
  // Verified before it is archived, so that the report goes in the archive's own commit. A report
  // that cannot be made now can be made on demand (GET /v1/sheets/:id/verification).
  let verification: { isValid: boolean; report: unknown; actor: string } | undefined;
  if (deps.verifyFile) {
    try {
      verification = { ...(await deps.verifyFile(path)), actor: 'mapsign-service' };
    } catch (error) {
      deps.logger.warn({ requestId: request.id, sheet: sheet.index, step: payload.step, err: String(error) }, 'verification of the sheet before archiving failed');
    }
  }
  let target: { sheetId: number; revision: number };
  try {
    const added = await deps.archive.add({
      file: path,
      sha256: done.sha256,
      metadata: sheet.metadata,
      readSignatures: deps.readSignatures,
      actor: `system:${request.owner}`,
      history: historyOf(request, sheet, payload.step),
      publicCode: sheet.publicCode || undefined,
      addedSignatureRole: done.role,
      ...(verification ? { verification } : {}),
    });
    target = { sheetId: added.sheetId, revision: added.revision };
  } catch (error) {
    // Archived by an earlier run that died before recording it here (with its report, if it made one).
    if (!isMapsignError(error, 'ARCHIVE_DUPLICATE')) throw error;
    const sheetId = error.details['sheetId'];
    const revision = error.details['revision'];
    if (typeof sheetId !== 'number' || typeof revision !== 'number') throw error;
    target = { sheetId, revision };
  }
  const nextStep = payload.step + 1;
  const nextSpec = request.signatures[nextStep];
  const next: { state: SheetState; role: string | null } = !nextSpec ? { state: 'done', role: null } : nextSpec.signer === null ? { state: 'waiting-signature', role: nextSpec.role } : { state: 'queued', role: null };
  // The grant first: the durable record of the step then carries it to disk with it.
  await deps.store.grantSheetAccess(request.owner, target.sheetId);
  await deps.store.recordArchived(request.id, sheet.index, payload.step, target, next);
  const after = await deps.store.get(request.id);
  // The last sheet finished: notify, unless the notification is this flow's parent and runs next
  // anyway (adding it again would change nothing but cost a trip to the queue).
  if (after && isRequestTerminal(after) && after.callbackUrl !== null && after.notifiedAt === null && context.parentKind !== 'notify') {
    await deps.addFlow(notifyFlow(after.id, []));
  }
  deps.logger.info({ requestId: request.id, sheet: sheet.index, step: payload.step, sheetId: target.sheetId, revision: target.revision, jobId: context.jobId }, 'sheet archived');
  return { sheetId: target.sheetId, revision: target.revision, durationMs: Date.now() - started };
}
