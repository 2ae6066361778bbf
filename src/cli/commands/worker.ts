// `mapsign worker KIND…` (with REDIS_URL: run the BullMQ workers of these job kinds), and the
// service runtime every entry point builds: configuration → request store, working files,
// archive, API keys, queue adapter, key sources, processors' dependencies. The request store and
// API keys live in service.sqlite, or in PostgreSQL with DATABASE_URL and REDIS_URL (serviceStoreOf).

import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import type { Archive } from '../../archive/index.js';
import type { ApiKeyStore } from '../../api/index.js';
import { readServiceConfig, samplePkiDir, serviceStoreOf, type ServiceConfig, type SignerKeyConfig } from '../../config.js';
import { MapsignError, fromSystemError } from '../../errors.js';
import type { KeySource } from '../../pki/index.js';
import type { JobKind, JobQueue, ProcessorDeps, RequestStore, ServiceDatabase, SignerRef, SigningService, StampImages, WorkFileStore } from '../../queue/index.js';
import type { CertificateValidator, VerifyReport } from '../../verify/index.js';

/** The job kinds (also in queue/, which this file loads only when a service starts). */
const JOB_KIND_NAMES: readonly JobKind[] = ['sign-sheet', 'archive-sheet', 'notify'];

/** The service's modules, loaded when a service starts so that other commands stay quick to start. */
async function loadModules() {
  const [pinoModule, archive, api, pki, queue, signing, verify, archiveCommand, pdf] = await Promise.all([
    import('pino'),
    import('../../archive/index.js'),
    import('../../api/index.js'),
    import('../../pki/index.js'),
    import('../../queue/index.js'),
    import('../../signing/index.js'),
    import('../../verify/index.js'),
    import('./archive.js'),
    import('../../pdf/index.js'),
  ]);
  return { pino: pinoModule.pino, archive, api, pki, queue, signing, verify, readSignatureFacts: archiveCommand.readSignatureFacts, loadStampTemplates: pdf.loadStampTemplates, stampTemplateNames: pdf.stampTemplateNames };
}

export interface ServiceRuntime {
  config: ServiceConfig;
  logger: Logger;
  /** service.sqlite; null when the stores are in PostgreSQL. */
  db: ServiceDatabase | null;
  store: RequestStore;
  files: WorkFileStore;
  archive: Archive;
  keys: ApiKeyStore;
  queue: JobQueue;
  service: SigningService;
  processorDeps: ProcessorDeps;
  /** Verifies a file with the configured trust. */
  verifyReport(path: string): Promise<VerifyReport>;
  /** Names of the stamp templates loaded (MAPSIGN_STAMP_TEMPLATES or config/stamp-templates.json). */
  stampTemplateNames: readonly string[];
  isTrustConfigured: boolean;
  /** Starts workers of these kinds in this process. */
  startWorkers(kinds: readonly JobKind[]): Promise<void>;
  close(options?: { graceMs?: number }): Promise<void>;
}

export interface OpenServiceRuntimeOptions {
  /** `api`: enqueue only and follow queue events (BullMQ) — `worker`, `embedded`: run jobs here. */
  role: 'api' | 'worker' | 'embedded';
  logger?: Logger;
  /** Replaces processor dependencies (tests inject faults here). */
  overrides?: Partial<ProcessorDeps>;
  /** Embedded queue lease (tests shorten it). */
  leaseMs?: number;
}

export async function createServiceLogger(config: Pick<ServiceConfig, 'logLevel'>, name: string): Promise<Logger> {
  const { pino, api } = await loadModules();
  return pino({ name, level: config.logLevel, redact: { paths: api.LOG_REDACTIONS, censor: '[redacted]' } });
}

export { JOB_KIND_NAMES };

export function loadServiceConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  return readServiceConfig(env, (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      throw fromSystemError(error, path);
    }
  });
}

async function passwordOf(config: SignerKeyConfig, label: string): Promise<string> {
  if (config.password !== undefined) return config.password;
  if (config.passwordEnv) {
    const value = process.env[config.passwordEnv];
    if (value === undefined) throw new MapsignError('CONFIG_INVALID', `the password of ${label} is read from $${config.passwordEnv}, which is not set`);
    return value;
  }
  if (config.passwordFile) {
    const text = await readFile(config.passwordFile, 'utf8').catch((error: unknown) => {
      throw fromSystemError(error, config.passwordFile!);
    });
    return text.replace(/\r?\n$/, '');
  }
  throw new MapsignError('CONFIG_INVALID', `${label} has no password source`);
}

