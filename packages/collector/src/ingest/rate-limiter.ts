/** A token-bucket limiter: `take` answers 0 when allowed, else the seconds to wait before retrying. */
export interface Limiter {
  readonly ratePerS: number;
  readonly burst: number;
  take(key: string): number | Promise<number>;
}

/**
 * Token buckets keyed by a string (a key id, a device id): `ratePerS` tokens a second, at most
 * `burst` saved up. In memory and per process: several replicas each allow the full rate. The key
 * limits use it on PGlite (one process); on PostgreSQL they use the shared `SharedRateLimiter`.
 */
export class RateLimiter implements Limiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    readonly ratePerS: number,
    readonly burst: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Takes a token for `key`: 0 when allowed, else the seconds to wait before retrying. */
  take(key: string, now = Date.now()): number {
    if (!Number.isFinite(this.ratePerS) || this.ratePerS <= 0) return 0;
    let b = this.#buckets.get(key);
    if (!b) {
      if (this.#buckets.size >= this.maxKeys) this.#buckets.clear();
      b = { tokens: this.burst, at: now };
      this.#buckets.set(key, b);
    }
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.ratePerS);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.ratePerS));
  }
}
