import { sha256Hex } from './sha256.ts';

/** The Cache Storage name every model byte lives under. */
export const CACHE_NAME = 'driftline-models-v1';

/** The part of `CacheStorage` the store uses (`caches` on a page or in a worker). */
export type CacheStorageLike = Pick<CacheStorage, 'open'>;

/** The Cache Storage key of one part of a stored model: `/__driftline/models/<id>/<part>`. */
export function keyFor(id: string, part: string): string {
  return new URL(`/__driftline/models/${id}/${part}`, globalThis.location?.href ?? 'http://localhost/').href;
}

/** `caches` where the context has it. */
export function defaultCacheStorage(): CacheStorageLike | undefined {
  return typeof caches === 'undefined' ? undefined : caches;
}

/**
 * Model files in Cache Storage under their own SHA-256, shared by the page (which downloads a
 * version ahead) and the worker (which loads it). Best effort: a blocked or full cache only costs
 * a second download or the offline start.
 */
export class FileCache {
  constructor(private readonly storage: CacheStorageLike | undefined = defaultCacheStorage()) {}

  private async open(): Promise<Cache | undefined> {
    try {
      return await this.storage?.open(CACHE_NAME);
    } catch {
      return undefined;
    }
  }

  /** Whether a file with this SHA-256 is stored (its bytes are checked when read). */
  async has(sha256: string): Promise<boolean> {
    try {
      return Boolean(await (await this.open())?.match(keyFor(sha256, 'main')));
    } catch {
      return false;
    }
  }

  /** The stored bytes of `sha256`, or undefined when absent or no longer hashing to it. */
  async read(sha256: string): Promise<Uint8Array | undefined> {
    try {
      const hit = await (await this.open())?.match(keyFor(sha256, 'main'));
      if (!hit) return undefined;
      const bytes = new Uint8Array(await hit.arrayBuffer());
      return (await sha256Hex(bytes)) === sha256 ? bytes : undefined;
    } catch {
      return undefined;
    }
  }

  /** Stores `bytes`, which the caller has verified to hash to `sha256`. */
  async write(sha256: string, bytes: Uint8Array): Promise<void> {
    try {
      await (await this.open())?.put(keyFor(sha256, 'main'), new Response(bytes.slice()));
    } catch {
      // Only costs a second download, or the offline start.
    }
  }
}