/** Opens a signer's PKCS#12 key (checks its password now). */
export async function openSignerKey(config: SignerKeyConfig, label: string): Promise<KeySource> {
  const { openPkcs12KeySource } = await import('../../pki/index.js');
  return openPkcs12KeySource({ path: config.p12, password: await passwordOf(config, label), scheme: config.scheme });
}

/** Stamp images are small; a bigger file is a mistake (and would cost memory on every signature). */
const MAX_STAMP_IMAGE_BYTES = 8 * 1024 * 1024;

async function readStampImage(path: string): Promise<Buffer> {
  const info = await stat(path).catch((error: unknown) => {
    throw fromSystemError(error, path);
  });
  if (info.size > MAX_STAMP_IMAGE_BYTES) throw new MapsignError('CONFIG_INVALID', `the stamp image ${path} is ${info.size} bytes; stamp images must be under ${MAX_STAMP_IMAGE_BYTES} bytes`);
  return readFile(path).catch((error: unknown) => {
    throw fromSystemError(error, path);
  });
}

/** The signature and seal images configured with a signer's key (MAPSIGN_SIGNERS entry, or a staff account), read once. */
function createStampImageResolver(config: ServiceConfig, keys: ApiKeyStore): (signer: SignerRef) => Promise<StampImages> {
  const cache = new Map<string, Promise<StampImages>>();
  return async (signer) => {
    const entry = signer.kind === 'server' ? config.signers[signer.name] : ((await keys.get(signer.account))?.signer ?? undefined);
    if (!entry || (!entry.signatureImage && !entry.sealImage)) return {};
    const cacheKey = `${signer.kind}:${signer.kind === 'server' ? signer.name : signer.account}:${entry.signatureImage ?? ''}:${entry.sealImage ?? ''}`;
    let images = cache.get(cacheKey);
    if (!images) {
      images = (async () => ({
        ...(entry.signatureImage ? { signatureImage: await readStampImage(entry.signatureImage) } : {}),
        ...(entry.sealImage ? { sealImage: await readStampImage(entry.sealImage) } : {}),
      }))();
      cache.set(cacheKey, images);
      images.catch(() => cache.delete(cacheKey));
    }
    return images;
  };
}

/** A working file unused for this long, by no open request, is removed (uploads land a moment before their request). */
const WORK_FILE_GRACE_MS = 60 * 60 * 1000;
const WORK_SWEEP_EVERY_MS = 15 * 60 * 1000;

/** Key sources by signer, opened once and kept: server keys from the configuration, staff keys from their account. */
function createKeyResolver(config: ServiceConfig, keys: ApiKeyStore): (signer: SignerRef) => Promise<KeySource> {
  const cache = new Map<string, Promise<KeySource>>();
  return async (signer) => {
    let cacheKey: string;
    let open: () => Promise<KeySource>;
    if (signer.kind === 'server') {
      const entry = config.signers[signer.name];
      if (!entry) throw new MapsignError('SIGNER_UNKNOWN', `no server-side key named ${signer.name}`, { details: { signer: signer.name } });
      cacheKey = `server:${signer.name}`;
      open = () => openSignerKey(entry, `signer ${signer.name}`);
    } else {
      const account = await keys.get(signer.account);
      if (!account || account.kind !== 'staff' || account.revokedAt !== null || !account.signer) {
        throw new MapsignError('SIGNER_UNKNOWN', `the staff account ${signer.account} has no usable signing key`, { details: { signer: signer.account } });
      }
      cacheKey = `staff:${signer.account}:${account.signer.p12}`;
      const entry = account.signer;
      open = () => openSignerKey(entry, `the key of ${signer.account}`);
    }
    let opened = cache.get(cacheKey);
    if (!opened) {
      opened = open();
      cache.set(cacheKey, opened);
      opened.catch(() => cache.delete(cacheKey));
    }
    return opened;
  };
}

async function createTrust(config: ServiceConfig, logger: Logger): Promise<CertificateValidator | undefined> {
  const { createTrustValidatorFromCertificates, createTrustValidatorFromDirectory } = await import('../../verify/index.js');
  if (config.trustDir) return createTrustValidatorFromDirectory(config.trustDir);
  if (config.isSampleSigners) {
    logger.warn({ trust: join(samplePkiDir(), 'root-ca.pem') }, 'verifying against the SAMPLE root (development only): set TRUST_DIR in production');
    return createTrustValidatorFromCertificates([readFileSync(join(samplePkiDir(), 'root-ca.pem'))]);
  }
  return undefined;
}

export interface ServiceStores {
  /** service.sqlite; null when the stores are in PostgreSQL. */
  db: ServiceDatabase | null;
  store: RequestStore;
  keys: ApiKeyStore;
  /** Closes the database or the pool. */
  close(): Promise<void>;
}

