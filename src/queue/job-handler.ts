// The one job handler every adapter runs: reads the payload by its kind's schema, runs the
// processor with its dependencies, and on a job's final failure records the sheet as failed
// (with the error's code) and notifies the dossier system once its request is finished.

import { MapsignError } from '../errors.js';
import type { JobHandler, QueuedJob } from './adapter.js';
import { notifyFlow } from './flow-plan.js';
import { JOB_DEFINITIONS, type JobDefinition } from './jobs/index.js';
import type { ProcessorDeps } from './processors/deps.js';
import { isRequestTerminal } from './types.js';
import type { WireError } from './wire-error.js';

export function createJobHandler(deps: ProcessorDeps): JobHandler {
  return {
    async process(job: QueuedJob): Promise<unknown> {
      const definition = JOB_DEFINITIONS[job.kind] as unknown as JobDefinition<unknown> | undefined;
      if (!definition) throw new MapsignError('JOB_PAYLOAD_INVALID', `unknown job kind ${job.kind}`);
      const payload = definition.parse(job.data);
      const processor = await definition.loadProcessor();
      return processor(payload, { jobId: job.id, attempt: job.attempt, maxAttempts: job.maxAttempts, parentKind: job.parentKind, reportProgress: job.reportProgress }, deps);
    },

    async onFinalFailure(job, error: WireError): Promise<void> {
      deps.logger.error({ jobId: job.id, kind: job.kind, code: error.code, message: error.message }, 'job failed for good');
      if (job.kind === 'notify') return;
      const data = job.data as { requestId?: unknown; sheet?: unknown };
      if (typeof data?.requestId !== 'string' || typeof data.sheet !== 'number') return;
      await deps.store.recordFailed(data.requestId, data.sheet, error);
      const request = await deps.store.get(data.requestId);
      if (request && isRequestTerminal(request) && request.callbackUrl !== null && request.notifiedAt === null) {
        await deps.addFlow(notifyFlow(request.id, []));
      }
    },
  };
}
