import type { Manifest } from '@driftline/protocol';
import { StaleManifestError } from '../errors.ts';
import { defaultKeyValue, type KeyValue } from './last-known-good.ts';

/**
 * The newest `issuedAt` this device accepted per collector and model. A manifest issued before it
 * is a replay (a stale CDN copy, a hostile proxy moving the device back or freezing it) and is
 * refused; one past its `expiresAt` is refused too. A rollback is a newly issued manifest pointing
 * at an older version, so it passes.
 */
export class ManifestFreshness {
  constructor(
    private readonly collector: string,
    private readonly model: string,
    private readonly store: KeyValue = defaultKeyValue(),
  ) {}

  private get key(): string {
    return `driftline:issued:${new URL(this.collector).origin}:${this.model}`;
  }

  /** The newest `issuedAt` accepted so far (0 before the first). */
  newest(): number {
    try {
      const value = Number(this.store.getItem(this.key));
      return Number.isSafeInteger(value) && value > 0 ? value : 0;
    } catch {
      return 0;
    }
  }

  /**
   * Refuses `manifest` when it is older than the newest accepted or expired at `now`; else records
   * its `issuedAt`. Call it only on a manifest whose signature was checked.
   * @throws StaleManifestError
   */
  accept(manifest: Manifest, now = Date.now()): void {
    const newest = this.newest();
    if (manifest.issuedAt < newest) {
      throw new StaleManifestError(
        `The manifest of ${manifest.model} ${manifest.version} was issued at ${iso(manifest.issuedAt)}, before one this ` +
          `device already accepted (${iso(newest)}): a replayed copy (a stale cache or proxy between the device and the collector). ` +
          'The last known good version keeps running.',
      );
    }
    if (manifest.expiresAt !== undefined && manifest.expiresAt <= now) {
      throw new StaleManifestError(
        `The manifest of ${manifest.model} ${manifest.version} expired at ${iso(manifest.expiresAt)}: the collector's answer ` +
          'is not reaching this device fresh (a cache or proxy serving an old copy). The last known good version keeps running.',
      );
    }
    if (manifest.issuedAt > newest) {
      try {
        this.store.setItem(this.key, String(manifest.issuedAt));
      } catch {
        // A full or blocked storage only weakens replay protection across restarts.
      }
    }
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();
