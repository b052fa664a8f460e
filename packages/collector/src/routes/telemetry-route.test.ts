import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBatch } from '../../test/fixtures.ts';
import { createKey } from '../auth/keys.ts';
import { createApp } from '../server/create-app.ts';
import { startCollector } from '../server/start-collector.ts';
import { openStorage } from '../storage/open-storage.ts';
import type { Storage } from '../storage/storage.ts';

describe('telemetry route limits and shutdown', () => {
  let storage: Storage;
  beforeAll(async () => {
    storage = await openStorage({});
  });
  afterAll(async () => {
    await storage.close();
  });

  it('answers 429 with Retry-After per device and per key', async () => {
    const { app } = await createApp(storage, {
      logLevel: 'silent',
      rateLimit: { perDevicePerS: 0.5, perDeviceBurst: 2, perKeyPerS: 1, perKeyBurst: 5 },
    });
    const key = (await createKey(storage, 'ingest')).secret;
    const post = (deviceId: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/telemetry',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        payload: makeBatch({ model: 'limits', deviceId }),
      });
    expect((await post('a')).statusCode).toBe(200);
    expect((await post('a')).statusCode).toBe(200);
    const limited = await post('a');
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await post('b')).statusCode).toBe(200);
    expect((await post('c')).statusCode).toBe(200);
    const keyLimited = await post('d');
    expect(keyLimited.statusCode).toBe(429);
    await app.close();
  });

  it('finishes in-flight requests on close and stores exactly the acknowledged batches', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'driftline-close-'));
    try {
      const c = await startCollector({
        port: 0,
        dataDir,
        logLevel: 'silent',
        rateLimit: { perDevicePerS: Number.POSITIVE_INFINITY },
      });
      const key = (await createKey(c.storage, 'ingest')).secret;
      const inflight = Array.from({ length: 30 }, (_, i) =>
        fetch(`${c.url}/v1/telemetry`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify(makeBatch({ model: 'shutdown', deviceId: `s${i}` })),
        }).then(
          (r) => r.status,
          () => null,
        ),
      );
      await new Promise((r) => setTimeout(r, 30));
      const closed = c.close();
      const statuses = await Promise.all(inflight);
      await closed;
      expect(statuses.every((s) => s === 200 || s === 503 || s === null)).toBe(true);
      const acked = statuses.filter((s) => s === 200).length;
      const reopened = await openStorage({ dataDir });
      try {
        const rows = await reopened.query<{ n: number }>('SELECT count(*)::integer AS n FROM batches');
        // Every acknowledged batch is stored; a request cut off by the close may be stored unacknowledged.
        expect(rows[0]!.n).toBeGreaterThanOrEqual(acked);
        expect(rows[0]!.n).toBeLessThanOrEqual(30);
      } finally {
        await reopened.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
