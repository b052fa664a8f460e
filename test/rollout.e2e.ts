import { bucketOf, createSigningKey } from '@driftline/collector';
import { type Browser, expect, type Page, test } from '@playwright/test';
import type { ViteDevServer } from 'vite';
import { argmax, heldoutProbs, openManaged, startManaged } from './fixtures/rollout/managed-page.ts';
import { nanDigitsModel, throwingDigitsModel } from './fixtures/rollout/nan-model.ts';
import { digitsSha, RolloutCollector } from './fixtures/rollout/rollout-collector.ts';
import { startFixtureServer } from './fixtures/runtime/vite-server.ts';

let server: ViteDevServer & { url: string };
let collector: RolloutCollector;

test.beforeAll(async () => {
  [server, collector] = await Promise.all([startFixtureServer(), RolloutCollector.start()]);
});
test.afterAll(async () => {
  await Promise.all([server?.close(), collector?.stop()]);
});

type Rollout = import('@driftline/runtime').RolloutState;

declare global {
  interface Window {
    loop?: { stop: boolean; ok: number; failed: number; versions: string[]; done: Promise<void> };
  }
}

/** Opens the fixture page and starts a runtime on the model `name` through the manifest. */
function open(page: Page, name: string, intervalMs = 400): Promise<Rollout> {
  return openManaged(page, server.url, {
    model: name,
    collector: collector.url,
    appKey: collector.ingestKey,
    intervalMs,
  });
}

const rollout = (page: Page) =>
  page.evaluate(() => (window.rt as import('@driftline/runtime').ManagedRuntime).rollout());

/** Runs `n` held-out digits one by one; answers the predicted classes. */
async function classify(page: Page, n: number): Promise<number[]> {
  return (await heldoutProbs(page, n)).map(argmax);
}

