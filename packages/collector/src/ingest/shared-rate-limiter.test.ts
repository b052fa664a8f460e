import { describe, expect, it } from 'vitest';
import { makeBatch } from '../../test/fixtures.ts';
import { freshDatabaseUrl, freshDatabaseWithKeys } from '../../test/postgres-helpers.ts';
import { startCollector } from '../server/start-collector.ts';
import { openStorage } from '../storage/open-storage.ts';
import type { Sql } from '../storage/storage.ts';
import { leaseSize, SharedRateLimiter } from './shared-rate-limiter.ts';

describe('key rate limit shared on PostgreSQL', () => {
  it('two collectors on one database together accept exactly the burst, then 429 with Retry-After', async () => {
    const { databaseUrl, ingest } = await freshDatabaseWithKeys();
    const N = 12;
    const opts = {
      port: 0,
      databaseUrl,
      logLevel: 'silent',
      rateLimit: { perKeyPerS: 0.001, perKeyBurst: N, perDevicePerS: Number.POSITIVE_INFINITY },
    };
    const a = await startCollector(opts);
    const b = await startCollector(opts);
    try {
      const send = (url: string, i: number) =>
        fetch(`${url}/v1/telemetry`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${ingest}` },
          body: JSON.stringify(makeBatch({ model: 'shared-limit', deviceId: `dev-${i}` })),
        });
      const responses = await Promise.all(
        Array.from({ length: 3 * N }, (_, i) => send(i % 2 === 0 ? a.url : b.url, i)),
      );
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(N);
      expect(statuses.filter((s) => s === 429)).toHaveLength(2 * N);
      const limited = responses.find((r) => r.status === 429)!;
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
      // Sequentially too, on either instance: still refused.
      expect((await send(a.url, 1000)).status).toBe(429);
      expect((await send(b.url, 1001)).status).toBe(429);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('leases tokens in batches when the limits are large: one round trip serves many requests', async () => {
    const storage = await openStorage({ databaseUrl: await freshDatabaseUrl() });
    try {
      let statements = 0;
      const counted: Sql = {
        query: (text, params, opts) => {
          if (text.includes('rate_buckets')) statements++;
          return storage.query(text, params, opts);
        },
      };
      const limiter = new SharedRateLimiter(counted, 10_000, 20_000);
      expect(limiter.lease).toBe(100);
      const started = Date.now();
      const waits = await Promise.all(Array.from({ length: 250 }, () => limiter.take('busy')));
      const elapsedMs = Date.now() - started;
      expect(waits.every((w) => w === 0)).toBe(true);
      expect(statements).toBe(3); // 100 + 100 + 100 tokens for 250 concurrent requests
      const rows = await storage.query<{ tokens: number }>(
        "SELECT tokens FROM rate_buckets WHERE subject = 'key:busy'",
      );
      // The 300 leased tokens left the shared row (which refills at 10 per ms meanwhile).
      expect(Number(rows[0]!.tokens)).toBeGreaterThanOrEqual(19_700 - 1e-6);
      expect(Number(rows[0]!.tokens)).toBeLessThanOrEqual(19_700 + 10 * elapsedMs + 1);
    } finally {
      await storage.close();
    }
  });

  it('sizes a lease as a hundredth of the rate, at most a twentieth of the burst, at least one token', () => {
    expect(leaseSize(20_000, 40_000)).toBe(200);
    expect(leaseSize(10_000, 1_000)).toBe(50);
    expect(leaseSize(0.001, 12)).toBe(1);
    expect(leaseSize(50, 10_000)).toBe(1);
  });
});
