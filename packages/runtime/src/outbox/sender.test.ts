import 'fake-indexeddb/auto';
import { decodeProfile, fromBase64, parseTelemetryBatch } from '@driftline/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { localLocks } from './locks.ts';
import { mergeEncodedProfiles as merge, Outbox } from './outbox.ts';
import { openOutboxDb, putWindow, type WindowRecord } from './outbox-db.ts';
import { backoffMs, Sender } from './sender.ts';
import { closedWindow } from './window.fixture.ts';

let dbCount = 0;

const win = (id: string, inferences: number): WindowRecord => closedWindow(id, inferences);

async function gunzip(bytes: Uint8Array): Promise<string> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new DecompressionStream('gzip'));
  return new Response(stream).text();
}

interface Call {
  batchId: string;
  inferences: number;
  encoding: string | null;
  keepalive: boolean | undefined;
}

/** A stand-in collector: answers from `script` in order, then 200; records what it was sent. */
function fakeCollector(script: Array<{ status: number; headers?: Record<string, string>; body?: unknown }>) {
  const calls: Call[] = [];
  const fetchFn = (async (_url: string, init: RequestInit) => {
    const raw = init.body as Uint8Array;
    const headers = init.headers as Record<string, string>;
    const json = headers['content-encoding'] === 'gzip' ? await gunzip(raw) : String(raw);
    const batch = parseTelemetryBatch(JSON.parse(json));
    const inferences = batch.windows.reduce((n, w) => n + decodeProfile(fromBase64(w.profile)).inferences, 0);
    calls.push({
      batchId: batch.batchId,
      inferences,
      encoding: headers['content-encoding'] ?? null,
      keepalive: init.keepalive,
    });
    const next = script.shift() ?? { status: 200, body: { accepted: true, duplicate: false } };
    return new Response(JSON.stringify(next.body ?? {}), {
      status: next.status,
      headers: next.headers ?? {},
    });
  }) as unknown as typeof fetch;
  return { calls, fetchFn };
}

async function setup(script: Parameters<typeof fakeCollector>[0]) {
  const db = await openOutboxDb(`sender-${dbCount++}`);
  const outbox = new Outbox(db, merge, { maxBytes: 1 << 20, maxAgeMs: 86_400_000, maxWindowsPerBatch: 100 });
  const collector = fakeCollector(script);
  const events: string[] = [];
  const sender = new Sender(outbox, localLocks(), {
    collector: 'http://collector.test',
    appKey: 'k',
    sdkVersion: 'test',
    deviceId: async () => 'device-1',
    retry: { baseMs: 1000, maxMs: 60_000 },
    fetchFn: collector.fetchFn,
    random: () => 0.5,
    emit: (type) => events.push(type),
  });
  return { outbox, sender, collector, events };
}

