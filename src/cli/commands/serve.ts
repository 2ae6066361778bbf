// `mapsign serve`: the HTTP API on PORT (8080) and HOST (127.0.0.1). Without REDIS_URL it also
// runs the jobs in this process (the embedded default: SQLite, nothing to install); with
// REDIS_URL it only enqueues, and `mapsign worker` processes (workers/) run them.

import type { Command } from 'commander';
import { JOB_KIND_NAMES, buildServiceApp, loadServiceConfig, onShutdown, openServiceRuntime } from './worker.js';

interface ServeOptions {
  port?: string;
  host?: string;
}

export async function runServe(options: ServeOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = loadServiceConfig({ ...env, ...(options.port ? { PORT: options.port } : {}), ...(options.host ? { HOST: options.host } : {}) });
  const isEmbedded = config.redisUrl === null;
  const runtime = await openServiceRuntime(config, { role: isEmbedded ? 'embedded' : 'api' });
  const app = await buildServiceApp(runtime, config, runtime.logger);
  if (isEmbedded) await runtime.startWorkers(JOB_KIND_NAMES);
  const resumed = await runtime.service.resume();
  const address = await app.listen({ port: config.port, host: config.host });
  runtime.logger.info({ address, queue: runtime.queue.backend, dataDir: config.dataDir, resumed }, 'mapsign service listening');
  process.stderr.write(`mapsign serve: listening on ${address} (queue: ${isEmbedded ? 'embedded SQLite' : `BullMQ at ${new URL(config.redisUrl!).host}`}; data: ${config.dataDir}; OpenAPI at ${address}/docs)\n`);
  await new Promise<void>((resolve) => {
    onShutdown(async (signal) => {
      runtime.logger.info({ signal }, 'shutting down: no new requests, finishing running jobs');
      await app.close();
      await runtime.close({ graceMs: Number(env['MAPSIGN_SHUTDOWN_GRACE_MS'] ?? 30_000) });
      resolve();
    });
  });
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the signing service: HTTP API, and the jobs too unless REDIS_URL is set')
    .option('--port <port>', 'port (default: $PORT or 8080)')
    .option('--host <host>', 'address to listen on (default: $HOST or 127.0.0.1)')
    .action(async (options: ServeOptions) => {
      await runServe(options);
    });
}
