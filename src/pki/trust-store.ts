// The trust store: the configured roots (trust anchors, RFC 5280 §6.1.1 (d)) and a pool of
// untrusted intermediates from a configured folder, plus — only when enabled — issuers fetched
// from a certificate's AIA caIssuers URL (RFC 5280 §4.2.2.1). Trust comes only from the roots.
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import * as pkijs from 'pkijs';
import { fromSystemError, MapsignError } from '../errors.js';
import { fetchHttp } from './http-fetch.js';
import { decodeCertificates, isCandidateIssuer, parseX509, type ParsedCertificate } from './x509.js';

export interface CaIssuersOptions {
  /** Fetch missing issuers from the AIA caIssuers URL; off unless set. */
  isEnabled: boolean;
  /** Default 5000 ms. */
  timeoutMs?: number;
  /** Default 256 KiB. */
  maxBytes?: number;
  /** Maps a URL written in a certificate to the one to fetch (tests, local mirrors). */
  rewriteUrl?: (url: string) => string;
}

export interface CreateTrustStoreOptions {
  /** DER or PEM of the roots. Only CA certificates become anchors; others are listed in `ignored`. */
  roots: Buffer[];
  /** DER or PEM of untrusted intermediates that path building may use. */
  intermediates?: Buffer[];
  caIssuers?: CaIssuersOptions;
}

export interface LoadTrustStoreOptions {
  /** Files (PEM bundles, DER) or folders whose `.pem`, `.crt`, `.cer`, `.der` and hashed `.0` files hold roots. */
  roots: string[];
  /** Files or folders of untrusted intermediates. */
  intermediates?: string[];
  caIssuers?: CaIssuersOptions;
  /**
   * Skip files that hold no readable certificate (a CRL or key named `.der`, say) instead of
   * refusing the folder; default false. `mapsign verify --trust certs-sample/` uses it.
   */
  shouldSkipUnreadable?: boolean;
}

const CERT_FILE = /\.(pem|crt|cer|der|\d+)$/i;
const MAX_CERT_FILE_BYTES = 4 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_CA_ISSUERS_BYTES = 256 * 1024;

function isUsableAsAnchor(cert: ParsedCertificate): boolean {
  // A v1 root has no extensions at all; it is accepted as configured. A v3 certificate must say CA.
  return cert.info.isCa || (!cert.hasBasicConstraints && (cert.cert.extensions ?? []).length === 0);
}

/** Roots and intermediates, parsed once; asks for issuers by name and key identifier. */
export class TrustStore {
  readonly roots: readonly ParsedCertificate[];
  readonly intermediates: readonly ParsedCertificate[];
  /** Subjects of certificates given as roots that are not CA certificates, so not anchors. */
  readonly ignored: readonly string[];
  readonly #caIssuers: CaIssuersOptions;
  readonly #fetched = new Map<string, Promise<ParsedCertificate[]>>();

  constructor(options: CreateTrustStoreOptions) {
    const roots = dedupe(options.roots.flatMap(decodeCertificates).map(parseX509));
    this.roots = roots.filter(isUsableAsAnchor);
    this.ignored = roots.filter((cert) => !isUsableAsAnchor(cert)).map((cert) => cert.info.subject);
    this.intermediates = dedupe((options.intermediates ?? []).flatMap(decodeCertificates).map(parseX509));
    this.#caIssuers = options.caIssuers ?? { isEnabled: false };
  }

  /** Whether `cert` is one of the configured anchors (same DER). */
  isAnchor(cert: ParsedCertificate): boolean {
    return this.roots.some((root) => root.fingerprint === cert.fingerprint);
  }

  /** Anchors that may have issued `cert` (name and key identifier; signatures are checked later). */
  findAnchorIssuers(cert: ParsedCertificate): ParsedCertificate[] {
    return this.roots.filter((root) => isCandidateIssuer(cert, root));
  }

  /** Untrusted issuers of `cert` from `extra` (the signature's or key file's certificates) and the configured pool. */
  findIntermediateIssuers(cert: ParsedCertificate, extra: readonly ParsedCertificate[]): ParsedCertificate[] {
    return dedupe([...extra, ...this.intermediates]).filter((candidate) => candidate.fingerprint !== cert.fingerprint && isCandidateIssuer(cert, candidate));
  }

