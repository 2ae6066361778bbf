// Configuration of the signing service (API, queue and workers), read once from the environment.
// The embedded default needs nothing set: port 8080 on 127.0.0.1, data under ./data, jobs in
// SQLite, the sample department seal as the one server-side signer. REDIS_URL switches to BullMQ.

import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MapsignError } from './errors.js';

/** Where a server-side signer's key lives: a PKCS#12 file and where its password comes from. */
export interface SignerKeyConfig {
  p12: string;
  /** Name of an environment variable holding the password. */
  passwordEnv?: string;
  /** File holding the password (one line). */
  passwordFile?: string;
  /** The password itself; only for the sample PKI, whose passwords are public. */
  password?: string;
  /** 'rsa-pkcs1' (default) or 'rsa-pss' for RSA keys. */
  scheme?: 'rsa-pkcs1' | 'rsa-pss';
  /** PNG of the signer's handwritten signature (transparent background), drawn in its visible stamps. */
  signatureImage?: string;
  /** PNG of the organisation's seal, drawn over the signature's left third. */
  sealImage?: string;
}

/**
 * One entry of MAPSIGN_CALLBACK_ALLOW: a host name (exact, or `*.suffix` for its subdomains) whose
 * callbacks may go wherever it resolves, or a subnet (an address is a /32 or /128) that callbacks
 * may reach even though it is loopback, private, link-local, … .
 */
export type CallbackAllowEntry = { kind: 'host'; host: string } | { kind: 'subnet'; address: string; prefix: number; family: 'ipv4' | 'ipv6' };

export interface ServiceConfig {
  port: number;
  host: string;
  /** Absolute folder of the archive, the job database, uploads and API keys. */
  dataDir: string;
  /** The archive catalog in PostgreSQL when set (DATABASE_URL), SQLite under dataDir otherwise; with redisUrl also the service's tables (serviceStoreOf). */
  databaseUrl: string | null;
  /** PostgreSQL schema of the catalog and the service's tables (MAPSIGN_PG_SCHEMA). */
  postgresSchema: string;
  /** BullMQ on this Redis when set; the embedded SQLite queue otherwise. */
  redisUrl: string | null;
  /** Prefix of every BullMQ key; tests give each run its own. */
  queuePrefix: string;
  /** Byte limit of one uploaded sheet (413 past it). */
  maxUploadBytes: number;
  /** Sheets a single request may carry. */
  maxSheetsPerRequest: number;
  concurrency: { sign: number; archive: number; notify: number };
  /** Attempts per job (the first run included) for retryable failures. */
  attempts: { sign: number; archive: number; notify: number };
  /** First retry delay; each later one doubles it. */
  backoffMs: number;
  /** BullMQ: lock of a running job, and how often stalled jobs are looked for. */
  lockDurationMs: number;
  stalledIntervalMs: number;
  /** Server-side signers by name (MAPSIGN_SIGNERS_FILE, or the sample department seal). */
  signers: Record<string, SignerKeyConfig>;
  /** Whether `signers` is the built-in sample (development only). */
  isSampleSigners: boolean;
  /** Roots used to verify signed sheets; null: the sample root with the sample signers, else trust is not checked. */
  trustDir: string | null;
  /** Public verification: requests per IP per minute. */
  verifyRatePerMinute: number;
  /** Webhook request deadline. */
  webhookTimeoutMs: number;
  /** Callback hosts and subnets opened despite the SSRF guard (MAPSIGN_CALLBACK_ALLOW); empty: public addresses only. */
  callbackAllow: CallbackAllowEntry[];
  /** Time-stamping authority for B-T signatures, or null for B-B. */
  tsaUrl: string | null;
  /**
   * Public base URL of this service (MAPSIGN_PUBLIC_URL, no trailing slash): a stamp's QR code
   * encodes `<publicUrl>/v/<code>`. Null: stamps carry no QR code unless one is asked for (refused).
   */
  publicUrl: string | null;
  /** Stamp templates file (MAPSIGN_STAMP_TEMPLATES); null: config/stamp-templates.json. */
  stampTemplatesPath: string | null;
  logLevel: string;
}

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';
/** 2 GiB: 1 GB sheets happen; twice that is refused with 413. */
export const DEFAULT_MAX_UPLOAD_BYTES = 2 * 1024 ** 3;
export const SAMPLE_SIGNER_NAME = 'department-seal';

