// Where fetched OCSP responses and CRLs are kept until their nextUpdate. Only verified data is
// stored, and it is verified again when read, so a cache never has to be trusted; the interface
// takes raw DER so a persistent store (SQLite, Redis) can implement it later.

/** One cached answer: the DER as fetched, from where, and when it stops being usable. */
export interface RevocationCacheEntry {
  kind: 'ocsp' | 'crl';
  der: Buffer;
  url: string;
  expiresAt: Date;
}

export interface RevocationCache {
  get(key: string): Promise<RevocationCacheEntry | undefined>;
  set(key: string, entry: RevocationCacheEntry): Promise<void>;
}

/** In-process cache; entries are dropped when read after they expire, and the oldest beyond `maxEntries`. */
export class MemoryRevocationCache implements RevocationCache {
  readonly #entries = new Map<string, RevocationCacheEntry>();
  readonly #maxEntries: number;
  readonly #clock: () => Date;

  constructor(options: { maxEntries?: number; clock?: () => Date } = {}) {
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#clock = options.clock ?? (() => new Date());
  }

  get size(): number {
    return this.#entries.size;
  }

  async get(key: string): Promise<RevocationCacheEntry | undefined> {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt.getTime() <= this.#clock().getTime()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  async set(key: string, entry: RevocationCacheEntry): Promise<void> {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }
}
