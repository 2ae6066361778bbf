// Where the trust store comes from in configuration: TRUST_DIR (roots), TRUST_INTERMEDIATES_DIR
// (untrusted intermediates) and TRUST_FETCH_CA_ISSUERS (AIA fetching, off by default).
import { MapsignError } from '../errors.js';
import { loadTrustStore, type CaIssuersOptions, type LoadTrustStoreOptions, type TrustStore } from './trust-store.js';

export interface TrustConfigOverrides {
  /** A `--trust DIR|FILE` option; wins over TRUST_DIR. */
  trust?: string;
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['', '0', 'false', 'no', 'off']);

/** Reads the trust settings from `env`; null when no roots are configured (trust checking off). */
export function readTrustConfig(env: Readonly<Record<string, string | undefined>>, overrides: TrustConfigOverrides = {}): LoadTrustStoreOptions | null {
  const roots = overrides.trust ?? env['TRUST_DIR'];
  if (roots === undefined || roots === '') return null;
  const intermediates = env['TRUST_INTERMEDIATES_DIR'];
  const fetchFlag = (env['TRUST_FETCH_CA_ISSUERS'] ?? '').trim().toLowerCase();
  if (!TRUE.has(fetchFlag) && !FALSE.has(fetchFlag)) {
    throw new MapsignError('CONFIG_INVALID', `TRUST_FETCH_CA_ISSUERS must be true or false, not "${fetchFlag}"`);
  }
  return {
    roots: [roots],
    intermediates: intermediates ? [intermediates] : [],
    caIssuers: { isEnabled: TRUE.has(fetchFlag) },
  };
}

/** The trust store the configuration names, or null when none is configured. */
export async function loadConfiguredTrustStore(env: Readonly<Record<string, string | undefined>>, overrides: TrustConfigOverrides = {}): Promise<TrustStore | null> {
  const config = readTrustConfig(env, overrides);
  return config === null ? null : loadTrustStore(config);
}

/** Trust for one use: a trust store already loaded (shared), or the files to load one from. */
export interface TrustOptions {
  store?: TrustStore;
  /** Files or folders of roots; used when `store` is absent. */
  roots?: string[];
  intermediates?: string[];
  caIssuers?: CaIssuersOptions;
  /** Skip files that hold no readable certificate instead of refusing them (see LoadTrustStoreOptions). */
  shouldSkipUnreadable?: boolean;
}

/** The trust store `options` describe. Raises CONFIG_INVALID when they name neither a store nor roots. */
export async function resolveTrustStore(options: TrustOptions): Promise<TrustStore> {
  if (options.store) return options.store;
  if (!options.roots || options.roots.length === 0) throw new MapsignError('CONFIG_INVALID', 'trust is configured without roots');
  return loadTrustStore({ roots: options.roots, intermediates: options.intermediates, caIssuers: options.caIssuers, shouldSkipUnreadable: options.shouldSkipUnreadable });
}