/** certs-sample/ of this checkout (src/ or dist/src/ alike). */
export function samplePkiDir(): string {
  const fromSource = fileURLToPath(new URL('../certs-sample/', import.meta.url));
  return existsSync(fromSource) ? fromSource : fileURLToPath(new URL('../../certs-sample/', import.meta.url));
}

type Env = Readonly<Record<string, string | undefined>>;

function readInteger(env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new MapsignError('CONFIG_INVALID', `${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(raw)}`, { details: { name } });
  }
  return value;
}

function parseSigners(text: string, source: string): Record<string, SignerKeyConfig> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new MapsignError('CONFIG_INVALID', `${source} is not JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new MapsignError('CONFIG_INVALID', `${source} must map signer names to {p12, passwordEnv|passwordFile}`);
  const signers: Record<string, SignerKeyConfig> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    const entry = value as Partial<SignerKeyConfig> | null;
    if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(name) || typeof entry !== 'object' || entry === null || typeof entry.p12 !== 'string') {
      throw new MapsignError('CONFIG_INVALID', `${source}: signer ${JSON.stringify(name)} needs a lower-case name and a "p12" path`);
    }
    const hasPassword = [entry.passwordEnv, entry.passwordFile, entry.password].filter((v) => typeof v === 'string').length;
    if (hasPassword !== 1) throw new MapsignError('CONFIG_INVALID', `${source}: signer ${name} needs exactly one of passwordEnv, passwordFile, password`);
    signers[name] = {
      p12: resolve(entry.p12),
      passwordEnv: entry.passwordEnv,
      passwordFile: entry.passwordFile === undefined ? undefined : resolve(entry.passwordFile),
      password: entry.password,
      scheme: entry.scheme === 'rsa-pss' ? 'rsa-pss' : undefined,
      ...imagePaths(entry, `${source}: signer ${name}`),
    };
  }
  return signers;
}

/** The optional stamp image paths of a signer entry (signatureImage, sealImage), resolved. */
export function imagePaths(entry: { signatureImage?: unknown; sealImage?: unknown }, where: string): Pick<SignerKeyConfig, 'signatureImage' | 'sealImage'> {
  const images: Pick<SignerKeyConfig, 'signatureImage' | 'sealImage'> = {};
  for (const key of ['signatureImage', 'sealImage'] as const) {
    const value = entry[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' || value === '') throw new MapsignError('CONFIG_INVALID', `${where}: ${key} must be the path of a PNG file`);
    images[key] = resolve(value);
  }
  return images;
}

/**
 * Reads MAPSIGN_PUBLIC_URL: an http(s) URL without credentials, query or fragment; returned
 * without its trailing slash, so that `${url}/v/<code>` is the verification page.
 *
 * @throws MapsignError `CONFIG_INVALID`
 */
export function parsePublicUrl(text: string | undefined, name = 'MAPSIGN_PUBLIC_URL'): string | null {
  const raw = text?.trim();
  if (!raw) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new MapsignError('CONFIG_INVALID', `${name} must be a URL such as https://mapsign.example.gov.vn, not ${JSON.stringify(raw)}`, { details: { name } });
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.search || url.hash) {
    throw new MapsignError('CONFIG_INVALID', `${name} must be an http(s) URL without credentials, query or fragment`, { details: { name } });
  }
  return url.toString().replace(/\/+$/, '');
}

