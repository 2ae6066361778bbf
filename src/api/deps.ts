// What the HTTP API is built from; tests give their own (app.inject(), no open port).

import type { FastifyServerOptions } from 'fastify';
import type { Archive } from '../archive/index.js';
import type { CallbackPolicy, SigningService, WorkFileStore } from '../queue/index.js';
import type { VerifyReport } from '../verify/index.js';
import type { ApiKeyStore } from './auth-store.js';
import type { ServiceMetrics } from './plugins/metrics.js';

export interface ApiLimits {
  /** Bytes of one uploaded sheet (413 past it). */
  maxUploadBytes: number;
  maxSheetsPerRequest: number;
  /** Public POST /v1/verify per client IP per minute (keys with the `verify` scope get ten times more). */
  verifyRatePerMinute: number;
}

export interface AppDeps {
  service: SigningService;
  archive: Archive;
  files: WorkFileStore;
  keys: ApiKeyStore;
  /** Verifies a local file with the configured trust. */
  verifyFile(path: string): Promise<VerifyReport>;
  /** Whether `verifyFile` checks trust (then reports made on demand are stored with the sheet). */
  isTrustConfigured: boolean;
  /** Names of the server-side signing keys. */
  serverSigners: readonly string[];
  /** Names of the stamp templates a signature's `stamp.template` may name; absent: none (stamps refused). */
  stampTemplates?: readonly string[];
  /** MAPSIGN_PUBLIC_URL without its trailing slash: stamps' QR codes and sheets' `verificationUrl`. */
  publicUrl?: string | null;
  limits: ApiLimits;
  /** Where callbacks may go (MAPSIGN_CALLBACK_ALLOW); absent: public addresses only. */
  callbackPolicy?: CallbackPolicy;
  /** Fastify logger options or a pino instance; default: no logging. */
  logger?: FastifyServerOptions['logger'];
  loggerInstance?: FastifyServerOptions['loggerInstance'];
  /** Metrics over the service's queue; created when absent. */
  metrics?: ServiceMetrics;
}
