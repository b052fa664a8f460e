import type { Sql } from '../storage/storage.ts';
import type { Limiter } from './rate-limiter.ts';

/*
 * One statement per lease: refill the bucket by the time since its last update (PostgreSQL's
 * clock, the same for every replica), take up to $4 whole tokens of what is there, answer how many
 * were granted and what is left. The row lock of the upsert serializes takes on one key across
 * every process. (In SET, `b.` is the row before the update.)
 */
const TAKE = `
INSERT INTO rate_buckets AS b (subject, tokens, granted, updated_at)
VALUES ($1, $3::float8 - least($4::float8, floor($3::float8)), least($4::float8, floor($3::float8)), now())
ON CONFLICT (subject) DO UPDATE SET
  granted = least($4::float8, floor(least($3::float8,
    b.tokens + extract(epoch FROM now() - b.updated_at)::float8 * $2::float8))),
  tokens = least($3::float8, b.tokens + extract(epoch FROM now() - b.updated_at)::float8 * $2::float8)
    - least($4::float8, floor(least($3::float8,
      b.tokens + extract(epoch FROM now() - b.updated_at)::float8 * $2::float8))),
  updated_at = now()
RETURNING granted, tokens`;

/** How long leased tokens may be spent locally before they lapse (unused ones are lost, never returned). */
export const LEASE_MS = 1_000;

/** Tokens leased per round trip: a hundredth of a second's rate, at most a twentieth of the burst, at least 1. */
export function leaseSize(ratePerS: number, burst: number): number {
  return Math.max(1, Math.min(Math.floor(ratePerS / 100), Math.floor(burst / 20)));
}

/**
 * Token buckets kept in PostgreSQL (`rate_buckets`, one row per subject), so that a limit holds for
 * all the replicas and `serve --workers` processes on one database together, not per process.
 * Same contract as the in-process `RateLimiter`: `ratePerS` tokens a second, at most `burst` saved.
 *
 * To spare a round trip per request, a process leases `leaseSize` tokens at a time and spends them
 * locally for up to {@link LEASE_MS}; requests arriving while a lease is being fetched wait for it.
 * Leased tokens are taken from the shared bucket first, so the fleet never exceeds the limit; a
 * lease that lapses unspent only refuses a little early (at most `leaseSize` tokens per process per
 * second). With small limits the lease is 1 token: every request takes its own.
 */
export class SharedRateLimiter implements Limiter {
  readonly #leases = new Map<string, { tokens: number; until: number }>();
  readonly #fetching = new Map<string, Promise<number>>();
  readonly lease: number;

  constructor(
    private readonly sql: Sql,
    readonly ratePerS: number,
    readonly burst: number,
    /** Prefix of the row's subject, so that several limiters can share the table. */
    private readonly scope = 'key',
  ) {
    this.lease = leaseSize(ratePerS, burst);
  }

  async take(key: string): Promise<number> {
    if (!Number.isFinite(this.ratePerS) || this.ratePerS <= 0) return 0;
    // Requests that find the lease spent share one fetch of the next; each then tries to spend it.
    for (let round = 0; round < 4; round++) {
      if (this.#spend(key)) return 0;
      let fetching = this.#fetching.get(key);
      if (!fetching) {
        fetching = this.#fetchLease(key).finally(() => this.#fetching.delete(key));
        this.#fetching.set(key, fetching);
      }
      const wait = await fetching;
      if (wait > 0) return wait;
    }
    return 1;
  }

  #spend(key: string): boolean {
    const lease = this.#leases.get(key);
    if (!lease || lease.tokens < 1 || Date.now() >= lease.until) return false;
    lease.tokens--;
    return true;
  }

  /** Leases tokens into the local lease; answers 0, or the seconds to wait when none were granted. */
  async #fetchLease(key: string): Promise<number> {
    const rows = await this.sql.query<{ granted: number; tokens: number }>(
      TAKE,
      [`${this.scope}:${key}`, this.ratePerS, this.burst, this.lease],
      { name: 'driftline_rate_take' },
    );
    const granted = Number(rows[0]!.granted);
    if (granted < 1) return Math.max(1, Math.ceil((1 - Number(rows[0]!.tokens)) / this.ratePerS));
    if (this.#leases.size > 10_000) this.#leases.clear();
    this.#leases.set(key, { tokens: granted, until: Date.now() + LEASE_MS });
    return 0;
  }
}
