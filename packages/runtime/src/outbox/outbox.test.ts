import 'fake-indexeddb/auto';
import { createProfile, decodeProfile, encodeProfile, latencySketch } from '@driftline/protocol';
import { describe, expect, it } from 'vitest';
import { mergeEncodedProfiles as merge, Outbox } from './outbox.ts';
import { openOutboxDb, putWindow, type WindowRecord } from './outbox-db.ts';
import { closedWindow } from './window.fixture.ts';

let dbCount = 0;
const limits = { maxBytes: 1 << 20, maxAgeMs: 7 * 86_400_000, maxWindowsPerBatch: 100 };

function profileOf(inferences: number, seed: number): Uint8Array {
  const p = createProfile();
  p.inferences = inferences;
  const run = latencySketch(p, 'run');
  for (let i = 0; i < inferences; i++) run.add(((i * 7 + seed) % 13) - 3.5);
  return encodeProfile(p);
}

function win(id: string, start: number, inferences: number, extra: Partial<WindowRecord> = {}): WindowRecord {
  return closedWindow(id, inferences, {
    ownerId: 'owner-a',
    start,
    end: start + 1000,
    profile: profileOf(inferences, start),
    ...extra,
  });
}

async function fresh(overrides: Partial<typeof limits> = {}, now = () => 10_000_000) {
  const db = await openOutboxDb(`test-outbox-${dbCount++}`);
  return new Outbox(db, merge, { ...limits, ...overrides }, now);
}

describe('Outbox', () => {
  it('makes a batch once and hands the same id back until it completes', async () => {
    const outbox = await fresh();
    await putWindow(outbox.db, win('w1', 1000, 5));
    await putWindow(outbox.db, win('w2', 2000, 7));
    await putWindow(outbox.db, win('w3', 3000, 1, { state: 'open' }));
    const first = await outbox.nextBatch(1 << 20);
    expect(first.windows.map((w) => w.id)).toEqual(['w1', 'w2']);
    await outbox.retryLater(first.batch!.batchId, 0);
    const again = await outbox.nextBatch(1 << 20);
    expect(again.batch!.batchId).toBe(first.batch!.batchId);
    expect(again.batch!.attempts).toBe(1);
    await outbox.complete(first.batch!.batchId, 'sent');
    expect(await outbox.pending()).toMatchObject({ windows: 1, openWindows: 1, batches: 0 });
    expect(await outbox.counters()).toMatchObject({ sentBatches: 1, sentWindows: 2 });
  });

  it('reports the back-off wait of a pending batch instead of sending it early', async () => {
    let now = 10_000_000;
    const outbox = await fresh({}, () => now);
    await putWindow(outbox.db, win('w1', 1000, 5));
    const { batch } = await outbox.nextBatch(1 << 20);
    await outbox.retryLater(batch!.batchId, 5000);
    expect((await outbox.nextBatch(1 << 20)).waitMs).toBe(5000);
    now += 5000;
    expect((await outbox.nextBatch(1 << 20)).batch?.batchId).toBe(batch!.batchId);
  });

  it('never reopens or rewrites a window that is already closed or batched', async () => {
    const outbox = await fresh();
    await putWindow(outbox.db, win('w1', 1000, 5));
    await putWindow(outbox.db, win('w1', 1000, 9, { state: 'open' }));
    expect((await outbox.db.get('windows', 'w1'))!.inferences).toBe(5);
  });

  it('closes the open windows of owners that are gone, and only those', async () => {
    const outbox = await fresh();
    await putWindow(outbox.db, win('gone', 1000, 3, { state: 'open', ownerId: 'dead' }));
    await putWindow(outbox.db, win('live', 2000, 4, { state: 'open', ownerId: 'alive' }));
    expect(await outbox.adoptOrphans((o) => o === 'alive')).toBe(1);
    expect((await outbox.db.get('windows', 'gone'))!.state).toBe('closed');
    expect((await outbox.db.get('windows', 'live'))!.state).toBe('open');
  });

  it('merges its oldest windows when over its byte bound, keeping every inference', async () => {
    const outbox = await fresh();
    const windows = [1, 2, 3, 4, 5, 6].map((i) => win(`w${i}`, i * 1000, i * 3));
    for (const w of windows) await putWindow(outbox.db, w);
    const size = windows[0]!.profile.byteLength;
    const bounded = new Outbox(outbox.db, merge, { ...limits, maxBytes: size * 3 }, () => 10_000);
    await bounded.compact();
    const left = await bounded.db.getAll('windows');
    expect(left.length).toBeLessThan(6);
    expect(left.reduce((n, w) => n + w.inferences, 0)).toBe(63);
    const profiles = left.map((w) => decodeProfile(w.profile));
    expect(profiles.reduce((n, p) => n + p.inferences, 0)).toBe(63);
    expect(profiles.reduce((n, p) => n + (p.latency.run?.count ?? 0), 0)).toBe(63);
    expect((await bounded.counters()).droppedWindows).toBe(0);
    expect((await bounded.counters()).mergedWindows).toBe(6 - left.length);
  });

  it('drops (and counts) only when no two windows can merge', async () => {
    const outbox = await fresh();
    await putWindow(outbox.db, win('a', 1000, 2, { version: '1.0.0' }));
    await putWindow(outbox.db, win('b', 2000, 3, { version: '1.1.0' }));
    const bounded = new Outbox(outbox.db, merge, { ...limits, maxBytes: 1 }, () => 10_000);
    await bounded.compact();
    expect(await bounded.counters()).toMatchObject({
      droppedWindows: 2,
      droppedInferences: 5,
      mergedWindows: 0,
    });
  });

  it('drops windows older than its age bound', async () => {
    const outbox = await fresh({ maxAgeMs: 5000 }, () => 100_000);
    await putWindow(outbox.db, win('old', 1000, 2));
    await putWindow(outbox.db, win('new', 98_000, 3));
    await outbox.compact();
    expect((await outbox.db.getAll('windows')).map((w) => w.id)).toEqual(['new']);
    expect((await outbox.counters()).droppedInferences).toBe(2);
  });

  it('keeps batches within a JSON byte budget (the keepalive limit)', async () => {
    const outbox = await fresh();
    for (let i = 0; i < 5; i++) await putWindow(outbox.db, win(`w${i}`, i * 1000, 4));
    const one = Math.ceil(win('x', 0, 4).profile.byteLength / 3) * 4 + 320;
    const { windows } = await outbox.nextBatch(200 + one * 2);
    expect(windows).toHaveLength(2);
  });
});
