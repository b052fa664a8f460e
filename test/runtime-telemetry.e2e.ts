import { expect, type Page, test } from '@playwright/test';
import type { ViteDevServer } from 'vite';
import { TestCollector } from './fixtures/runtime/collector.ts';
import { startFixtureServer } from './fixtures/runtime/vite-server.ts';

let server: ViteDevServer & { url: string };
let collector: TestCollector;

test.beforeAll(async () => {
  [server, collector] = await Promise.all([startFixtureServer(), TestCollector.start()]);
});
test.afterAll(async () => {
  await Promise.all([server?.close(), collector?.stop()]);
});

interface Setup {
  collector: string;
  appKey: string;
  name: string;
}

/** Opens the fixture page and creates a runtime on the tiny model that reports to the collector. */
async function openRuntime(page: Page, name: string): Promise<void> {
  await page.goto(server.url);
  await page.waitForFunction(() => window.ready);
  const setup: Setup = { collector: collector.url, appKey: collector.ingestKey, name };
  await page.evaluate(async (s) => {
    const rt = await window.driftline.createRuntime({
      model: { url: '/tiny.onnx', format: 'onnx', name: s.name, version: '1.0.0' },
      backends: ['wasm'],
      collector: s.collector,
      appKey: s.appKey,
      retry: { baseMs: 200, maxMs: 1000 },
      features: (inputs) => ({ firstPixel: (inputs.input!.data as Float32Array)[0]! }),
    });
    (window as unknown as { rt: typeof rt }).rt = rt;
  }, setup);
}

/** Runs the model `n` times, one call after another. */
function runMany(page: Page, n: number): Promise<void> {
  return page.evaluate(async (count) => {
    const { rt } = window as unknown as { rt: import('@driftline/runtime').Runtime };
    for (let i = 0; i < count; i++) {
      await rt.run({ input: { data: new Float32Array([i, 1, 2, 3]), dims: [1, 4] } });
    }
  }, n);
}

const flush = (page: Page) =>
  page.evaluate(() => (window as unknown as { rt: import('@driftline/runtime').Runtime }).rt.flush());

const stats = (page: Page) =>
  page.evaluate(() => (window as unknown as { rt: import('@driftline/runtime').Runtime }).rt.stats());

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
  await collector.restart();
  await expect.poll(async () => (await stats(page))!.pending.windows, { timeout: 20_000 }).toBe(0);
  expect(await collector.inferences('e2e-outage')).toBe(35);
});

test('a reload in the middle of a window loses nothing', async ({ page }) => {
  await openRuntime(page, 'e2e-reload');
  await runMany(page, 12);
  // The open window reaches IndexedDB by itself within checkpointMs; wait for that, then reload.
  await expect.poll(async () => (await stats(page))!.pending.inferences).toBe(12);
  await page.reload();
  await openRuntime(page, 'e2e-reload');
  await runMany(page, 5);
  await flush(page);
  await expect.poll(() => collector.inferences('e2e-reload'), { timeout: 10_000 }).toBe(17);
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

test('two tabs share one outbox and send no batch twice', async ({ context }) => {
  const [a, b] = [await context.newPage(), await context.newPage()];
  await Promise.all([openRuntime(a, 'e2e-tabs'), openRuntime(b, 'e2e-tabs')]);
  await Promise.all([runMany(a, 25), runMany(b, 30)]);
  await Promise.all([flush(a), flush(b), flush(a)]);
  await expect.poll(() => collector.inferences('e2e-tabs'), { timeout: 10_000 }).toBe(55);
  const [sa, sb] = [await stats(a), await stats(b)];
  expect(sa!.duplicateBatches + sb!.duplicateBatches).toBe(0);
});
