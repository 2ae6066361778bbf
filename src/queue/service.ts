// The signing service as the API uses it: accept a request (idempotent under its key), plan and
// enqueue its flows, report its state, list and take the signatures that wait for staff, and
// resume every unfinished request when the service starts. A staff signature is taken and its
// claim recorded in one transaction before its jobs are added; job ids come from request, sheet
// and step, so the restart that adds them again (the process died in between) adds nothing twice.

import { createHash } from 'node:crypto';
import { MapsignError } from '../errors.js';
import type { JobQueue } from './adapter.js';
import type { FlowJob } from './adapter.js';
import { planRequestFlows, planSheetSegment } from './flow-plan.js';
import type { ServiceLogger } from './processors/deps.js';
import type { NewSheet, RequestStore, TaskRecord } from './request-store.js';
import type { SignatureSpec, SignRequestRecord } from './types.js';

export interface SubmitOptions {
  owner: string;
  idempotencyKey: string;
  bodyHash: string;
  callbackUrl: string | null;
  signatures: SignatureSpec[];
  sheets: NewSheet[];
}

export interface SubmitResult {
  request: SignRequestRecord;
  /** False when the same key and body were submitted before: the earlier request is the answer. */
  isNew: boolean;
}

/** A staff member signing waiting sheets with their own key. */
export interface StaffSigner {
  account: string;
  roles: readonly string[];
}

export interface SignTaskOutcome {
  task: string;
  isAccepted: boolean;
  error: { code: string; message: string } | null;
}

/** `r` + 24 hex digits of SHA-256(owner, key): the request id, and through it every job id, comes from the idempotency key. */
export function requestIdFor(owner: string, idempotencyKey: string): string {
  return `r${createHash('sha256').update(`${owner}\n${idempotencyKey}`).digest('hex').slice(0, 24)}`;
}

export function taskIdOf(task: Pick<TaskRecord, 'requestId' | 'step'> & { sheet: { index: number } }): string {
  return `${task.requestId}.${task.sheet.index}.${task.step}`;
}

const TASK_ID = /^(r[0-9a-f]{24})\.(\d{1,5})\.(\d{1,5})$/;

export class SigningService {
  constructor(
    readonly store: RequestStore,
    readonly queue: JobQueue,
    private readonly logger: ServiceLogger,
  ) {}

  /**
   * Stores and enqueues a request. The same owner and key with the same body returns the first
   * request; with another body it is refused.
   *
   * @throws MapsignError `IDEMPOTENCY_KEY_REUSED`, `QUEUE_UNAVAILABLE` (the request is kept and enqueued on retry or restart)
   */
  async submit(options: SubmitOptions): Promise<SubmitResult> {
    const id = requestIdFor(options.owner, options.idempotencyKey);
    const { request, isNew } = await this.store.create({ id, ...options, createdAt: Date.now() });
    if (!isNew && request.bodyHash !== options.bodyHash) {
      throw new MapsignError('IDEMPOTENCY_KEY_REUSED', `Idempotency-Key ${JSON.stringify(options.idempotencyKey)} was used for another request ${request.id} with a different body`, {
        details: { requestId: request.id },
      });
    }
    if (isNew || request.enqueuedAt === null) await this.enqueue(request);
    return { request: (await this.store.get(request.id)) ?? request, isNew };
  }

  /**
   * Adds the flows a request can run now, the staff signatures taken but maybe never enqueued
   * included; job ids dedupe, so calling it again adds nothing.
   */
  async enqueue(request: SignRequestRecord): Promise<void> {
    for (const flow of await this.planFlows(request)) await this.queue.addFlow(flow);
    await this.store.markEnqueued(request.id, Date.now());
  }

  /**
   * planRequestFlows, plus the chain of each sheet a staff member took (`queued` at a step that has
   * no server-side key), signed with that member's key. With such a sheet open the request cannot
   * be notified from the top of one flow: each chain is added alone and the last archive job adds
   * the notification, as after POST /v1/tasks/sign.
   */
  private async planFlows(request: SignRequestRecord): Promise<FlowJob[]> {
    const claims = await this.store.listStaffClaims(request.id);
    if (claims.length === 0) return planRequestFlows(request);
    const flows: FlowJob[] = [];
    for (const sheet of request.sheets) {
      const claim = claims.find((c) => c.sheet === sheet.index);
      const segment = planSheetSegment(request, sheet, claim ? { kind: 'staff', account: claim.account } : undefined);
      if (segment) flows.push(segment.root);
    }
    return flows;
  }

  async get(id: string): Promise<SignRequestRecord | null> {
    return this.store.get(id);
  }

  listTasks(roles: readonly string[], limit = 100): Promise<TaskRecord[]> {
    return this.store.listTasks(roles, limit);
  }

  /** Takes each waiting signature for `staff` and enqueues its signing with their key. */
  async signTasks(staff: StaffSigner, taskIds: readonly string[]): Promise<SignTaskOutcome[]> {
    const outcomes: SignTaskOutcome[] = [];
    for (const task of taskIds) {
      const match = TASK_ID.exec(task);
      const refuse = (code: string, message: string): void => {
        outcomes.push({ task, isAccepted: false, error: { code, message } });
      };
      if (!match) {
        refuse('USAGE_INVALID', `${JSON.stringify(task)} is not a task id (request.sheet.step)`);
        continue;
      }
      const [, requestId, sheetText, stepText] = match;
      const sheetIndex = Number(sheetText);
      const step = Number(stepText);
      if (!(await this.store.claimTask(requestId!, sheetIndex, step, staff.roles, staff.account))) {
        refuse('TASK_NOT_AVAILABLE', `task ${task} does not wait for a signature of your roles (${staff.roles.join(', ') || 'none'})`);
        continue;
      }
      const request = (await this.store.get(requestId!))!;
      const sheet = request.sheets[sheetIndex]!;
      const segment = planSheetSegment(request, sheet, { kind: 'staff', account: staff.account });
      try {
        if (!segment) throw new MapsignError('INTERNAL_ERROR', `task ${task} has nothing to run`);
        await this.queue.addFlow(segment.root);
        outcomes.push({ task, isAccepted: true, error: null });
        this.logger.info({ requestId, sheet: sheetIndex, step, account: staff.account }, 'staff signature enqueued');
      } catch (error) {
        // Hand the signature back so that it can be taken again.
        await this.store.setSheetState(requestId!, sheetIndex, 'waiting-signature');
        const wire = error instanceof MapsignError ? error : new MapsignError('QUEUE_UNAVAILABLE', String(error));
        refuse(wire.code, wire.message);
      }
    }
    return outcomes;
  }

  /**
   * Enqueues again what every unfinished request can run (after a crash or a Redis outage),
   * staff signatures that were taken but whose jobs were never added included.
   */
  async resume(): Promise<number> {
    let count = 0;
    for (const request of await this.store.listOpen()) {
      try {
        await this.enqueue(request);
        count++;
      } catch (error) {
        this.logger.warn({ requestId: request.id, err: String(error) }, 'could not enqueue an unfinished request; it is tried again on the next start');
      }
    }
    return count;
  }
}
