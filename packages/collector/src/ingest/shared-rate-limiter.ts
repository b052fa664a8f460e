import type { Sql } from '../storage/storage.ts';
import type { Limiter } from './rate-limiter.ts';

/*
 * One statement per request: refill the bucket by the time since its last update (PostgreSQL's
 * clock, the same for every replica), take a token when one is there, answer what was left. The row
 * lock of the upsert serializes concurrent takes on one key across every process.
 */
const TAKE = `
INSERT INTO rate_buckets AS b (subject, tokens, granted, updated_at)
VALUES ($1, $3::float8 - 1, true, now())
ON CONFLICT (subject) DO UPDATE SET
  granted = least($3::float8, b.tokens + extract(epoch FROM now() - b.updated_at)::float8 * $2::float8) >= 1,
  tokens = least($3::float8, b.tokens + extract(epoch FROM now() - b.updated_at)::float8 * $2::float8)
    - CASE WHEN least($3::float8, b.tokens + extract(epoch FROM now() - b.updated_at)::float8 * $2::float8) >= 1
      THEN 1 ELSE 0 END,
  updated_at = now()
RETURNING granted, tokens`;

/**
 * Token buckets kept in PostgreSQL (`rate_buckets`, one row per subject), so that a limit holds for
 * all the replicas and `serve --workers` processes on one database together, not per process.
 * Same contract as the in-process `RateLimiter`: `ratePerS` tokens a second, at most `burst` saved.
 */
export class SharedRateLimiter implements Limiter {
  constructor(
    private readonly sql: Sql,
    readonly ratePerS: number,
    readonly burst: number,
    /** Prefix of the row's subject, so that several limiters can share the table. */
    private readonly scope = 'key',
  ) {}

  async take(key: string): Promise<number> {
    if (!Number.isFinite(this.ratePerS) || this.ratePerS <= 0) return 0;
    const rows = await this.sql.query<{ granted: boolean; tokens: number }>(
      TAKE,
      [`${this.scope}:${key}`, this.ratePerS, this.burst],
      { name: 'driftline_rate_take' },
    );
    const row = rows[0]!;
    if (row.granted) return 0;
    return Math.max(1, Math.ceil((1 - Number(row.tokens)) / this.ratePerS));
  }
}
