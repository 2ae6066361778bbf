// Plans the jobs of a request from its stored state: per sheet, the chain of steps it can run
// now (sign k → archive k → sign k+1 …) up to a signature that waits for a staff member; the
// notification as the parent of every chain when all of them run to the end. Pure: the same
// state gives the same job ids, so re-planning after a crash adds nothing that exists.

import type { FlowJob } from './adapter.js';
import { archiveSheetJob, notifyJob, signSheetJob } from './jobs/index.js';
import { isRequestTerminal, isSheetTerminal, type SheetRecordState, type SignerRef, type SignRequestRecord } from './types.js';

export interface PlannedSegment {
  sheet: number;
  root: FlowJob;
  /** Whether the chain ends with the sheet's last signature archived. */
  isToEnd: boolean;
}

/** The server-side signer of step `step`, or the staff signer given for it. */
function signerFor(request: SignRequestRecord, step: number, staff: SignerRef | undefined): SignerRef | null {
  const spec = request.signatures[step];
  if (!spec) return null;
  if (spec.signer !== null) return { kind: 'server', name: spec.signer };
  return staff ?? null;
}

/**
 * The chain a sheet can run now, or null. `staffSigner` is the key of the staff member who took
 * the waiting signature (POST /v1/tasks/sign).
 */
export function planSheetSegment(request: SignRequestRecord, sheet: SheetRecordState, staffSigner?: SignerRef): PlannedSegment | null {
  if (isSheetTerminal(sheet)) return null;
  if (sheet.state === 'waiting-signature' && !staffSigner) return null;
  const total = request.signatures.length;
  const order: FlowJob[] = [];
  const node = (kind: FlowJob['kind'], id: string, data: Record<string, unknown>): FlowJob => ({ kind, id, data, children: [], onFailure: 'fail-parent' });
  let step = sheet.step;
  if (sheet.archivedStep < sheet.step) {
    // Signed but not archived yet: a crash between the two.
    const payload = { requestId: request.id, sheet: sheet.index, step: sheet.step - 1 };
    order.push(node('archive-sheet', archiveSheetJob.jobId(payload), archiveSheetJob.encode(payload)));
  }
  let staff = staffSigner;
  while (step < total) {
    const signer = signerFor(request, step, staff);
    if (!signer) break;
    staff = undefined;
    const sign = { requestId: request.id, sheet: sheet.index, step, signer };
    order.push(node('sign-sheet', signSheetJob.jobId(sign), signSheetJob.encode(sign)));
    const archive = { requestId: request.id, sheet: sheet.index, step };
    order.push(node('archive-sheet', archiveSheetJob.jobId(archive), archiveSheetJob.encode(archive)));
    step++;
  }
  if (order.length === 0) return null;
  // The last job is the root; each job is the single child of the next.
  for (let i = order.length - 1; i > 0; i--) order[i]!.children = [order[i - 1]!];
  return { sheet: sheet.index, root: order[order.length - 1]!, isToEnd: step >= total };
}

export function notifyFlow(requestId: string, children: FlowJob[]): FlowJob {
  const payload = { requestId };
  return { kind: 'notify', id: notifyJob.jobId(payload), data: notifyJob.encode(payload), children: children.map((c) => ({ ...c, onFailure: 'ignore' })), onFailure: 'ignore' };
}

/**
 * Every flow to add for a request as it is stored: one flow with the notification on top when
 * all open sheets can run to the end; otherwise one flow per sheet (the last archive job then
 * adds the notification). A finished request that was not notified gets its notification alone.
 */
export function planRequestFlows(request: SignRequestRecord): FlowJob[] {
  const segments = request.sheets.map((sheet) => planSheetSegment(request, sheet)).filter((s): s is PlannedSegment => s !== null);
  const hasWaiting = request.sheets.some((s) => s.state === 'waiting-signature');
  if (segments.length === 0) {
    return isRequestTerminal(request) && request.notifiedAt === null && request.callbackUrl !== null ? [notifyFlow(request.id, [])] : [];
  }
  if (!hasWaiting && segments.every((s) => s.isToEnd) && request.callbackUrl !== null) {
    return [notifyFlow(request.id, segments.map((s) => s.root))];
  }
  return segments.map((s) => s.root);
}
