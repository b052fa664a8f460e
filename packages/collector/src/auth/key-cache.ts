import type { Sql } from '../storage/storage.ts';
import { type KeyLookup, type KeyRole, lookupKey } from './keys.ts';

/** An authenticated caller. */
export interface Principal {
  id: string;
  role: KeyRole;
  app: string | null;
  origins: string[];
}

/** What a secret resolves to: the caller, or why it is refused. */
export type KeyCheck = { principal: Principal } | { refused: 'unknown' | 'revoked' | 'expired' };

/**
 * Caches key lookups for a few seconds so that ingest does not query the key table per request.
 * A revoked key stops working within `ttlMs` on every replica; an expiring key stops at its expiry
 * exactly (the cached entry knows when).
 */
export class KeyCache {
  readonly #entries = new Map<string, { at: number; found: KeyLookup }>();
  constructor(
    private readonly sql: Sql,
    private readonly ttlMs = 5_000,
  ) {}

  async check(secret: string, now = Date.now()): Promise<KeyCheck> {
    let hit = this.#entries.get(secret);
    if (!hit || now - hit.at >= this.ttlMs) {
      hit = { at: now, found: await lookupKey(this.sql, secret, now) };
      if (this.#entries.size > 10_000) this.#entries.clear();
      this.#entries.set(secret, hit);
    }
    const { found } = hit;
    if (found.status !== 'active') return { refused: found.status };
    if (found.key.expiresAtMs !== null && found.key.expiresAtMs <= now) return { refused: 'expired' };
    const { id, role, app, origins } = found.key;
    return { principal: { id, role, app, origins } };
  }

  clear(): void {
    this.#entries.clear();
  }
}
