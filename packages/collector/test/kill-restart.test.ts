import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEV_KEYS } from '../src/server/options.ts';
import { makeBatch, makeProfile } from './fixtures.ts';
import { freshDatabaseUrl } from './postgres-helpers.ts';
import { pool, postBatch, spawnCollector } from './spawn-collector.ts';

const modes: [string, () => Promise<{ args: string[]; cleanup: () => Promise<void> }>][] = [
  [
    'pglite data directory',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'driftline-kill-'));
      return { args: ['--data-dir', dir], cleanup: () => rm(dir, { recursive: true, force: true }) };
    },
  ],
  ['postgres', async () => ({ args: ['--database-url', await freshDatabaseUrl()], cleanup: async () => {} })],
];

describe.each(modes)('kill -9 during ingest, then restart (%s)', (_name, setup) => {
  it('loses no acknowledged batch and counts none twice', async () => {
    const { args, cleanup } = await setup();
    try {
      const first = await spawnCollector([...args, '--dev']);
      const start = Date.now() - 60_000;
      const batches = Array.from({ length: 300 }, (_, i) =>
        makeBatch({
          model: 'crash',
          deviceId: `dev-${i}`,
          start,
          profile: makeProfile(1 + (i % 4), { seed: i % 4 }),
        }),
      );
      const sizes = batches.map((_, i) => 1 + (i % 4));
      const acked = new Set<number>();
      const failures: unknown[] = [];
      let killed = false;
      await pool(
        16,
        batches.map((b, i) => async () => {
          const r = await postBatch(first.url, DEV_KEYS.ingest, b);
          if (r.status === 200) acked.add(i);
          else if (!killed) failures.push(r);
          if (acked.size >= 100 && !killed) {
            killed = true;
            await first.kill9();
          }
        }),
      );
      expect({ killed, failures: failures.slice(0, 3) }).toEqual({ killed: true, failures: [] });
      expect(acked.size).toBeGreaterThanOrEqual(100);
      expect(acked.size).toBeLessThan(batches.length);

      const second = await spawnCollector([...args, '--dev']);
      try {
        const summary = async () => {
          const res = await fetch(`${second.url}/v1/models/crash/summary`, {
            headers: { authorization: `Bearer ${DEV_KEYS.read}` },
          });
          return (await res.json()) as { inferences: number };
        };
        const ackedSum = [...acked].reduce((s, i) => s + sizes[i]!, 0);
        expect((await summary()).inferences).toBeGreaterThanOrEqual(ackedSum);
        // Devices retry everything they hold: every acknowledged batch must be known already.
        const retries = await pool(
          16,
          batches.map((b) => () => postBatch(second.url, DEV_KEYS.ingest, b)),
        );
        expect(retries.filter((r) => r.status !== 200).slice(0, 3)).toEqual([]);
        expect([...acked].filter((i) => retries[i]!.duplicate !== true)).toEqual([]);
        expect((await summary()).inferences).toBe(sizes.reduce((a, b) => a + b, 0));
      } finally {
        expect(await second.stop()).toBe(0);
      }
    } finally {
      await cleanup();
    }
  }, 180_000);
});
