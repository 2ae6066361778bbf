// Job kind `archive-sheet` v1: archive the file one signing step produced (a new sheet, or the next
// revision of it) and store its verification report.

import { readEnvelope, readId, readIndex, REQUEST_ID, type JobDefinition } from './job-kind.js';

export interface ArchiveSheetPayload {
  requestId: string;
  sheet: number;
  /** The signing step whose output is archived, from 0. */
  step: number;
}

export const archiveSheetJob: JobDefinition<ArchiveSheetPayload> = {
  kind: 'archive-sheet',
  version: 1,
  parse(data) {
    const record = readEnvelope('archive-sheet', 1, data);
    return { requestId: readId('archive-sheet', record, 'requestId', REQUEST_ID), sheet: readIndex('archive-sheet', record, 'sheet'), step: readIndex('archive-sheet', record, 'step') };
  },
  jobId: (p) => `archive-sheet.${p.requestId}.${p.sheet}.${p.step}`,
  encode: (p) => ({ version: 1, requestId: p.requestId, sheet: p.sheet, step: p.step }),
  loadProcessor: async () => (await import('../processors/archive-sheet.js')).processArchiveSheet,
};