describe('Sender', () => {
  it('sends gzip batches and empties the outbox after a 2xx', async () => {
    const { outbox, sender, collector } = await setup([]);
    await putWindow(outbox.db, win('a', 3));
    await putWindow(outbox.db, win('b', 4));
    expect(await sender.drain()).toBe(1);
    expect(collector.calls).toMatchObject([{ inferences: 7, encoding: 'gzip' }]);
    expect((await outbox.pending()).windows).toBe(0);
    sender.stop();
  });

  it('keeps the batch id across a 5xx and a network error, then counts it once', async () => {
    const { outbox, sender, collector, events } = await setup([{ status: 503 }]);
    await putWindow(outbox.db, win('a', 5));
    expect(await sender.drain()).toBe(0);
    sender.stop();
    const batch = (await outbox.db.getAll('batches'))[0]!;
    expect(batch.attempts).toBe(1);
    await outbox.db.put('batches', { ...batch, notBefore: 0 });
    const again = new Sender(outbox, localLocks(), {
      collector: 'http://collector.test',
      appKey: 'k',
      sdkVersion: 'test',
      deviceId: async () => 'device-1',
      fetchFn: collector.fetchFn,
    });
    expect(await again.drain()).toBe(1);
    expect(collector.calls.map((c) => c.batchId)).toEqual([batch.batchId, batch.batchId]);
    expect(events).toEqual(['retry']);
    again.stop();
  });

  it('honours Retry-After on 429', async () => {
    const { outbox, sender } = await setup([{ status: 429, headers: { 'retry-after': '7' } }]);
    await putWindow(outbox.db, win('a', 1));
    await sender.drain();
    sender.stop();
    const batch = (await outbox.db.getAll('batches'))[0]!;
    expect(batch.notBefore - Date.now()).toBeGreaterThan(6000);
    expect(batch.notBefore - Date.now()).toBeLessThanOrEqual(7000);
  });

  it('back online, sends a batch that got no answer at once, and one the collector deferred only when due', async () => {
    const { outbox, collector } = await setup([{ status: 429, headers: { 'retry-after': '60' } }]);
    let offline = true;
    const sender = new Sender(outbox, localLocks(), {
      collector: 'http://collector.test',
      appKey: 'k',
      sdkVersion: 'test',
      deviceId: async () => 'device-1',
      retry: { baseMs: 60_000, maxMs: 60_000 },
      fetchFn: (async (...args: Parameters<typeof fetch>) => {
        if (offline) throw new TypeError('Failed to fetch');
        return collector.fetchFn(...args);
      }) as typeof fetch,
    });
    await putWindow(outbox.db, win('a', 5));
    expect(await sender.drain()).toBe(0);
    expect(await sender.drain()).toBe(0);
    expect(collector.calls).toHaveLength(0);
    offline = false;
    // The 60 s back-off was a guess at when the network returns; the online event says it has.
    expect(await sender.drain({ online: true })).toBe(0);
    expect(collector.calls).toHaveLength(1);
    // 429 with Retry-After: the collector answered, so being online changes nothing.
    expect(await sender.drain({ online: true })).toBe(0);
    expect(collector.calls).toHaveLength(1);
    const [batch] = await outbox.db.getAll('batches');
    expect(batch).toMatchObject({ attempts: 2, unanswered: false });
    await outbox.db.put('batches', { ...batch!, notBefore: 0 });
    expect(await sender.drain({ online: true })).toBe(1);
    expect(collector.calls.map((c) => c.batchId)).toEqual([batch!.batchId, batch!.batchId]);
    sender.stop();
  });

  it('drops and counts a batch the collector rejects as invalid', async () => {
    const { outbox, sender, events } = await setup([
      { status: 400, body: { error: { code: 'invalid_batch', message: 'bad' } } },
    ]);
    await putWindow(outbox.db, win('a', 2));
    expect(await sender.drain()).toBe(1);
    expect(await outbox.counters()).toMatchObject({ rejectedBatches: 1, rejectedWindows: 1, sentBatches: 0 });
    expect((await outbox.pending()).windows).toBe(0);
    expect(events).toEqual(['rejected']);
    sender.stop();
  });

  it('two senders on one outbox (two tabs) never post a batch twice', async () => {
    const { outbox, collector } = await setup([]);
    const locks = localLocks();
    const small = new Outbox(outbox.db, merge, {
      maxBytes: 1 << 20,
      maxAgeMs: 86_400_000,
      maxWindowsPerBatch: 4,
    });
    const make = () =>
      new Sender(small, locks, {
        collector: 'http://collector.test',
        appKey: 'k',
        sdkVersion: 'test',
        deviceId: async () => 'd',
        fetchFn: collector.fetchFn,
      });
    for (let i = 0; i < 30; i++) await putWindow(outbox.db, win(`w${i}`, i + 1));
    const senders = [make(), make()];
    await Promise.all([senders[0]!.drain(), senders[1]!.drain(), senders[0]!.drain()]);
    const ids = collector.calls.map((c) => c.batchId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(collector.calls.reduce((n, c) => n + c.inferences, 0)).toBe((30 * 31) / 2);
  });
});

describe('backoffMs', () => {
  it('stays within [ceiling/2, ceiling] of an exponential ceiling capped at maxMs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, r) => {
          const opts = { baseMs: 500, maxMs: 60_000 };
          const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** (attempt - 1));
          const ms = backoffMs(attempt, opts, () => r);
          return ms >= Math.floor(ceiling / 2) && ms <= ceiling;
        },
      ),
    );
  });

  it('prefers Retry-After, in seconds or as a date', () => {
    const opts = { baseMs: 500, maxMs: 60_000 };
    expect(backoffMs(1, opts, () => 0, '3')).toBe(3000);
    const at = new Date(Date.now() + 10_000).toUTCString();
    expect(backoffMs(1, opts, () => 0, at)).toBeGreaterThan(8000);
  });
});
