// Entry point of the BullMQ workers of the `archive-sheet` queue: reads the configuration (REDIS_URL,
// MAPSIGN_DATA_DIR, DATABASE_URL, …), builds the dependencies and processes jobs until SIGTERM.
// No logic lives here (src/cli/commands/worker.ts).

import { runWorkerProcess } from '../src/cli/commands/worker.js';

runWorkerProcess(['archive-sheet']).catch((error: unknown) => {
  process.stderr.write(`mapsign archive worker: ${(error as { code?: string }).code ?? 'INTERNAL_ERROR'}: ${(error as Error).message}\n`);
  process.exitCode = (error as { spec?: { exit?: number } }).spec?.exit ?? 70;
});
