import { gunzipSync } from 'node:zlib';
import { expect, type Page, type Request, test } from '@playwright/test';
import type { ViteDevServer } from 'vite';
import { TestCollector } from './fixtures/runtime/collector.ts';
import {
  flush,
  openTelemetryRuntime,
  runMany,
  stats,
  status,
  type TelemetryRuntimeOptions,
} from './fixtures/runtime/telemetry-page.ts';
import { startFixtureServer } from './fixtures/runtime/vite-server.ts';

// Faults a browser puts telemetry through (issue #13, "Trust"). Each test ends with the collector
// holding exactly the inferences the page(s) made, every batch counted once. The storage quota fault
// is in runtime-telemetry.e2e.ts ("with the storage quota nearly full …").

let server: ViteDevServer & { url: string };
let collector: TestCollector;

test.beforeAll(async () => {
  [server, collector] = await Promise.all([startFixtureServer(), TestCollector.start()]);
});
test.afterAll(async () => {
  await Promise.all([server?.close(), collector?.stop()]);
});

type Rt = import('@driftline/runtime').Runtime;

const openRuntime = (page: Page, name: string, opts: TelemetryRuntimeOptions = {}) =>
  openTelemetryRuntime(page, server.url, collector, name, opts);

/** Waits until the open window's checkpoint holds `n` inferences (it lands within checkpointMs). */
const checkpointed = (page: Page, n: number) =>
  expect.poll(async () => (await stats(page))!.pending.inferences).toBe(n);

