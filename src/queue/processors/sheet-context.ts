// Shared by the processors: loading a request's sheet, and finding a step's input file (in the
// working store, or restored from the archive by its hash).

import { MapsignError } from '../../errors.js';
import type { RequestStore } from '../request-store.js';
import type { SheetRecordState, SignRequestRecord } from '../types.js';
import type { ProcessorDeps } from './deps.js';

export async function loadSheet(store: RequestStore, requestId: string, index: number): Promise<{ request: SignRequestRecord; sheet: SheetRecordState }> {
  const request = await store.get(requestId);
  if (!request) throw new MapsignError('REQUEST_NOT_FOUND', `no signing request ${requestId}`, { details: { requestId } });
  const sheet = request.sheets[index];
  if (!sheet) throw new MapsignError('JOB_PAYLOAD_INVALID', `request ${requestId} has no sheet ${index}`, { details: { requestId, sheet: index } });
  return { request, sheet };
}

/** Local path of the file with this hash; restored from the archive when the working copy is gone. */
export async function restoreInput(deps: Pick<ProcessorDeps, 'files' | 'archive'>, sha256: string): Promise<string> {
  if ((await deps.files.has(sha256)) !== null) return deps.files.pathOf(sha256);
  const opened = await deps.archive.openFile(sha256).catch(() => null);
  if (!opened) throw new MapsignError('INPUT_NOT_FOUND', `the file ${sha256} is neither in the working store nor in the archive`, { details: { sha256 } });
  const stored = await deps.files.put(opened.stream);
  if (stored.sha256 !== sha256) throw new MapsignError('ARCHIVE_CORRUPT', `the archived file ${sha256} now hashes to ${stored.sha256}`, { details: { sha256 } });
  return deps.files.pathOf(sha256);
}
