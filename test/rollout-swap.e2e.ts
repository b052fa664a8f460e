// Version swaps inside the running worker (issue #6): the new session is created beside the old one
// while runs go on, then runs switch to it between two calls. Real Chromium, real collector.
import { expect, type Page, test } from '@playwright/test';
import type { ViteDevServer } from 'vite';
import { heldoutProbs, openManaged } from './fixtures/rollout/managed-page.ts';
import { RolloutCollector } from './fixtures/rollout/rollout-collector.ts';
import { startFixtureServer } from './fixtures/runtime/vite-server.ts';

let server: ViteDevServer & { url: string };
/** The same page cross-origin isolated, so that `run` calls travel through shared memory. */
let isolatedServer: ViteDevServer & { url: string };
let collector: RolloutCollector;

test.beforeAll(async () => {
  [server, isolatedServer, collector] = await Promise.all([
    startFixtureServer(),
    startFixtureServer({ isolated: true }),
    RolloutCollector.start(),
  ]);
});
test.afterAll(async () => {
  await Promise.all([server?.close(), isolatedServer?.close(), collector?.stop()]);
});

type ManagedRuntime = import('@driftline/runtime').ManagedRuntime;

interface SwapLoop {
  stop: boolean;
  issued: number;
  /** Call numbers in the order their answers came back. */
  settled: number[];
  outputs: number[][];
  failed: string[];
  done: Promise<void>;
}

declare global {
  interface Window {
    swapLoop?: SwapLoop;
  }
}

/** Opens the fixture page with a runtime on `model` that polls only when asked. */
async function open(page: Page, model: string, url = server.url): Promise<void> {
  await openManaged(page, url, {
    model,
    collector: collector.url,
    appKey: collector.ingestKey,
    onVisible: false,
  });
}

