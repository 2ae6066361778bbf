// The public view of a signing request: what GET /v1/sign-requests/:id answers and what the
// webhook carries. Times are ISO 8601; errors carry their stable code.

import { requestStateOf, type RequestState, type SheetState, type SignRequestRecord } from './types.js';
import type { WireError } from './wire-error.js';

export interface SheetView {
  index: number;
  part: string | null;
  /** The archived sheet this request continued, when it referenced one. */
  sourceSheetId: number | null;
  status: SheetState;
  signaturesDone: number;
  signaturesTotal: number;
  /** 0 to 1 over all of the sheet's signatures. */
  progress: number;
  /** Role whose staff signature the sheet waits for. */
  waitingForRole: string | null;
  /** Archive id, revision and file of the latest archived step. */
  sheetId: number | null;
  revision: number | null;
  sha256: string | null;
  size: number | null;
  fileUrl: string | null;
  /** The sheet's public code: its QR code and `/v/<code>` verification page (null for requests made before codes). */
  publicCode: string | null;
  signatures: Array<{ role: string; signerName: string | null; signedAt: string; revision: number | null }>;
  error: WireError | null;
}

export interface SignRequestView {
  id: string;
  status: RequestState;
  createdAt: string;
  updatedAt: string;
  progress: number;
  signatures: Array<{ role: string; signer: string | null }>;
  callbackUrl: string | null;
  sheets: SheetView[];
  notification: { attempts: number; deliveredAt: string | null; lastStatus: number | null; lastError: string | null } | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function toSignRequestView(request: SignRequestRecord): SignRequestView {
  const total = request.signatures.length;
  const sheets: SheetView[] = request.sheets.map((sheet) => {
    const archived = sheet.history.filter((h) => h.archiveRevision !== null);
    const latest = archived[archived.length - 1];
    const running = sheet.state === 'signing' ? sheet.progress : 0;
    const progress = sheet.state === 'done' ? 1 : total === 0 ? 0 : Math.min(1, (sheet.archivedStep + running) / total);
    return {
      index: sheet.index,
      part: sheet.part,
      sourceSheetId: sheet.sourceSheetId,
      status: sheet.state,
      signaturesDone: sheet.step,
      signaturesTotal: total,
      progress: Math.round(progress * 1000) / 1000,
      waitingForRole: sheet.state === 'waiting-signature' ? (request.signatures[sheet.step]?.role ?? null) : null,
      sheetId: latest?.archiveSheetId ?? null,
      revision: latest?.archiveRevision ?? null,
      sha256: latest?.sha256 ?? null,
      size: latest?.size ?? null,
      fileUrl: latest?.archiveSheetId ? `/v1/sheets/${latest.archiveSheetId}/file?revision=${latest.archiveRevision}` : null,
      publicCode: sheet.publicCode || null,
      signatures: sheet.history.map((h) => ({ role: h.role, signerName: h.signerName, signedAt: h.signedAt, revision: h.archiveRevision })),
      error: sheet.error,
    };
  });
  const lastDelivery = request.deliveries[request.deliveries.length - 1];
  return {
    id: request.id,
    status: requestStateOf(request),
    createdAt: iso(request.createdAt),
    updatedAt: iso(request.updatedAt),
    progress: sheets.length === 0 ? 0 : Math.round((sheets.reduce((sum, s) => sum + (s.status === 'failed' ? 1 : s.progress), 0) / sheets.length) * 1000) / 1000,
    signatures: request.signatures.map((s) => ({ role: s.role, signer: s.signer })),
    callbackUrl: request.callbackUrl,
    sheets,
    notification:
      request.callbackUrl === null
        ? null
        : {
            attempts: request.deliveries.length,
            deliveredAt: request.notifiedAt === null ? null : iso(request.notifiedAt),
            lastStatus: lastDelivery?.status ?? null,
            lastError: lastDelivery?.error ?? null,
          },
  };
}
