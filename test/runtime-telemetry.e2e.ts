import { DEV_KEYS } from '@driftline/collector';
import { expect, type Page, test } from '@playwright/test';
import type { ViteDevServer } from 'vite';
import { TestCollector } from './fixtures/runtime/collector.ts';
import { flush, openTelemetryRuntime, runMany, stats, status } from './fixtures/runtime/telemetry-page.ts';
import { startFixtureServer } from './fixtures/runtime/vite-server.ts';

let server: ViteDevServer & { url: string };
let collector: TestCollector;

test.beforeAll(async () => {
  [server, collector] = await Promise.all([startFixtureServer(), TestCollector.start()]);
});
test.afterAll(async () => {
  await Promise.all([server?.close(), collector?.stop()]);
});

const openRuntime = (page: Page, name: string, appKey?: string) =>
  openTelemetryRuntime(page, server.url, collector, name, { appKey, appFeature: true });

test('windows reach the collector with exactly the inferences made', async ({ page }) => {
  await openRuntime(page, 'e2e-exact');
  await runMany(page, 37);
  await flush(page);
  await runMany(page, 5);
  await flush(page);
  expect(await collector.inferences('e2e-exact')).toBe(42);
  expect(await stats(page)).toMatchObject({ sentWindows: 2, rejectedBatches: 0, droppedWindows: 0 });
});

test('counts stay exact when the collector is down for a while and comes back', async ({ page }) => {
  await openRuntime(page, 'e2e-outage');
  await runMany(page, 20);
  await collector.stop();
  await flush(page);
  await runMany(page, 15);
  await flush(page);
  expect((await stats(page))!.pending.inferences).toBe(35);
  const down = await status(page);
  expect(down).toMatchObject({ lastError: { code: 'NETWORK', retrying: true }, waiting: { inferences: 35 } });
  await collector.restart();
  await expect.poll(async () => (await stats(page))!.pending.windows, { timeout: 20_000 }).toBe(0);
  expect(await collector.inferences('e2e-outage')).toBe(35);
  const up = await status(page);
  expect(up!.lastError).toBeUndefined();
  expect(up!.lastSuccessAt).toBeGreaterThan(down!.lastError!.at);
  expect(up!.waiting).toEqual({ windows: 0, inferences: 0 });
});

test("a revoked or an unknown key shows in status() with the collector's code on the first failed send", async ({
  page,
}) => {
  const admin = { authorization: `Bearer ${DEV_KEYS.admin}`, 'content-type': 'application/json' };
  const created = (await (
    await fetch(`${collector.url}/v1/keys`, { method: 'POST', headers: admin, body: '{"role":"ingest"}' })
  ).json()) as { key: { id: string }; secret: string };
  const revoked = await fetch(`${collector.url}/v1/keys/${created.key.id}/revoke`, {
    method: 'POST',
    headers: { authorization: admin.authorization },
  });
  expect(revoked.status).toBe(200);
  // One page, one outbox: the second runtime's outbox still holds the first one's window.
  const cases = [
    [created.secret, 'key_revoked'],
    ['dl_ingest_never_issued', 'unauthorized'],
  ] as const;
  for (const [i, [key, code]] of cases.entries()) {
    await openRuntime(page, `e2e-bad-key-${code}`, key);
    await runMany(page, 3);
    await flush(page);
    expect(await status(page)).toMatchObject({
      lastError: { code, status: 401, retrying: true },
      waiting: { windows: i + 1, inferences: 3 * (i + 1) },
    });
    expect(await collector.inferences(`e2e-bad-key-${code}`)).toBe(0);
  }
});

test('hiding the page closes the window and sends it without a flush', async ({ page }) => {
  await openRuntime(page, 'e2e-hidden');
  await runMany(page, 9);
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await expect.poll(() => collector.inferences('e2e-hidden'), { timeout: 10_000 }).toBe(9);
});

test('with the storage quota nearly full, closed windows are held and merged, then every inference is delivered once', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const name = 'e2e-quota';
  await page.goto(server.url);
  await page.waitForFunction(() => window.ready);
  // Chromium's own quota for this origin: a little above what the page stores already.
  const cdp = await page.context().newCDPSession(page);
  const usage = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: server.url, quotaSize: usage + 96 * 1024 });
  await collector.stop();
  await page.evaluate(
    async (s) => {
      const rt = await window.driftline.createRuntime({
        model: { url: '/tiny.onnx', format: 'onnx', name: s.name, version: '1.0.0' },
        backends: ['wasm'],
        cache: false,
        collector: s.collector,
        appKey: s.appKey,
        retry: { baseMs: 200, maxMs: 1000 },
        window: { maxInferences: 20 },
        outbox: { maxBytes: 64 << 20 },
        // Many features per window, so that each window takes room and the quota runs out.
        features: (inputs) => {
          const x = (inputs.input!.data as Float32Array)[0]!;
          return Object.fromEntries(Array.from({ length: 60 }, (_, k) => [`f${k}`, x * k + Math.random()]));
        },
      });
      (window as unknown as { rt: typeof rt }).rt = rt;
    },
    { collector: collector.url, appKey: collector.ingestKey, name },
  );
  const made = 1_200;
  await runMany(page, made);
  await flush(page);
  // Nothing can be sent, and the outbox cannot grow: closed windows are held and merged in the worker.
  expect((await stats(page))!.pending.inferences).toBeLessThan(made);
  await collector.restart();
  // Room again (the user cleared other data, the browser evicted some): held windows get written.
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: server.url });
  // The held window is written once the sender made room, then sent: within the retry timers.
  await expect.poll(() => collector.inferences(name), { timeout: 90_000 }).toBe(made);
  await expect.poll(async () => (await stats(page))!.pending.windows, { timeout: 20_000 }).toBe(0);
  const end = (await stats(page))!;
  const delivered = await collector.inferences(name);
  // Every inference arrives, once: the held windows were written as the sender made room.
  expect(delivered).toBe(made);
  expect(end).toMatchObject({ droppedInferences: 0, duplicateBatches: 0 });
  expect(end.quotaErrors).toBeGreaterThan(0);
  expect(end.mergedInferences).toBeGreaterThan(0);
});
