import type { Principal } from '../auth/key-cache.ts';
import { isActiveKey, listKeys } from '../auth/keys.ts';
import type { Sql } from '../storage/storage.ts';

/**
 * Which browser origins may send telemetry. An ingest key is public (it sits in a web page), so,
 * like a Sentry DSN, a key created without `origins` accepts any origin; a key with `origins`
 * accepts only those. A preflight carries no key, so it is allowed when some active ingest key (or
 * the collector's `corsOrigins`) would accept the origin; the request itself is then checked
 * against its own key.
 */
export class OriginPolicy {
  #cached: { at: number; anyOrigin: boolean; origins: Set<string> } | null = null;
  constructor(
    private readonly sql: Sql,
    private readonly corsOrigins: readonly string[],
    private readonly ttlMs = 5_000,
  ) {}

  /** Whether a preflight from `origin` may go on to the request (some key or the config allows it). */
  async preflight(origin: string, now = Date.now()): Promise<boolean> {
    if (this.corsOrigins.includes('*') || this.corsOrigins.includes(origin)) return true;
    if (!this.#cached || now - this.#cached.at > this.ttlMs) {
      const keys = (await listKeys(this.sql)).filter((k) => k.role === 'ingest' && isActiveKey(k, now));
      this.#cached = {
        at: now,
        anyOrigin: keys.some((k) => k.origins.length === 0),
        origins: new Set(keys.flatMap((k) => k.origins)),
      };
    }
    return this.#cached.anyOrigin || this.#cached.origins.has(origin);
  }

  /** Whether a request with this key may come from `origin` (no Origin: not a browser, allowed). */
  keyAllows(principal: Principal, origin: string | undefined): boolean {
    if (!origin || principal.role !== 'ingest' || principal.origins.length === 0) return true;
    return principal.origins.includes(origin);
  }

  /** Whether the configuration lists `origin` for every key (`corsOrigins`). */
  configured(origin: string): boolean {
    return this.corsOrigins.includes('*') || this.corsOrigins.includes(origin);
  }
}
