// The table of job kinds.

import { archiveSheetJob } from './archive-sheet.js';
import type { JobDefinition, JobKind } from './job-kind.js';
import { notifyJob } from './notify.js';
import { signSheetJob } from './sign-sheet.js';

export const JOB_DEFINITIONS: { readonly [K in JobKind]: JobDefinition<never> } = {
  'sign-sheet': signSheetJob as unknown as JobDefinition<never>,
  'archive-sheet': archiveSheetJob as unknown as JobDefinition<never>,
  notify: notifyJob as unknown as JobDefinition<never>,
};

export { archiveSheetJob, notifyJob, signSheetJob };
export { JOB_KINDS } from './job-kind.js';
export type { JobDefinition, JobKind, Processor } from './job-kind.js';
export type { ArchiveSheetPayload } from './archive-sheet.js';
export type { NotifyPayload } from './notify.js';
export type { SignSheetPayload } from './sign-sheet.js';
