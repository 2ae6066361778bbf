// Processor of `notify`: POSTs the finished request to the dossier system's callback URL as a
// Standard Webhooks message (webhook-id, webhook-timestamp, webhook-signature: HMAC-SHA256 over
// id, timestamp and body with the system's own secret). Every attempt is logged; a non-2xx
// answer or no answer is WEBHOOK_DELIVERY_FAILED, retried by the queue with backoff. A host the
// callback policy refuses (it resolves to a loopback, private, link-local … address) is
// CALLBACK_URL_REFUSED, not retried.

import { Webhook } from 'standardwebhooks';
import { MapsignError, isMapsignError } from '../../errors.js';
import { postCallback } from '../callback-delivery.js';
import { CallbackPolicy } from '../callback-policy.js';
import type { NotifyPayload } from '../jobs/index.js';
import { toSignRequestView } from '../status-view.js';
import { requestStateOf } from '../types.js';
import type { JobContext, JobResult, ProcessorDeps } from './deps.js';

/** The policy when none is given: public addresses only. */
const DEFAULT_POLICY = new CallbackPolicy();

/** The event type of the body: `sign-request.completed`, `.completed-with-errors`, `.failed`, …. */
export function webhookEventType(state: string): string {
  return `sign-request.${state}`;
}

export async function processNotify(payload: NotifyPayload, context: JobContext, deps: ProcessorDeps): Promise<JobResult> {
  const started = Date.now();
  const request = await deps.store.get(payload.requestId);
  if (!request) throw new MapsignError('REQUEST_NOT_FOUND', `no signing request ${payload.requestId}`, { details: { requestId: payload.requestId } });
  if (request.callbackUrl === null) return { skipped: 'no-callback' };
  if (request.notifiedAt !== null) return { skipped: 'already-delivered' };
  const secret = await deps.webhookSecret(request.owner);
  if (!secret) throw new MapsignError('CONFIG_INVALID', `the dossier system ${request.owner} has no webhook secret`, { details: { owner: request.owner } });
  const view = toSignRequestView(request);
  const timestamp = new Date();
  const body = JSON.stringify({ type: webhookEventType(requestStateOf(request)), timestamp: timestamp.toISOString(), data: view });
  // The same id on every attempt lets the receiver drop duplicates.
  const messageId = `msg_${request.id}`;
  const signature = new Webhook(secret).sign(messageId, timestamp, body);
  let status: number | null = null;
  let address: string | null = null;
  let failure: string | null = null;
  let refusal: MapsignError | null = null;
  try {
    const response = await postCallback({
      url: request.callbackUrl,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'mapsign-webhooks/1',
        'webhook-id': messageId,
        'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
        'webhook-signature': signature,
      },
      body,
      timeoutMs: deps.webhookTimeoutMs,
      policy: deps.callbackPolicy ?? DEFAULT_POLICY,
    });
    status = response.status;
    address = response.address;
    if (status < 200 || status > 299) failure = `the receiver answered HTTP ${status}`;
  } catch (error) {
    if (isMapsignError(error, 'CALLBACK_URL_REFUSED')) {
      refusal = error;
      failure = `${error.code}: ${error.message}`;
    } else {
      failure = `the receiver could not be reached: ${(error as Error).message}`;
    }
  }
  const delivery = await deps.store.recordDelivery(request.id, { at: Date.now(), status, isDelivered: failure === null, error: failure });
  if (refusal !== null) {
    deps.logger.warn({ requestId: request.id, callbackUrl: request.callbackUrl, attempt: delivery.attempt, code: refusal.code, reason: refusal.details['reason'] ?? null, address: refusal.details['address'] ?? null, jobId: context.jobId }, 'webhook refused by the callback policy');
    throw new MapsignError('CALLBACK_URL_REFUSED', `webhook for request ${request.id}: ${refusal.message}`, { details: { ...refusal.details, requestId: request.id, attempt: delivery.attempt } });
  }
  deps.logger.info({ requestId: request.id, callbackUrl: request.callbackUrl, attempt: delivery.attempt, address, status, isDelivered: failure === null, jobId: context.jobId }, 'webhook delivery');
  if (failure !== null) {
    throw new MapsignError('WEBHOOK_DELIVERY_FAILED', `webhook for request ${request.id}: ${failure}`, { details: { requestId: request.id, status, attempt: delivery.attempt } });
  }
  await deps.store.markNotified(request.id, Date.now());
  return { status, attempt: delivery.attempt, durationMs: Date.now() - started };
}
