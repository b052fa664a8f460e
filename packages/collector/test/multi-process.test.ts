import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStorage } from '../src/storage/open-storage.ts';
import { makeBatch, makeProfile } from './fixtures.ts';
import { freshDatabaseWithKeys } from './postgres-helpers.ts';
import { type CollectorProcess, pool, postBatch, spawnCollector } from './spawn-collector.ts';

describe('two collector processes on one PostgreSQL', () => {
  let databaseUrl: string;
  let collectors: CollectorProcess[] = [];
  let ingest: string;
  let read: string;

  beforeAll(async () => {
    ({ databaseUrl, ingest, read } = await freshDatabaseWithKeys());
    collectors = await Promise.all([0, 1].map(() => spawnCollector(['--database-url', databaseUrl])));
  });
  afterAll(async () => {
    expect(await Promise.all(collectors.map((c) => c.stop()))).toEqual([0, 0]);
  });

  it('counts 200 devices exactly when every batch is also retried on the other replica', async () => {
    const start = Date.now() - 3 * 60_000;
    const profiles = [1, 2, 3].map((n) => makeProfile(n, { seed: n }));
    const batches = Array.from({ length: 200 }, (_, d) =>
      [0, 1].map((k) =>
        makeBatch({
          model: 'fleet',
          deviceId: `device-${d}`,
          backend: d % 2 ? 'wasm' : 'webgpu',
          start: start + k * 60_000,
          profile: profiles[(d + k) % 3]!,
        }),
      ),
    ).flat();
    const expected = batches.reduce((s, _b, i) => s + ((Math.floor(i / 2) + (i % 2)) % 3) + 1, 0);
    const results = await pool(
      32,
      batches.flatMap((b, i) => [
        () => postBatch(collectors[i % 2]!.url, ingest, b),
        () => postBatch(collectors[(i + 1) % 2]!.url, ingest, b),
      ]),
    );
    expect(results.filter((r) => r.status !== 200).slice(0, 3)).toEqual([]);
    expect(results.filter((r) => r.duplicate === false)).toHaveLength(batches.length);
    for (const c of collectors) {
      const res = await fetch(`${c.url}/v1/models/fleet/summary`, {
        headers: { authorization: `Bearer ${read}` },
      });
      expect(await res.json()).toMatchObject({ inferences: expected, devices: 200 });
    }
    // Both replicas' compactors (1 s interval) fold the parts into rollups; counts stay exact.
    const storage = await openStorage({ databaseUrl });
    try {
      for (let i = 0; i < 100; i++) {
        const rows = await storage.query<{ n: number }>('SELECT count(*)::integer AS n FROM rollup_parts');
        if (rows[0]!.n === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const rows = await storage.query<{ n: number; inf: number; parts: number }>(
        `SELECT count(*)::integer AS n, sum(inferences)::integer AS inf,
                (SELECT count(*) FROM rollup_parts)::integer AS parts FROM rollups WHERE model = 'fleet' AND resolution = 1`,
      );
      expect(rows[0]).toEqual({ n: 4, inf: expected, parts: 0 });
    } finally {
      await storage.close();
    }
  });
});