  /**
   * Issuers named by `cert`'s AIA caIssuers URLs, when enabled: a DER certificate, PEM, or a
   * certs-only CMS (RFC 5280 §4.2.2.1). Failures yield nothing; each URL is fetched once.
   */
  async fetchCaIssuers(cert: ParsedCertificate): Promise<ParsedCertificate[]> {
    if (!this.#caIssuers.isEnabled) return [];
    const found: ParsedCertificate[] = [];
    for (const url of cert.caIssuersUrls) {
      const target = this.#caIssuers.rewriteUrl ? this.#caIssuers.rewriteUrl(url) : url;
      let pending = this.#fetched.get(target);
      if (pending === undefined) {
        pending = fetchHttp(target, {
          timeoutMs: this.#caIssuers.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          maxBytes: this.#caIssuers.maxBytes ?? DEFAULT_CA_ISSUERS_BYTES,
          accept: 'application/pkix-cert, application/pkcs7-mime',
        }).then(decodeCaIssuers, () => []);
        this.#fetched.set(target, pending);
      }
      found.push(...(await pending).filter((candidate) => isCandidateIssuer(cert, candidate)));
    }
    return dedupe(found);
  }
}

function dedupe(certs: ParsedCertificate[]): ParsedCertificate[] {
  const seen = new Set<string>();
  return certs.filter((cert) => !seen.has(cert.fingerprint) && seen.add(cert.fingerprint) !== undefined);
}

function decodeCaIssuers(body: Buffer): ParsedCertificate[] {
  const ders = decodeCertificates(body);
  const parsed: ParsedCertificate[] = [];
  for (const der of ders) {
    try {
      parsed.push(parseX509(der));
    } catch {
      parsed.push(...readCertsOnlyCms(der));
    }
  }
  return parsed;
}

/** ContentInfo(SignedData) with certificates and no signers: the `.p7c` form of caIssuers. */
function readCertsOnlyCms(der: Buffer): ParsedCertificate[] {
  try {
    const info = pkijs.ContentInfo.fromBER(new Uint8Array(der));
    const signedData = new pkijs.SignedData({ schema: info.content });
    return (signedData.certificates ?? [])
      .filter((cert): cert is pkijs.Certificate => cert instanceof pkijs.Certificate)
      .map((cert) => parseX509(Buffer.from(cert.toSchema().toBER())));
  } catch {
    return [];
  }
}

/** Builds a trust store from certificates in memory. */
export function createTrustStore(options: CreateTrustStoreOptions): TrustStore {
  return new TrustStore(options);
}

/**
 * Reads roots and intermediates from files and folders (not recursive). Raises CONFIG_INVALID
 * when a configured path holds no certificate, and INPUT_NOT_FOUND when it does not exist.
 */
export async function loadTrustStore(options: LoadTrustStoreOptions): Promise<TrustStore> {
  const isLenient = options.shouldSkipUnreadable ?? false;
  const roots = await readCertificateFiles(options.roots, 'roots', isLenient);
  if (roots.length === 0) throw new MapsignError('CONFIG_INVALID', `no certificate found in the trust roots ${options.roots.join(', ')}`);
  const intermediates = await readCertificateFiles(options.intermediates ?? [], 'intermediates', isLenient);
  const store = new TrustStore({ roots, intermediates, caIssuers: options.caIssuers });
  if (store.roots.length === 0) {
    throw new MapsignError('CONFIG_INVALID', `the trust roots ${options.roots.join(', ')} hold no CA certificate`, {
      details: { ignored: [...store.ignored] },
    });
  }
  return store;
}

async function readCertificateFiles(paths: string[], what: string, isLenient: boolean): Promise<Buffer[]> {
  const certs: Buffer[] = [];
  for (const path of paths) {
    let files: string[];
    try {
      const info = await stat(path);
      files = info.isDirectory()
        ? (await readdir(path))
            .filter((name) => CERT_FILE.test(name))
            .sort()
            .map((name) => join(path, name))
        : [path];
    } catch (error) {
      throw fromSystemError(error, path);
    }
    for (const file of files) {
      const info = await stat(file).catch((error: unknown) => {
        throw fromSystemError(error, file);
      });
      if (!info.isFile() || info.size > MAX_CERT_FILE_BYTES) continue;
      const bytes = await readFile(file).catch((error: unknown) => {
        throw fromSystemError(error, file);
      });
      const ders = decodeCertificates(bytes);
      for (const der of ders) {
        try {
          parseX509(der);
          certs.push(der);
        } catch (error) {
          if (isLenient) continue;
          throw new MapsignError('CONFIG_INVALID', `${file} (trust ${what}) holds a certificate that cannot be read`, {
            cause: error,
            details: { path: file, extension: extname(file) },
          });
        }
      }
    }
  }
  return certs;
}