/** Keeps running digits in the background until stopped, counting failures. */
function startLoop(page: Page): Promise<void> {
  return page.evaluate(async () => {
    const { pixels } = await window.fixtures.heldout(8);
    const loop = { stop: false, ok: 0, failed: 0, versions: [] as string[], done: Promise.resolve() };
    loop.done = (async () => {
      for (let i = 0; !loop.stop; i++) {
        try {
          const x = pixels.slice((i % 8) * 784, ((i % 8) + 1) * 784);
          await window.rt.run({ input: { data: x, dims: [1, 784] } });
          loop.ok++;
          loop.versions.push(window.rt.info().model.version);
        } catch {
          loop.failed++;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    window.loop = loop;
  });
}

function stopLoop(page: Page): Promise<{ ok: number; failed: number; versions: string[] }> {
  return page.evaluate(async () => {
    const loop = window.loop!;
    loop.stop = true;
    await loop.done;
    return { ok: loop.ok, failed: loop.failed, versions: [...new Set(loop.versions)] };
  });
}

async function devicePage(browser: Browser): Promise<Page> {
  return (await browser.newContext()).newPage();
}

test('devices split as their buckets say, follow a pin, and all return to 1.0.0 on rollback without a failed run', async ({
  browser,
}) => {
  test.setTimeout(150_000);
  const model = 'digits-split';
  await collector.publish(model, '1.0.0');
  await collector.publish(model, '1.1.0');
  await collector.api('PUT', `/v1/models/${model}/rollout`, { candidate: '1.1.0', percent: 50 });
  const salt = await collector.salt(model);

  const pages = await Promise.all([0, 1, 2, 3].map(() => devicePage(browser)));
  const states = await Promise.all(pages.map((p) => open(p, model)));
  expect(new Set(states.map((s) => s.deviceId)).size).toBe(4);
  for (const s of states) {
    const bucket = bucketOf(model, salt, s.deviceId);
    expect(s.bucket).toBe(bucket);
    expect(s.version).toBe(bucket < 5000 ? '1.1.0' : '1.0.0');
    expect(s.assignment).toBe(bucket < 5000 ? 'candidate' : 'stable');
  }
  for (const p of pages) expect(await classify(p, 3)).toHaveLength(3);

  // Pin the first device to 1.0.0: it follows at its next poll, whatever its bucket says.
  await collector.api('PUT', `/v1/models/${model}/pins/${states[0]!.deviceId}`, { version: '1.0.0' });
  await expect.poll(async () => (await rollout(pages[0]!)).assignment, { timeout: 10_000 }).toBe('device');
  expect((await rollout(pages[0]!)).version).toBe('1.0.0');

  // Roll back while every page keeps running: all on 1.0.0 at their next poll, no run fails.
  await Promise.all(pages.map(startLoop));
  await collector.api('POST', `/v1/models/${model}/rollback`, { reason: 'e2e' });
  for (const p of pages) {
    await expect
      .poll(
        async () =>
          `${(await rollout(p)).version} ${JSON.stringify(await p.evaluate(() => window.updates))} ${JSON.stringify(await rollout(p))}`,
        { timeout: 30_000 },
      )
      .toMatch(/^1\.0\.0/);
  }
  await new Promise((r) => setTimeout(r, 300));
  for (const p of pages) {
    const loop = await stopLoop(p);
    expect(loop.failed).toBe(0);
    expect(loop.ok).toBeGreaterThan(0);
    expect(await classify(p, 1)).toHaveLength(1);
    expect((await p.evaluate(() => window.rt.info().model)).version).toBe('1.0.0');
  }
  const swapped = states.filter((s) => s.version === '1.1.0').length;
  const activated = await Promise.all(
    pages.map((p) => p.evaluate(() => window.updates.filter((e) => e.type === 'activated').length)),
  );
  expect(activated.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(swapped);
  await Promise.all(pages.map((p) => p.context().close()));
});

test('a tampered artifact is refused while the old version keeps answering, and the collector hears of it', async ({
  page,
}) => {
  const model = 'digits-tamper';
  await collector.publish(model, '1.0.0');
  await collector.publish(model, '1.1.0');
  expect((await open(page, model, 0)).version).toBe('1.0.0');
  await classify(page, 3);
  await page.route(`**/v1/artifacts/${digitsSha('1.1.0')}`, async (route) => {
    const response = await route.fetch();
    const body = Buffer.from(await response.body());
    const at = body.length >> 1;
    body[at] = (body[at] ?? 0) ^ 0xff;
    await route.fulfill({ response, body });
  });
  await collector.api('PUT', `/v1/models/${model}/rollout`, { candidate: '1.1.0', percent: 100 });
  await page.evaluate(() => (window.rt as import('@driftline/runtime').ManagedRuntime).checkForUpdate());
  const state = await rollout(page);
  expect(state.version).toBe('1.0.0');
  expect(state.refused).toEqual(['1.1.0']);
  const failed = await page.evaluate(() => window.updates.find((e) => e.type === 'failed'));
  expect(failed).toMatchObject({
    type: 'failed',
    version: '1.1.0',
    reason: 'verification',
    running: '1.0.0',
  });
  expect(await classify(page, 3)).toHaveLength(3);
  await expect
    .poll(async () => (await collector.profiles(model, 'primary')).get('1.1.0')?.errors ?? 0, {
      timeout: 10_000,
    })
    .toBeGreaterThan(0);
  const activation = (await collector.profiles(model, 'primary')).get('1.1.0')!.features[
    'activation.failure'
  ];
  expect([...(activation as import('@driftline/protocol').CategoricalSketch).counts()]).toEqual([
    ['verification', 1],
  ]);
});

test('with the collector unreachable, a start runs on the cached version it last ran', async ({ page }) => {
  const model = 'digits-offline';
  await collector.publish(model, '1.0.0');
  expect((await open(page, model, 0)).version).toBe('1.0.0');
  const online = await classify(page, 5);
  const progress = await page.evaluate(() => window.startProgress);
  expect(progress.at(-1)).toMatchObject({ version: '1.0.0', loaded: 407_671, total: 407_671 });
  await page.evaluate(() => window.rt.dispose());
  await page.context().route(`${collector.url}/**`, (route) => route.abort('internetdisconnected'));
  const state = await open(page, model, 0);
  expect(state.version).toBe('1.0.0');
  expect(await page.evaluate(() => window.rt.info().modelSource)).toBe('cache');
  expect(await classify(page, 5)).toEqual(online);
});

test('a shadow version runs beside the primary and its agreement reaches the collector', async ({ page }) => {
  const model = 'digits-shadow';
  await collector.publish(model, '1.0.0');
  await collector.publish(model, '1.1.0');
  await collector.api('PUT', `/v1/models/${model}/shadow`, { version: '1.1.0', percent: 100, sample: 100 });
  expect((await open(page, model, 0)).version).toBe('1.0.0');
  await expect.poll(async () => (await rollout(page)).shadow, { timeout: 20_000 }).toBe('1.1.0');
  const answers = await classify(page, 20);
  expect(answers).toHaveLength(20);
  await expect
    .poll(async () => (await rollout(page)).shadowRuns + (await rollout(page)).shadowSkipped)
    .toBe(20);
  await page.evaluate(() => window.rt.flush());
  const shadow = await expect
    .poll(async () => (await collector.profiles(model, 'shadow')).get('1.1.0')?.inferences ?? 0, {
      timeout: 10_000,
    })
    .toBeGreaterThan(0);
  void shadow;
  const profile = (await collector.profiles(model, 'shadow')).get('1.1.0');
  const agree = RolloutCollector.mean(profile, 'shadow.top1_agree');
  expect(agree).toBeGreaterThan(0.7);
  expect(agree).toBeLessThanOrEqual(1);
  expect(RolloutCollector.mean(profile, 'shadow.mean_abs_diff')).toBeGreaterThanOrEqual(0);
  // The shadow never answered the page: the primary's version did.
  expect((await page.evaluate(() => window.rt.info().model)).version).toBe('1.0.0');
  expect((await collector.profiles(model, 'shadow')).has('1.0.0')).toBe(false);
});

test('a version that answers NaN on its first run is left for the last known good, and that run is answered by it', async ({
  page,
}) => {
  const model = 'digits-nan';
  await collector.publish(model, '1.0.0');
  await collector.publish(model, '1.2.0', nanDigitsModel());
  expect((await open(page, model, 0)).version).toBe('1.0.0');
  const good = await classify(page, 5);
  await collector.api('PUT', `/v1/models/${model}/rollout`, { candidate: '1.2.0', percent: 100 });
  await page.evaluate(() => (window.rt as import('@driftline/runtime').ManagedRuntime).checkForUpdate());
  expect((await rollout(page)).version).toBe('1.2.0');
  const answer = await page.evaluate(async () => {
    const { pixels } = await window.fixtures.heldout(1);
    const r = await window.rt.run({ input: { data: pixels, dims: [1, 784] } });
    return [...(r.probs!.data as Float32Array)];
  });
  expect(answer.some(Number.isNaN)).toBe(false);
  expect(answer.indexOf(Math.max(...answer))).toBe(good[0]);
  const state = await rollout(page);
  expect(state).toMatchObject({ version: '1.0.0', refused: ['1.2.0'] });
  // One progress event per chunk the download arrived in: how many depends on the network.
  const types = await page.evaluate(() => window.updates.map((e) => e.type));
  expect(types.filter((t, i) => t !== 'progress' || types[i - 1] !== 'progress')).toEqual([
    'available',
    'progress',
    'activated',
    'failed',
  ]);
  expect(await page.evaluate(() => window.updates.at(-1))).toMatchObject({
    reason: 'run',
    version: '1.2.0',
    running: '1.0.0',
  });
  expect(await classify(page, 5)).toEqual(good);
});

test('with a public key, a signed manifest is accepted and an altered one refused', async ({ page }) => {
  const model = 'digits-signed';
  await collector.publish(model, '1.0.0');
  await collector.publish(model, '1.1.0');
  const { publicKey } = await createSigningKey(collector.collector.storage);
  await expect
    .poll(async () => {
      const res = await fetch(`${collector.url}/v1/models/${model}/manifest?device=x`, {
        headers: { authorization: `Bearer ${collector.ingestKey}` },
      });
      return Boolean(((await res.json()) as { signature?: string }).signature);
    })
    .toBe(true);
  await page.goto(server.url);
  await page.waitForFunction(() => window.ready);
  const start = async (key: string) =>
    (
      await startManaged(page, {
        model,
        collector: collector.url,
        appKey: collector.ingestKey,
        publicKey: key,
      })
    ).version;
  expect(await start(publicKey)).toBe('1.0.0');
  await page.evaluate(() => window.rt.dispose());
  // Another key: refused at start.
  const other = `${'A'.repeat(43)}=`;
  await expect(start(other)).rejects.toThrow(/MODEL_INTEGRITY|signed|verified/);
  expect(await start(publicKey)).toBe('1.0.0');
  // A manifest altered on the way (the candidate slipped in) is refused on a poll.
  await page.route(`**/v1/models/${model}/manifest**`, async (route) => {
    const response = await route.fetch();
    const body = (await response.json()) as { version: string; etag: string };
    await route.fulfill({ response, json: { ...body, version: '1.1.0', etag: '"forged"' } });
  });
  await page.evaluate(() => (window.rt as import('@driftline/runtime').ManagedRuntime).checkForUpdate());
  expect(await page.evaluate(() => window.updates.at(-1))).toMatchObject({
    type: 'failed',
    reason: 'signature',
  });
  expect((await rollout(page)).version).toBe('1.0.0');
  expect(await classify(page, 2)).toHaveLength(2);
});

test('a replayed old signed manifest is refused as MANIFEST_STALE and the newer version keeps running', async ({
  page,
}) => {
  const model = 'digits-replay';
  await collector.publish(model, '1.0.0');
  await collector.publish(model, '1.1.0');
  const { id, publicKey } = await createSigningKey(collector.collector.storage);
  const manifestNow = async () => {
    const res = await fetch(`${collector.url}/v1/models/${model}/manifest?device=replay`, {
      headers: { authorization: `Bearer ${collector.ingestKey}` },
    });
    return (await res.json()) as { keyId?: string; version: string; issuedAt: number };
  };
  // The collector caches its signing key for a second: wait until manifests carry the new one.
  await expect.poll(async () => (await manifestNow()).keyId).toBe(id);
  // What a cache or proxy kept from earlier: the validly signed manifest of 1.0.0.
  const old = await manifestNow();
  expect(old.version).toBe('1.0.0');
  await page.goto(server.url);
  await page.waitForFunction(() => window.ready);
  await startManaged(page, { model, collector: collector.url, appKey: collector.ingestKey, publicKey });
  await collector.api('PUT', `/v1/models/${model}/rollout`, { candidate: '1.1.0', percent: 100 });
  await page.evaluate(() => (window.rt as import('@driftline/runtime').ManagedRuntime).checkForUpdate());
  expect((await rollout(page)).version).toBe('1.1.0');
  // Now the old answer is served again, signature intact: it would move the device back.
  await page.route(`**/v1/models/${model}/manifest**`, (route) => route.fulfill({ json: old }));
  await page.evaluate(() => (window.rt as import('@driftline/runtime').ManagedRuntime).checkForUpdate());
  const refused = await page.evaluate(() => window.updates.at(-1));
  expect(refused).toMatchObject({ type: 'failed', reason: 'stale', running: '1.1.0' });
  expect((refused as { message: string }).message).toMatch(/replayed/);
  expect((await rollout(page)).version).toBe('1.1.0');
  // Past its probation runs, 1.1.0 is this device's last known good.
  expect(await classify(page, 4)).toHaveLength(4);
  // A reload does not forget: starting on the replayed manifest is refused too, on the cached 1.1.0.
  await page.reload();
  await page.waitForFunction(() => window.ready);
  const restarted = await startManaged(page, {
    model,
    collector: collector.url,
    appKey: collector.ingestKey,
    publicKey,
  });
  expect(restarted.version).toBe('1.1.0');
  await expect
    .poll(() => page.evaluate(() => window.updates.some((u) => u.type === 'failed' && u.reason === 'stale')))
    .toBe(true);
});

test('without an interval, the page becoming visible again polls the manifest', async ({ page }) => {
  const model = 'digits-visible';
  await collector.publish(model, '1.0.0');
  await collector.publish(model, '1.1.0');
  expect((await open(page, model, 0)).version).toBe('1.0.0');
  await collector.api('PUT', `/v1/models/${model}/rollout`, { candidate: '1.1.0', percent: 100 });
  await new Promise((r) => setTimeout(r, 500));
  expect((await rollout(page)).version).toBe('1.0.0');
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await expect.poll(async () => (await rollout(page)).version, { timeout: 20_000 }).toBe('1.1.0');
  const types = await page.evaluate(() => window.updates.map((e) => e.type));
  expect(types[0]).toBe('available');
  expect(types).toContain('progress');
  expect(types.at(-1)).toBe('activated');
  expect(await classify(page, 2)).toHaveLength(2);
});

test('a version that throws on its first run is left for the last known good, and that run is answered by it', async ({
  page,
}) => {
  const model = 'digits-throw';
  await collector.publish(model, '1.0.0');
  await collector.publish(model, '1.3.0', throwingDigitsModel());
  expect((await open(page, model, 0)).version).toBe('1.0.0');
  const good = await classify(page, 4);
  await collector.api('PUT', `/v1/models/${model}/rollout`, { candidate: '1.3.0', percent: 100 });
  await page.evaluate(() => (window.rt as import('@driftline/runtime').ManagedRuntime).checkForUpdate());
  expect((await rollout(page)).version).toBe('1.3.0');
  expect(await classify(page, 4)).toEqual(good);
  expect(await rollout(page)).toMatchObject({ version: '1.0.0', refused: ['1.3.0'] });
  expect(await page.evaluate(() => window.updates.at(-1))).toMatchObject({
    type: 'failed',
    reason: 'run',
    version: '1.3.0',
    running: '1.0.0',
  });
});
