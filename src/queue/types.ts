// Shapes of a signing request as the service stores it: the signatures it needs in order, and
// per sheet the signing steps done, the archive revision reached and what happens next.

import type { SheetMetadata } from '../archive/index.js';
import type { StampSpec } from './stamp-spec.js';
import type { WireError } from './wire-error.js';

/** Whose key makes a signature: a key configured on the server by name, or a staff member's own. */
export type SignerRef = { kind: 'server'; name: string } | { kind: 'staff'; account: string };

/** One signature a request needs: a role, and the server-side key that applies it (none: a staff member holding the role signs). */
export interface SignatureSpec {
  role: string;
  signer: string | null;
  /** A visible stamp for this signature (absent: an invisible signature). */
  stamp?: StampSpec;
}

export const SHEET_STATES = ['queued', 'signing', 'archiving', 'waiting-signature', 'done', 'failed'] as const;

/** `waiting-signature`: the next signature has no server-side key and waits for a staff member. */
export type SheetState = (typeof SHEET_STATES)[number];

export const REQUEST_STATES = ['processing', 'waiting-signature', 'completed', 'completed-with-errors', 'failed'] as const;

export type RequestState = (typeof REQUEST_STATES)[number];

/** One signing step done: who signed, when, and the file it produced. */
export interface StepRecord {
  step: number;
  role: string;
  signer: SignerRef;
  /** Common name of the signer certificate. */
  signerName: string | null;
  signedAt: string;
  sha256: string;
  size: number;
  /** Archive sheet id and revision once this step's file is archived. */
  archiveSheetId: number | null;
  archiveRevision: number | null;
}

export interface SheetRecordState {
  index: number;
  /** Multipart part name of the upload, or null when the sheet came from the archive. */
  part: string | null;
  /** Archive sheet the request continues, when it referenced one. */
  sourceSheetId: number | null;
  metadata: SheetMetadata;
  /**
   * Public code of the archived sheet (its QR code's target `/v/<code>`): made when the request
   * creates a new sheet, so that the stamp can print it before the sheet is archived; the archived
   * sheet's own code when the request continues one.
   */
  publicCode: string;
  sourceSha256: string;
  sourceSize: number;
  /** Signatures applied by this request so far (the next step's index). */
  step: number;
  /** Steps whose file is archived. */
  archivedStep: number;
  currentSha256: string;
  currentSize: number;
  state: SheetState;
  /** Progress of the running step, 0 to 1. */
  progress: number;
  error: WireError | null;
  history: StepRecord[];
  /** Archive id of the sheet once a step is archived. */
  archiveSheetId: number | null;
  updatedAt: number;
}

export interface DeliveryRecord {
  attempt: number;
  at: number;
  /** HTTP status of the receiver, or null when it could not be reached. */
  status: number | null;
  isDelivered: boolean;
  error: string | null;
}

export interface SignRequestRecord {
  id: string;
  /** The API key (dossier system) that made it. */
  owner: string;
  idempotencyKey: string;
  /** SHA-256 over the request JSON and every part's name and file hash: same key, other body → 409. */
  bodyHash: string;
  callbackUrl: string | null;
  signatures: SignatureSpec[];
  sheets: SheetRecordState[];
  createdAt: number;
  updatedAt: number;
  /** When its jobs were handed to the queue; null means a restart must enqueue them. */
  enqueuedAt: number | null;
  notifiedAt: number | null;
  deliveries: DeliveryRecord[];
}

export function isSheetTerminal(sheet: SheetRecordState): boolean {
  return sheet.state === 'done' || sheet.state === 'failed';
}

/** The request's state from its sheets'. */
export function requestStateOf(request: Pick<SignRequestRecord, 'sheets'>): RequestState {
  const sheets = request.sheets;
  if (sheets.every(isSheetTerminal)) {
    const failed = sheets.filter((s) => s.state === 'failed').length;
    return failed === 0 ? 'completed' : failed === sheets.length ? 'failed' : 'completed-with-errors';
  }
  const open = sheets.filter((s) => !isSheetTerminal(s));
  return open.every((s) => s.state === 'waiting-signature') ? 'waiting-signature' : 'processing';
}

export function isRequestTerminal(request: Pick<SignRequestRecord, 'sheets'>): boolean {
  return request.sheets.every(isSheetTerminal);
}
