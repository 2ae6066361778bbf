// How mapsign writes a file it produces: never over an existing one unless asked, and with the
// directory entry made durable after the rename.

import { open, rename, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
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

/**
 * Makes a finished temporary file the output: fsync (when durable), close, rename over the target,
 * then fsync the directory so the new name survives a crash too.
 */
export async function publishTemporaryFile(handle: FileHandle, temp: string, output: string, isDurable: boolean, syncDirectory = true): Promise<void> {
  if (isDurable) await handle.sync();
  await handle.close();
  await rename(temp, output).catch((error: unknown) => {
    throw fromSystemError(error, output);
  });
  if (isDurable && syncDirectory) await fsyncDirectory(dirname(output));
}

/** A hidden temporary name next to `output`, so the final rename stays within one file system. */
export function temporaryPathFor(output: string): string {
  return join(dirname(output), `.${basename(output)}.${randomBytes(6).toString('hex')}.tmp`);
}