/** The request store and API keys where serviceStoreOf puts them: `mapsign keys` and every service process agree. */
export async function openServiceStores(config: ServiceConfig): Promise<ServiceStores> {
  const [api, queue] = await Promise.all([import('../../api/index.js'), import('../../queue/index.js')]);
  if (serviceStoreOf(config) === 'postgres') {
    const database = await queue.openServicePostgres({ connectionString: config.databaseUrl!, schema: config.postgresSchema });
    return { db: null, store: new queue.PostgresRequestStore(database), keys: new api.PostgresApiKeyStore(database), close: () => database.pool.end() };
  }
  const db = queue.openServiceDatabase(join(config.dataDir, 'service.sqlite'));
  return { db, store: new queue.SqliteRequestStore(db), keys: new api.SqliteApiKeyStore(db), close: async () => void db.close() };
}

export async function openServiceRuntime(config: ServiceConfig, options: OpenServiceRuntimeOptions): Promise<ServiceRuntime> {
  const modules = await loadModules();
  const { BullmqQueue, CallbackPolicy, createJobHandler, EmbeddedQueue, SigningService, WorkFileStore } = modules.queue;
  const { openArchive } = modules.archive;
  const { readTrustConfig } = modules.pki;
  const { createTsaClient, signPdf } = modules.signing;
  const { verify } = modules.verify;
  const readSignatureFacts = modules.readSignatureFacts;
  const logger = options.logger ?? (await createServiceLogger(config, `mapsign-${options.role}`));
  if (config.isSampleSigners) logger.warn({ signer: 'department-seal' }, 'signing with the SAMPLE department seal of certs-sample (development only): configure MAPSIGN_SIGNERS_FILE');
  const stores = await openServiceStores(config);
  const { db, store, keys } = stores;
  const files = await WorkFileStore.open(join(config.dataDir, 'work'));
  await files.removeStaleTemporary();
  const archive = await openArchive({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, postgresSchema: config.postgresSchema });
  const retry = { attempts: { 'sign-sheet': config.attempts.sign, 'archive-sheet': config.attempts.archive, notify: config.attempts.notify }, backoffMs: config.backoffMs };
  const queue: JobQueue = config.redisUrl
    ? new BullmqQueue({ url: config.redisUrl, prefix: config.queuePrefix, retry, lockDurationMs: config.lockDurationMs, stalledIntervalMs: config.stalledIntervalMs })
    : new EmbeddedQueue({ db: db!, retry, leaseMs: options.leaseMs ?? config.lockDurationMs }); // no REDIS_URL: service.sqlite (serviceStoreOf)
  if (queue instanceof BullmqQueue) await queue.waitUntilReady();
  const trust = await createTrust(config, logger);
  const verifyReport = (path: string): Promise<VerifyReport> => verify(path, { trust });
  const stampTemplates = await modules.loadStampTemplates(config.stampTemplatesPath ?? undefined);
  const signerTrust = readTrustConfig(process.env);
  const processorDeps: ProcessorDeps = {
    store,
    files,
    archive,
    openKey: createKeyResolver(config, keys),
    readSignatures: readSignatureFacts,
    sign: signPdf,
    stampTemplates,
    stampImages: createStampImageResolver(config, keys),
    publicUrl: config.publicUrl,
    signOptions: {
      ...(config.tsaUrl ? { timestamp: { timestamper: createTsaClient({ url: config.tsaUrl }), onUnavailable: 'fail' as const } } : {}),
      ...(signerTrust ? { trust: signerTrust } : {}),
    },
    verifyFile: trust
      ? async (path) => {
          const report = await verifyReport(path);
          return { isValid: report.verdict.indication === 'PASSED', report };
        }
      : undefined,
    addFlow: (flow) => queue.addFlow(flow),
    webhookSecret: async (owner) => (await keys.get(owner))?.webhookSecret ?? null,
    webhookTimeoutMs: config.webhookTimeoutMs,
    callbackPolicy: new CallbackPolicy(config.callbackAllow),
    logger,
    ...options.overrides,
  };
  const service = new SigningService(store, queue, logger);
  // The process that takes uploads also clears the working files that no open request needs;
  // without it the work folder would hold every sheet ever signed, beside the archive's copy.
  const sweepWork = async (): Promise<void> => {
    try {
      const removed = await files.removeUnused(await store.openFileHashes(), WORK_FILE_GRACE_MS);
      if (removed.files > 0) logger.info({ files: removed.files, bytes: removed.bytes }, 'working files no open request needs removed');
    } catch (error) {
      logger.warn({ err: String(error) }, 'clearing the working files failed; trying again later');
    }
  };
  let sweeping: Promise<void> = options.role === 'worker' ? Promise.resolve() : sweepWork();
  const sweepTimer = options.role === 'worker' ? null : setInterval(() => (sweeping = sweepWork()), WORK_SWEEP_EVERY_MS).unref();
  let isClosed = false;
  return {
    config,
    logger,
    db,
    store,
    files,
    archive,
    keys,
    queue,
    service,
    processorDeps,
    verifyReport,
    stampTemplateNames: modules.stampTemplateNames(stampTemplates),
    isTrustConfigured: trust !== undefined,
    async startWorkers(kinds) {
      const handler = createJobHandler(processorDeps);
      const concurrency = { 'sign-sheet': config.concurrency.sign, 'archive-sheet': config.concurrency.archive, notify: config.concurrency.notify };
      for (const kind of kinds) await queue.startWorker(kind, handler, { concurrency: concurrency[kind] });
    },
    async close(closeOptions = {}) {
      if (isClosed) return;
      isClosed = true;
      if (sweepTimer) clearInterval(sweepTimer);
      await sweeping;
      await queue.close({ graceMs: closeOptions.graceMs });
      await archive.close().catch(() => undefined);
      await stores.close();
    },
  };
}

