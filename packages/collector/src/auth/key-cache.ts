import type { Sql } from '../storage/storage.ts';
import { findKey, type KeyRole } from './keys.ts';

/** An authenticated caller. */
export interface Principal {
  id: string;
  role: KeyRole;
  app: string | null;
  origins: string[];
}

/**
 * Caches key lookups for a few seconds so that ingest does not query the key table per request.
 * A revoked key stops working within `ttlMs` on every replica.
 */
export class KeyCache {
  readonly #entries = new Map<string, { at: number; principal: Principal | null }>();
  constructor(
    private readonly sql: Sql,
    private readonly ttlMs = 5_000,
  ) {}

  async lookup(secret: string, now = Date.now()): Promise<Principal | null> {
    const hit = this.#entries.get(secret);
    if (hit && now - hit.at < this.ttlMs) return hit.principal;
    const principal = await findKey(this.sql, secret);
    if (this.#entries.size > 10_000) this.#entries.clear();
    this.#entries.set(secret, { at: now, principal });
    return principal;
  }

  clear(): void {
    this.#entries.clear();
  }
}
