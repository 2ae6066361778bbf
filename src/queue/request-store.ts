// The request store: signing requests, their sheets' progress through the signing steps, webhook
// deliveries and which system may read which archived sheet. One interface, two implementations:
// sqlite-request-store.ts (one machine) and postgres-request-store.ts (the distributed mode). Every
// step change is a compare-and-set on the step number, so a retried or duplicated job can never
// record a second signature for a role.

import type { SheetMetadata } from '../archive/index.js';
import type { DeliveryRecord, SheetRecordState, SheetState, SignatureSpec, SignRequestRecord, StepRecord } from './types.js';
import type { StampSpec } from './stamp-spec.js';
import type { WireError } from './wire-error.js';

export interface NewSheet {
  part: string | null;
  sourceSheetId: number | null;
  metadata: SheetMetadata;
  /** The public code the archived sheet has or will have (see SheetRecordState.publicCode); absent: a new one. */
  publicCode?: string;
  sha256: string;
  size: number;
}

export interface NewSignRequest {
  id: string;
  owner: string;
  idempotencyKey: string;
  bodyHash: string;
  callbackUrl: string | null;
  signatures: SignatureSpec[];
  sheets: NewSheet[];
  createdAt: number;
}

/** A sheet waiting for a staff member's signature. */
export interface TaskRecord {
  requestId: string;
  owner: string;
  sheet: SheetRecordState;
  role: string;
  /** Index of the signature in the request's list. */
  step: number;
  /** The visible stamp the signature asks for, or null (invisible). */
  stamp: StampSpec | null;
  createdAt: number;
}

/**
 * A waiting signature a staff member took (POST /v1/tasks/sign): recorded in the same transaction
 * that moves the sheet to `queued`, so that a restart can enqueue its signing with that member's
 * key if the process died before the jobs were added.
 */
export interface StaffClaim {
  sheet: number;
  step: number;
  /** The staff account whose key signs. */
  account: string;
  claimedAt: number;
}

export interface RequestStore {
  /** Stores a new request, or returns the one with the same owner and idempotency key (`isNew` false). */
  create(request: NewSignRequest): Promise<{ request: SignRequestRecord; isNew: boolean }>;
  get(id: string): Promise<SignRequestRecord | null>;
  /** SHA-256 of every working file a sheet not yet done or failed may still read (its upload and each step's output). */
  openFileHashes(): Promise<Set<string>>;
  /** Requests with a sheet not yet done or failed, oldest first. */
  listOpen(limit?: number): Promise<SignRequestRecord[]>;
  markEnqueued(id: string, at: number): Promise<void>;
  /** Sets the state of a sheet that is not done or failed (progress reset unless given). */
  setSheetState(id: string, sheet: number, state: SheetState, progress?: number): Promise<void>;
  setProgress(id: string, sheet: number, progress: number): Promise<void>;
  /** Records step `record.step` as signed if the sheet is still at that step; false when another run recorded it first. */
  recordSigned(id: string, sheet: number, record: StepRecord): Promise<boolean>;
  /**
   * Records that step `step` is archived if no run recorded it before, and moves the sheet to
   * `next` (the role waited for when it is `waiting-signature`).
   */
  recordArchived(id: string, sheet: number, step: number, archive: { sheetId: number; revision: number }, next: { state: SheetState; role: string | null }): Promise<boolean>;
  recordFailed(id: string, sheet: number, error: WireError): Promise<void>;
  /**
   * Takes a waiting signature for the staff member `account` holding `roles`, and records the
   * claim: false when it is no longer waiting.
   */
  claimTask(id: string, sheet: number, step: number, roles: readonly string[], account: string): Promise<boolean>;
  /** Claims of a request whose sheet is still `queued` at the claimed step (taken, maybe never enqueued). */
  listStaffClaims(id: string): Promise<StaffClaim[]>;
  listTasks(roles: readonly string[], limit: number): Promise<TaskRecord[]>;
  recordDelivery(id: string, delivery: Omit<DeliveryRecord, 'attempt'>): Promise<DeliveryRecord>;
  markNotified(id: string, at: number): Promise<void>;
  grantSheetAccess(owner: string, sheetId: number): Promise<void>;
  hasSheetAccess(owner: string, sheetId: number): Promise<boolean>;
  close(): Promise<void>;
}
