import { describe, expect, it } from 'vitest';
import { makeBatch } from '../../test/fixtures.ts';
import { freshDatabaseWithKeys } from '../../test/postgres-helpers.ts';
import { startCollector } from '../server/start-collector.ts';

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
});
