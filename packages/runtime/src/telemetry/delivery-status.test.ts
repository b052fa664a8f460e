import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { localLocks } from '../outbox/locks.ts';
import { mergeEncodedProfiles, Outbox } from '../outbox/outbox.ts';
import { openOutboxDb, putWindow } from '../outbox/outbox-db.ts';
import { Sender } from '../outbox/sender.ts';
import { closedWindow } from '../outbox/window.fixture.ts';
import { DeliveryTracker } from './delivery-status.ts';

type Answer = { status: number; body?: unknown } | 'network-error';

/** A sender whose collector answers from `script` in order; its events feed a tracker. */
async function setup(name: string, script: Answer[]) {
  const db = await openOutboxDb(name);
  const outbox = new Outbox(db, mergeEncodedProfiles, {
    maxBytes: 1 << 20,
    maxAgeMs: 86_400_000,
    maxWindowsPerBatch: 100,
  });
  let clock = 1_000;
  const tracker = new DeliveryTracker(() => clock);
  const fetchFn = (async () => {
    const next = script.shift() ?? { status: 200, body: { accepted: true } };
    if (next === 'network-error') throw new TypeError('Failed to fetch');
    return new Response(JSON.stringify(next.body ?? {}), { status: next.status });
  }) as unknown as typeof fetch;
  const sender = new Sender(outbox, localLocks(), {
    collector: 'http://collector.test',
    appKey: 'k',
    sdkVersion: 'test',
    deviceId: async () => 'device-1',
    fetchFn,
    gzip: false,
    emit: (type, event) => tracker.observe(type, event),
  });
  await putWindow(db, closedWindow('w', 4));
  /** One attempt now (the back-off delay skipped), at the given clock. */
  const attempt = async (at: number) => {
    clock = at;
    for (const batch of await db.getAll('batches')) await db.put('batches', { ...batch, notBefore: 0 });
    await sender.drain();
    const pending = await outbox.pending();
    return tracker.status({ windows: pending.windows, inferences: pending.inferences });
  };
  return { attempt, stop: () => sender.stop() };
}

describe('DeliveryTracker', () => {
  it('reports the collector code, HTTP status or NETWORK of each failure, and clears it on success', async () => {
    const { attempt, stop } = await setup('delivery-1', [
      { status: 401, body: { error: { code: 'unauthorized', message: 'unknown key' } } },
      { status: 503 },
      'network-error',
    ]);
    expect(await attempt(2_000)).toMatchObject({
      lastError: { code: 'unauthorized', status: 401, at: 2_000, retrying: true },
      waiting: { windows: 1, inferences: 4 },
    });
    expect(await attempt(3_000)).toMatchObject({ lastError: { code: 'HTTP_503', status: 503 } });
    const offline = await attempt(4_000);
    expect(offline.lastError).toMatchObject({ code: 'NETWORK', at: 4_000, retrying: true });
    expect(offline.lastError).not.toHaveProperty('status');
    expect(offline.lastSuccessAt).toBeUndefined();
    expect(await attempt(5_000)).toEqual({ lastSuccessAt: 5_000, waiting: { windows: 0, inferences: 0 } });
    stop();
  });

  it('marks a batch refused for good as not retrying', async () => {
    const { attempt, stop } = await setup('delivery-2', [
      { status: 400, body: { error: { code: 'invalid_batch', message: 'bad batch' } } },
    ]);
    expect(await attempt(2_000)).toMatchObject({
      lastError: { code: 'invalid_batch', status: 400, retrying: false },
      waiting: { windows: 0 },
    });
    stop();
  });
});
