// A BullMQ worker process for crash tests: the real runtime and processors, except that the
// signing step, once its output is written and before it is recorded, writes a marker file and
// hangs, so the test can SIGKILL the process at the worst moment.

import { writeFileSync } from 'node:fs';
import { JOB_KIND_NAMES, loadServiceConfig, openServiceRuntime } from '../../src/cli/commands/worker.js';
import { signPdf, type SignPdfOptions } from '../../src/signing/index.js';

const marker = process.env['MAPSIGN_TEST_MARKER'];
if (!marker) throw new Error('MAPSIGN_TEST_MARKER is required');
const config = loadServiceConfig();
const runtime = await openServiceRuntime(config, {
  role: config.redisUrl ? 'worker' : 'embedded',
  overrides: {
    sign: async (options: SignPdfOptions) => {
      const result = await signPdf(options);
      writeFileSync(marker, `${result.sha256}\n`);
      await new Promise(() => undefined);
      return result;
    },
  },
});
await runtime.startWorkers(JOB_KIND_NAMES);
process.stdout.write('ready\n');
