// Job kind `sign-sheet` v1: apply the signature of one role to one sheet of a request (one
// incremental update). The payload names the request, the sheet, the step and the signer's key;
// the file comes from the request store by hash.

import { readEnvelope, readId, readIndex, payloadError, REQUEST_ID, type JobDefinition } from './job-kind.js';
import type { SignerRef } from '../types.js';

export interface SignSheetPayload {
  requestId: string;
  /** Index of the sheet in the request, from 0. */
  sheet: number;
  /** Index of the signature in the request's list, from 0: the number of signatures this service applied before. */
  step: number;
  signer: SignerRef;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function readSignerRef(value: unknown): SignerRef | null {
  if (typeof value !== 'object' || value === null) return null;
  const ref = value as Record<string, unknown>;
  if (ref['kind'] === 'server' && typeof ref['name'] === 'string' && NAME.test(ref['name'])) return { kind: 'server', name: ref['name'] };
  if (ref['kind'] === 'staff' && typeof ref['account'] === 'string' && NAME.test(ref['account'])) return { kind: 'staff', account: ref['account'] };
  return null;
}

export const signSheetJob: JobDefinition<SignSheetPayload> = {
  kind: 'sign-sheet',
  version: 1,
  parse(data) {
    const record = readEnvelope('sign-sheet', 1, data);
    const signer = readSignerRef(record['signer']);
    if (!signer) throw payloadError('sign-sheet', 'signer must be {kind:"server",name} or {kind:"staff",account}');
    return { requestId: readId('sign-sheet', record, 'requestId', REQUEST_ID), sheet: readIndex('sign-sheet', record, 'sheet'), step: readIndex('sign-sheet', record, 'step'), signer };
  },
  jobId: (p) => `sign-sheet.${p.requestId}.${p.sheet}.${p.step}`,
  encode: (p) => ({ version: 1, requestId: p.requestId, sheet: p.sheet, step: p.step, signer: p.signer }),
  loadProcessor: async () => (await import('../processors/sign-sheet.js')).processSignSheet,
};