/** Stops on SIGTERM or SIGINT: `stop` runs once, then the process exits. */
export function onShutdown(stop: (signal: string) => Promise<void>): void {
  let isStopping = false;
  const handle = (signal: NodeJS.Signals): void => {
    if (isStopping) return;
    isStopping = true;
    stop(signal).then(
      () => process.exit(0),
      () => process.exit(70),
    );
  };
  process.on('SIGTERM', handle);
  process.on('SIGINT', handle);
}

function parseKinds(values: readonly string[]): JobKind[] {
  const kinds = values.length === 0 || values.includes('all') ? [...JOB_KIND_NAMES] : values;
  for (const kind of kinds) if (!(JOB_KIND_NAMES as readonly string[]).includes(kind)) throw new MapsignError('USAGE_INVALID', `unknown job kind ${kind}; kinds are ${JOB_KIND_NAMES.join(', ')} (or all)`);
  return kinds as JobKind[];
}

/**
 * Runs the BullMQ workers of `kinds` in this process until SIGTERM or SIGINT, then lets the
 * running jobs finish (up to MAPSIGN_SHUTDOWN_GRACE_MS, default 60 s; a job still running is
 * handed back through its lock).
 */
export async function runWorkerProcess(kinds: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = loadServiceConfig(env);
  if (!config.redisUrl) throw new MapsignError('CONFIG_INVALID', 'workers run with REDIS_URL; without it `mapsign serve` runs the jobs itself');
  const wanted = parseKinds(kinds);
  const runtime = await openServiceRuntime(config, { role: 'worker' });
  await runtime.startWorkers(wanted);
  runtime.logger.info({ kinds: wanted, prefix: config.queuePrefix }, 'workers started');
  process.stderr.write(`mapsign worker: processing ${wanted.join(', ')} (pid ${process.pid})\n`);
  const grace = Number(env['MAPSIGN_SHUTDOWN_GRACE_MS'] ?? 60_000);
  await new Promise<void>((resolve) => {
    onShutdown(async (signal) => {
      runtime.logger.info({ signal }, 'stopping workers: finishing running jobs');
      await runtime.close({ graceMs: Number.isFinite(grace) ? grace : 60_000 });
      resolve();
    });
  });
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run BullMQ workers (REDIS_URL) for job kinds: sign-sheet, archive-sheet, notify, or all')
    .argument('[kinds...]', 'job kinds to process (default: all)')
    .action(async (kinds: string[]) => {
      await runWorkerProcess(kinds);
    });
}

/** The HTTP app over a runtime: `mapsign serve` and the service tests build it the same way. */
export async function buildServiceApp(runtime: ServiceRuntime, config: ServiceConfig, loggerInstance?: ServiceRuntime['logger']) {
  const { buildApp } = await import('../../api/index.js');
  return buildApp({
    service: runtime.service,
    archive: runtime.archive,
    files: runtime.files,
    keys: runtime.keys,
    verifyFile: runtime.verifyReport,
    isTrustConfigured: runtime.isTrustConfigured,
    serverSigners: Object.keys(config.signers),
    stampTemplates: runtime.stampTemplateNames,
    publicUrl: config.publicUrl,
    limits: { maxUploadBytes: config.maxUploadBytes, maxSheetsPerRequest: config.maxSheetsPerRequest, verifyRatePerMinute: config.verifyRatePerMinute },
    callbackPolicy: runtime.processorDeps.callbackPolicy,
    ...(loggerInstance ? { loggerInstance } : {}),
  });
}
