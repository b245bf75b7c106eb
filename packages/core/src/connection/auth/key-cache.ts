/**
 * Cache of SCRAM keys (auth spec "Caching credentials in SCRAM"), so that new connections
 * skip PBKDF2. Entries are identified by mechanism, a SHA-256 of the prepared password
 * (never the password itself), the salt and the iteration count. Bounded, LRU.
 */
export interface ScramKeys {
  readonly clientKey: Uint8Array;
  readonly serverKey: Uint8Array;
}

export class ScramKeyCache {
  readonly maxEntries: number;
  readonly #entries = new Map<string, ScramKeys>();

  constructor(maxEntries = 64) {
    this.maxEntries = Math.max(1, maxEntries);
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): ScramKeys | undefined {
    const hit = this.#entries.get(key);
    if (hit) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, keys: ScramKeys): void {
    this.#entries.delete(key);
    this.#entries.set(key, keys);
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  clear(): void {
    this.#entries.clear();
  }
}

/** Shared by every authenticator that is not given its own cache. */
export const defaultScramKeyCache = new ScramKeyCache();
