import type { Profile } from '@driftline/protocol';
import type { Storage } from '../storage/storage.ts';

/**
 * Decoded profiles of the parts this process stored, by part id, so that its compactor merges
 * them without decoding the bytes again. Bounded (oldest out first); a miss only costs a decode,
 * so parts stored by another replica or before a restart are compacted all the same.
 */
export class PartCache {
  readonly #profiles = new Map<number, Profile>();
  /**
   * Highest part id in storage when this process's compactor last looked: parts of other
   * processes up to it have had a whole compaction interval for their owner to take them.
   */
  foreignUpTo = 0;
  constructor(private readonly max = 4_096) {}

  set(id: number, profile: Profile): void {
    if (this.#profiles.size >= this.max) {
      const oldest = this.#profiles.keys().next();
      if (!oldest.done) this.#profiles.delete(oldest.value);
    }
    this.#profiles.set(id, profile);
  }

  /** Removes and answers the profile of part `id`, if cached. */
  take(id: number): Profile | undefined {
    const p = this.#profiles.get(id);
    if (p) this.#profiles.delete(id);
    return p;
  }

  ids(): number[] {
    return [...this.#profiles.keys()];
  }

  get size(): number {
    return this.#profiles.size;
  }
}

const caches = new WeakMap<Storage, PartCache>();

/** The part cache of a storage handle: shared by the ingest route and the compactor using it. */
export function partCacheFor(storage: Storage): PartCache {
  let c = caches.get(storage);
  if (!c) {
    c = new PartCache();
    caches.set(storage, c);
  }
  return c;
}
