import type { Manifest } from '@driftline/protocol';

/** The small key-value store the last known good version lives in (`localStorage` on a page). */
export interface KeyValue {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const memory = new Map<string, string>();
const memoryStore: KeyValue = {
  getItem: (k) => memory.get(k) ?? null,
  setItem: (k, v) => void memory.set(k, v),
};

/** `localStorage` where the page has it, else a per-page memory map. */
export function defaultKeyValue(): KeyValue {
  try {
    if (typeof localStorage !== 'undefined') return localStorage;
  } catch {
    // Storage blocked: no offline start, the runtime still works online.
  }
  return memoryStore;
}

/**
 * Remembers, per collector and model, the manifest of the version this device last ran with
 * success. Its bytes stay in Cache Storage under their SHA-256, so it can start offline and be
 * returned to when a new version fails.
 */
export class LastKnownGood {
  constructor(
    private readonly collector: string,
    private readonly model: string,
    private readonly store: KeyValue = defaultKeyValue(),
  ) {}

  private get key(): string {
    return `driftline:lkg:${new URL(this.collector).origin}:${this.model}`;
  }

  get(): Manifest | undefined {
    try {
      const raw = this.store.getItem(this.key);
      const manifest = raw ? (JSON.parse(raw) as Manifest) : undefined;
      return manifest?.model === this.model && Array.isArray(manifest.files) ? manifest : undefined;
    } catch {
      return undefined;
    }
  }

  set(manifest: Manifest): void {
    try {
      this.store.setItem(this.key, JSON.stringify(manifest));
    } catch {
      // A full or blocked storage only costs the offline start.
    }
  }
}
