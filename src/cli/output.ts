// How the CLI speaks: JSON on stdout when asked, plain lines otherwise; errors on stderr with
// their stable code; a progress bar only when stderr is a terminal.

import { MapsignError, isMapsignError } from '../errors.js';

export function reportError(error: unknown, asJson: boolean): number {
  const mapsignError = isMapsignError(error)
    ? error
    : new MapsignError('INTERNAL_ERROR', error instanceof Error ? error.message : String(error), { cause: error });
  if (asJson) process.stdout.write(`${JSON.stringify({ ok: false, error: mapsignError.toJSON() }, null, 2)}\n`);
  process.stderr.write(`mapsign: ${mapsignError.code}: ${mapsignError.message}\n`);
  if (mapsignError.code === 'INTERNAL_ERROR' && process.env['MAPSIGN_DEBUG'] && error instanceof Error) {
    process.stderr.write(`${error.stack ?? ''}\n`);
  }
  return mapsignError.spec.exit;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

/** A progress bar on stderr, redrawn at most ten times a second, and only on a terminal. */
export function createProgressBar(label: string): { update: (done: number, total: number) => void; finish: () => void } {
  const isTerminal = process.stderr.isTTY === true;
  let lastDraw = 0;
  let isDrawn = false;
  const draw = (done: number, total: number): void => {
    const width = 30;
    const ratio = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(ratio * width);
    process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}% ${formatBytes(done)} / ${formatBytes(total)}`);
    isDrawn = true;
  };
  return {
    update(done, total) {
      if (!isTerminal) return;
      const now = Date.now();
      if (now - lastDraw < 100 && done < total) return;
      lastDraw = now;
      draw(done, total);
    },
    finish() {
      if (isDrawn) process.stderr.write('\n');
    },
  };
}
