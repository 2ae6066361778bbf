// How mapsign writes a file it produces: never over an existing one unless asked, and with the
// directory entry made durable after the rename.

import { open } from 'node:fs/promises';
import { MapsignError, fromSystemError } from '../errors.js';

export async function assertOutputFree(path: string, overwrite: boolean): Promise<void> {
  if (overwrite) return;
  try {
    const handle = await open(path, 'r');
    await handle.close();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw fromSystemError(error, path);
  }
  throw new MapsignError('OUTPUT_EXISTS', `${path} exists; choose another output or allow overwriting`, { details: { path } });
}

export async function fsyncDirectory(path: string): Promise<void> {
  try {
    const handle = await open(path, 'r');
    await handle.sync().finally(() => handle.close());
  } catch {
    // Directory fsync is best effort: not every file system supports it.
  }
}