/** Issues runs three at a time, back to back, until stopped; call n runs digit n % 8. */
function startSwapLoop(page: Page): Promise<void> {
  return page.evaluate(async () => {
    const { pixels } = await window.fixtures.heldout(8);
    const loop: SwapLoop = {
      stop: false,
      issued: 0,
      settled: [],
      outputs: [],
      failed: [],
      done: Promise.resolve(),
    };
    loop.done = (async () => {
      while (!loop.stop) {
        const calls = [0, 1, 2].map(() => {
          const n = loop.issued++;
          const data = pixels.slice((n % 8) * 784, ((n % 8) + 1) * 784);
          return window.rt.run({ input: { data, dims: [1, 784] } }).then(
            (r) => {
              loop.settled.push(n);
              loop.outputs[n] = [...(r.probs!.data as Float32Array)];
            },
            (e: { code?: string }) => {
              loop.failed.push(e.code ?? String(e));
            },
          );
        });
        await Promise.all(calls);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    window.swapLoop = loop;
  });
}

function stopSwapLoop(page: Page): Promise<Omit<SwapLoop, 'done' | 'stop'>> {
  return page.evaluate(async () => {
    const loop = window.swapLoop!;
    loop.stop = true;
    await loop.done;
    return { issued: loop.issued, settled: loop.settled, outputs: loop.outputs, failed: loop.failed };
  });
}

const close = (a: number[], b: number[]) => a.every((x, i) => Math.abs(x - b[i]!) < 1e-6);

const swapState = (page: Page) =>
  page.evaluate(() => {
    const { workerStarts, lastSwap, model } = window.rt.info();
    return { workerStarts, lastSwap, version: model.version };
  });

for (const dataPlane of ['message-port', 'shared-memory'] as const) {
  test(`a swap keeps the worker (${dataPlane}): runs issued throughout all succeed in order, each answered by the version current then, and windows carry their version`, async ({
    page,
  }) => {
    const model = `digits-swap-${dataPlane}`;
    await collector.publish(model, '1.0.0');
    await collector.publish(model, '1.1.0');
    await open(page, model, dataPlane === 'shared-memory' ? isolatedServer.url : server.url);
    expect(await page.evaluate(() => window.rt.info().dataPlane)).toBe(dataPlane);
    await swapsInTheSameWorker(page, model);
  });
}

async function swapsInTheSameWorker(page: Page, model: string): Promise<void> {
  expect(await swapState(page)).toEqual({
    workerStarts: 1,
    lastSwap: { worker: 'new', reason: 'no worker running' },
    version: '1.0.0',
  });
  const before = await heldoutProbs(page, 8);

  await startSwapLoop(page);
  await page.waitForFunction(() => (window.swapLoop?.settled.length ?? 0) >= 6);
  await collector.api('PUT', `/v1/models/${model}/rollout`, { candidate: '1.1.0', percent: 100 });
  await page.evaluate(() => (window.rt as ManagedRuntime).checkForUpdate());
  const afterSwap = await page.evaluate(() => window.swapLoop!.issued);
  await page.waitForFunction((n) => (window.swapLoop?.settled.length ?? 0) >= n + 6, afterSwap);
  const loop = await stopSwapLoop(page);

  expect(await swapState(page)).toEqual({ workerStarts: 1, lastSwap: { worker: 'same' }, version: '1.1.0' });
  const after = await heldoutProbs(page, 8);
  // The two versions answer differently on every loop digit, so each answer names its version.
  for (let i = 0; i < 8; i++) expect(close(before[i]!, after[i]!)).toBe(false);

  expect(loop.failed).toEqual([]);
  expect(loop.settled).toEqual([...Array(loop.issued).keys()]);
  const versions = loop.outputs.map((out, n) => {
    if (close(out, before[n % 8]!)) return '1.0.0';
    if (close(out, after[n % 8]!)) return '1.1.0';
    return 'neither';
  });
  const switchAt = versions.indexOf('1.1.0');
  expect(switchAt).toBeGreaterThan(0);
  expect(versions.slice(0, switchAt).every((v) => v === '1.0.0')).toBe(true);
  expect(versions.slice(switchAt).every((v) => v === '1.1.0')).toBe(true);

  // Every window has one version: the runs each version answered, no more, no fewer.
  await page.evaluate(() => window.rt.flush());
  const expected = { '1.0.0': 8 + switchAt, '1.1.0': versions.length - switchAt + 8 };
  await expect
    .poll(async () => {
      const profiles = await collector.profiles(model, 'primary');
      return {
        '1.0.0': profiles.get('1.0.0')?.inferences,
        '1.1.0': profiles.get('1.1.0')?.inferences,
      };
    })
    .toEqual(expected);
  expect(
    await page.evaluate(() => window.updates.filter((e) => e.type !== 'progress').map((e) => e.type)),
  ).toEqual(['available', 'activated']);
}

test('a new version that cannot load leaves the old one serving in the same worker, which then swaps fine', async ({
  page,
}) => {
  const model = 'digits-swap-broken';
  await collector.publish(model, '1.0.0');
  await collector.publish(model, '1.1.0');
  await collector.publish(model, '1.3.0', new TextEncoder().encode('this is not an onnx model'));
  await open(page, model);
  const before = await heldoutProbs(page, 8);

  await startSwapLoop(page);
  await collector.api('PUT', `/v1/models/${model}/rollout`, { candidate: '1.3.0', percent: 100 });
  await page.evaluate(() => (window.rt as ManagedRuntime).checkForUpdate());
  expect(await page.evaluate(() => (window.rt as ManagedRuntime).rollout())).toMatchObject({
    version: '1.0.0',
    refused: ['1.3.0'],
  });
  expect(await page.evaluate(() => window.updates.at(-1))).toMatchObject({
    type: 'failed',
    version: '1.3.0',
    reason: 'load',
    running: '1.0.0',
  });
  const loop = await stopSwapLoop(page);
  expect(loop.failed).toEqual([]);
  expect(loop.outputs.every((out, n) => close(out, before[n % 8]!))).toBe(true);
  expect(await swapState(page)).toMatchObject({ workerStarts: 1, version: '1.0.0' });

  await collector.api('PUT', `/v1/models/${model}/rollout`, { candidate: '1.1.0', percent: 100 });
  await page.evaluate(() => (window.rt as ManagedRuntime).checkForUpdate());
  expect(await swapState(page)).toEqual({ workerStarts: 1, lastSwap: { worker: 'same' }, version: '1.1.0' });
  const after = await heldoutProbs(page, 8);
  expect(close(after[0]!, before[0]!)).toBe(false);
});

test('after a worker crash, a swap starts a new worker and says why', async ({ page }) => {
  const model = 'digits-swap-crash';
  await collector.publish(model, '1.0.0');
  await collector.publish(model, '1.1.0');
  await open(page, model);
  await page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        window.rt.on('crash', () => resolve());
        window.rt.crashWorkerForTest();
      }),
  );
  await collector.api('PUT', `/v1/models/${model}/rollout`, { candidate: '1.1.0', percent: 100 });
  await page.evaluate(() => (window.rt as ManagedRuntime).checkForUpdate());
  expect(await swapState(page)).toEqual({
    workerStarts: 2,
    lastSwap: { worker: 'new', reason: 'the worker had crashed' },
    version: '1.1.0',
  });
  expect(await heldoutProbs(page, 8)).toHaveLength(8);
});