/** The batch id of a `POST /v1/telemetry` the page made (its body is gzipped JSON). */
function batchIdOf(request: Request): string {
  const raw = request.postDataBuffer() ?? Buffer.alloc(0);
  const json = request.headers()['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
  return (JSON.parse(json.toString('utf8')) as { batchId: string }).batchId;
}

test('a reload mid-window: the reloaded page delivers the checkpointed window, nothing twice', async ({
  page,
}) => {
  const name = 'faults-reload';
  await openRuntime(page, name);
  await runMany(page, 10);
  await flush(page);
  await runMany(page, 14);
  await checkpointed(page, 14);
  await page.reload();
  await openRuntime(page, name);
  // No flush in the new page: the old page's hide or the new page's sender delivers the window.
  await expect.poll(() => collector.inferences(name), { timeout: 10_000 }).toBe(24);
  await runMany(page, 6);
  await checkpointed(page, 6);
  await page.reload();
  await openRuntime(page, name);
  await runMany(page, 3);
  await flush(page);
  await expect.poll(() => collector.inferences(name), { timeout: 10_000 }).toBe(33);
  expect(await stats(page)).toMatchObject({ droppedInferences: 0, pending: { windows: 0 } });
});

test('closing the tab mid-send: the batch the collector stored unheard is sent again, same id, counted once', async ({
  context,
}) => {
  const name = 'faults-close';
  const sent: string[] = [];
  let arrived!: () => void;
  const stored = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  const page = await context.newPage();
  await openRuntime(page, name);
  // The first POST reaches the collector, but its answer never reaches the page: the tab closes first.
  await context.route('**/v1/telemetry', async (route) => {
    sent.push(batchIdOf(route.request()));
    if (sent.length > 1) return route.continue();
    const response = await route.fetch();
    arrived();
    await page.waitForEvent('close');
    await route.fulfill({ response }).catch(() => undefined);
  });
  await runMany(page, 16);
  await page.evaluate(() => void (window as unknown as { rt: Rt }).rt.flush());
  await stored;
  expect(await collector.inferences(name)).toBe(16);
  // More runs while the send hangs: an open window, checkpointed, in a tab about to close.
  await runMany(page, 9);
  await checkpointed(page, 25);
  await page.close({ runBeforeUnload: true });

  const next = await context.newPage();
  await openRuntime(next, name);
  await flush(next);
  await expect.poll(() => collector.inferences(name), { timeout: 10_000 }).toBe(25);
  expect(await stats(next)).toMatchObject({
    droppedInferences: 0,
    duplicateBatches: 1,
    pending: { windows: 0 },
  });
  // The unheard batch went out again under its id (the collector answered duplicate), then the orphan.
  expect(sent[1]).toBe(sent[0]);
  expect(new Set(sent).size).toBe(sent.length - 1);
});

test('offline for a while: windows wait, status says NETWORK, and back online they go at once', async ({
  page,
  context,
}) => {
  const name = 'faults-offline';
  // The default back-off (1 s doubling, jittered): after a while offline the next attempt is far off.
  await openRuntime(page, name, { retry: { baseMs: 1000, maxMs: 300_000 } });
  await page.evaluate(() => {
    const w = window as unknown as { rt: Rt; retries: { at: number; delayMs: number }[] };
    w.retries = [];
    w.rt.on('retry', (e) => w.retries.push({ at: Date.now(), delayMs: e.delayMs }));
  });
  await context.setOffline(true);
  await runMany(page, 15);
  await flush(page);
  await runMany(page, 10);
  await flush(page);
  const down = (await status(page))!;
  expect(down).toMatchObject({
    lastError: { code: 'NETWORK', retrying: true },
    waiting: { windows: 2, inferences: 25 },
  });
  // Offline until the sender backs off 4 s or more (its fourth attempt or so).
  const lastRetry = () =>
    page.evaluate(() => (window as unknown as { retries: { at: number; delayMs: number }[] }).retries.at(-1));
  await expect
    .poll(async () => (await lastRetry())?.delayMs ?? 0, { timeout: 15_000 })
    .toBeGreaterThanOrEqual(4000);
  const retry = (await lastRetry())!;
  expect(await collector.inferences(name)).toBe(0);
  await context.setOffline(false);
  const online = Date.now();
  await expect.poll(() => collector.inferences(name), { timeout: 10_000 }).toBe(25);
  const delivered = Date.now();
  // Sent on the online event, not when the back-off timer would have fired.
  expect(delivered).toBeLessThan(retry.at + retry.delayMs);
  const up = (await status(page))!;
  expect(up.lastError).toBeUndefined();
  expect(up.lastSuccessAt).toBeGreaterThan(down.lastError!.at);
  expect(up.waiting).toEqual({ windows: 0, inferences: 0 });
  test.info().annotations.push({
    type: 'offline',
    description: `back-off ${retry.delayMs} ms; delivered ${delivered - online} ms after online`,
  });
});

test('two tabs at once: both run and flush concurrently; one send at a time, no batch sent twice', async ({
  context,
}) => {
  const name = 'faults-tabs';
  const sent: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  // Every POST of either tab passes here; the first one is slow, so the other tab's sends pile up.
  await context.route('**/v1/telemetry', async (route) => {
    sent.push(batchIdOf(route.request()));
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    if (sent.length === 1) await new Promise((resolve) => setTimeout(resolve, 1500));
    try {
      await route.fulfill({ response: await route.fetch() });
    } finally {
      inFlight--;
    }
  });
  const [a, b] = [await context.newPage(), await context.newPage()];
  // Small windows: closes in both tabs wake both tabs' senders, over and over.
  await Promise.all([openRuntime(a, name, { maxInferences: 7 }), openRuntime(b, name, { maxInferences: 7 })]);
  const work = async (page: Page, rounds: number, runs: number) => {
    for (let i = 0; i < rounds; i++) {
      await runMany(page, runs);
      await flush(page);
    }
  };
  await Promise.all([work(a, 5, 13), work(b, 5, 11), flush(a), flush(b)]);
  await Promise.all([flush(a), flush(b)]);
  await expect.poll(() => collector.inferences(name), { timeout: 10_000 }).toBe(5 * 13 + 5 * 11);
  // The tabs share one outbox (one IndexedDB database), so one set of counters.
  const counters = (await stats(a))!;
  expect(counters).toMatchObject({ droppedInferences: 0, duplicateBatches: 0, pending: { windows: 0 } });
  expect(maxInFlight).toBe(1);
  expect(new Set(sent).size).toBe(sent.length);
  expect(counters.sentBatches).toBe(sent.length);
  test.info().annotations.push({
    type: 'tabs',
    description: `${sent.length} batches, ${counters.sentWindows} windows`,
  });
});