const HOST_NAME = /^(\*\.)?[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/;

/**
 * Reads MAPSIGN_CALLBACK_ALLOW: comma-separated host names (`dossier.internal`, `*.tnmt.gov.vn`),
 * addresses (`127.0.0.1`, `::1`) and CIDR subnets (`10.20.0.0/16`, `fd00::/8`).
 *
 * @throws MapsignError `CONFIG_INVALID`
 */
export function parseCallbackAllowList(text: string, source = 'MAPSIGN_CALLBACK_ALLOW'): CallbackAllowEntry[] {
  const entries: CallbackAllowEntry[] = [];
  for (const raw of text.split(',')) {
    const item = raw.trim().toLowerCase();
    if (item === '') continue;
    const invalid = (): MapsignError => new MapsignError('CONFIG_INVALID', `${source}: ${JSON.stringify(raw.trim())} is not a host name, an IP address or a CIDR subnet`, { details: { name: source } });
    const slash = item.indexOf('/');
    const address = (slash === -1 ? item : item.slice(0, slash)).replace(/^\[(.*)\]$/, '$1');
    const version = isIP(address);
    if (version !== 0) {
      const max = version === 4 ? 32 : 128;
      const prefixText = slash === -1 ? String(max) : item.slice(slash + 1);
      const prefix = Number(prefixText);
      if (!/^\d{1,3}$/.test(prefixText) || prefix > max) throw invalid();
      entries.push({ kind: 'subnet', address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' });
    } else if (slash === -1 && item.length <= 253 && HOST_NAME.test(item)) {
      entries.push({ kind: 'host', host: item.replace(/\.$/, '') });
    } else {
      throw invalid();
    }
  }
  return entries;
}

/**
 * Where the service keeps its requests, deliveries, grants, staff claims and API keys. With both
 * DATABASE_URL and REDIS_URL (the distributed mode) they go to PostgreSQL, so that the API and
 * workers on any machine share them; otherwise to service.sqlite under the data folder. The
 * embedded queue (no REDIS_URL) keeps its jobs in that SQLite file beside the requests and runs
 * every job in one process, so PostgreSQL would give it nothing but a second database to reach.
 */
export function serviceStoreOf(config: Pick<ServiceConfig, 'databaseUrl' | 'redisUrl'>): 'postgres' | 'sqlite' {
  return config.databaseUrl !== null && config.redisUrl !== null ? 'postgres' : 'sqlite';
}

/**
 * Reads the service configuration: PORT, HOST, MAPSIGN_DATA_DIR, REDIS_URL, MAPSIGN_QUEUE_PREFIX,
 * MAPSIGN_MAX_UPLOAD_BYTES, MAPSIGN_{SIGN,ARCHIVE,NOTIFY}_CONCURRENCY, MAPSIGN_{SIGN,ARCHIVE,NOTIFY}_ATTEMPTS,
 * MAPSIGN_BACKOFF_MS, MAPSIGN_LOCK_DURATION_MS, MAPSIGN_STALLED_INTERVAL_MS, MAPSIGN_SIGNERS_FILE (or
 * MAPSIGN_SIGNERS as JSON), TRUST_DIR, MAPSIGN_VERIFY_RATE, MAPSIGN_WEBHOOK_TIMEOUT_MS, MAPSIGN_CALLBACK_ALLOW, TSA_URL, MAPSIGN_PUBLIC_URL, MAPSIGN_STAMP_TEMPLATES, LOG_LEVEL.
 *
 * @throws MapsignError `CONFIG_INVALID`
 */
export function readServiceConfig(env: Env = process.env, signersFileText?: (path: string) => string): ServiceConfig {
  const redisUrl = env['REDIS_URL']?.trim() || null;
  if (redisUrl !== null && !/^rediss?:\/\//.test(redisUrl)) throw new MapsignError('CONFIG_INVALID', 'REDIS_URL must be a redis:// or rediss:// URL');
  let signers: Record<string, SignerKeyConfig>;
  let isSampleSigners = false;
  const signersFile = env['MAPSIGN_SIGNERS_FILE']?.trim();
  const signersJson = env['MAPSIGN_SIGNERS']?.trim();
  if (signersFile) {
    if (!signersFileText) throw new MapsignError('CONFIG_INVALID', 'MAPSIGN_SIGNERS_FILE is set but cannot be read here');
    signers = parseSigners(signersFileText(signersFile), signersFile);
  } else if (signersJson) {
    signers = parseSigners(signersJson, 'MAPSIGN_SIGNERS');
  } else {
    // The embedded default: the sample department seal, whose password is public (certs-sample/README.md).
    signers = { [SAMPLE_SIGNER_NAME]: { p12: resolve(samplePkiDir(), 'department-seal.p12'), password: 'mapsign-sample' } };
    isSampleSigners = true;
  }
  const trustDir = env['TRUST_DIR']?.trim() || null;
  return {
    port: readInteger(env, 'PORT', DEFAULT_PORT, 0, 65535),
    host: env['HOST']?.trim() || DEFAULT_HOST,
    dataDir: resolve(env['MAPSIGN_DATA_DIR']?.trim() || './data'),
    databaseUrl: env['DATABASE_URL']?.trim() || null,
    postgresSchema: env['MAPSIGN_PG_SCHEMA']?.trim() || 'mapsign',
    redisUrl,
    queuePrefix: env['MAPSIGN_QUEUE_PREFIX']?.trim() || 'mapsign',
    maxUploadBytes: readInteger(env, 'MAPSIGN_MAX_UPLOAD_BYTES', DEFAULT_MAX_UPLOAD_BYTES, 1),
    maxSheetsPerRequest: readInteger(env, 'MAPSIGN_MAX_SHEETS', 100, 1, 10_000),
    concurrency: {
      sign: readInteger(env, 'MAPSIGN_SIGN_CONCURRENCY', 2, 1, 256),
      archive: readInteger(env, 'MAPSIGN_ARCHIVE_CONCURRENCY', 1, 1, 256),
      notify: readInteger(env, 'MAPSIGN_NOTIFY_CONCURRENCY', 4, 1, 256),
    },
    attempts: {
      sign: readInteger(env, 'MAPSIGN_SIGN_ATTEMPTS', 5, 1, 100),
      archive: readInteger(env, 'MAPSIGN_ARCHIVE_ATTEMPTS', 5, 1, 100),
      notify: readInteger(env, 'MAPSIGN_NOTIFY_ATTEMPTS', 8, 1, 100),
    },
    backoffMs: readInteger(env, 'MAPSIGN_BACKOFF_MS', 2000, 1),
    lockDurationMs: readInteger(env, 'MAPSIGN_LOCK_DURATION_MS', 30_000, 500),
    stalledIntervalMs: readInteger(env, 'MAPSIGN_STALLED_INTERVAL_MS', 30_000, 200),
    signers,
    isSampleSigners,
    trustDir: trustDir ? resolve(trustDir) : null,
    verifyRatePerMinute: readInteger(env, 'MAPSIGN_VERIFY_RATE', 30, 1),
    webhookTimeoutMs: readInteger(env, 'MAPSIGN_WEBHOOK_TIMEOUT_MS', 10_000, 100),
    callbackAllow: parseCallbackAllowList(env['MAPSIGN_CALLBACK_ALLOW'] ?? ''),
    tsaUrl: env['TSA_URL']?.trim() || null,
    publicUrl: parsePublicUrl(env['MAPSIGN_PUBLIC_URL']),
    stampTemplatesPath: env['MAPSIGN_STAMP_TEMPLATES']?.trim() ? resolve(env['MAPSIGN_STAMP_TEMPLATES'].trim()) : null,
    logLevel: env['LOG_LEVEL']?.trim() || 'info',
  };
}
