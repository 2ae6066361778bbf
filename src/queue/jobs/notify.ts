// Job kind `notify` v1: deliver the signed webhook (Standard Webhooks) telling the dossier system
// that its request finished.

import { readEnvelope, readId, REQUEST_ID, type JobDefinition } from './job-kind.js';

export interface NotifyPayload {
  requestId: string;
}

export const notifyJob: JobDefinition<NotifyPayload> = {
  kind: 'notify',
  version: 1,
  parse(data) {
    const record = readEnvelope('notify', 1, data);
    return { requestId: readId('notify', record, 'requestId', REQUEST_ID) };
  },
  jobId: (p) => `notify.${p.requestId}`,
  encode: (p) => ({ version: 1, requestId: p.requestId }),
  loadProcessor: async () => (await import('../processors/notify.js')).processNotify,
};
