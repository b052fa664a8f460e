// A TF.js version through the manifest, in real Chromium against a real collector: the digit
// model's TF.js export published through the registry API, loaded by model name, updated, a
// tampered shard refused, an offline restart on the cached version, and a TF.js shadow version.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, type Page, test } from '@playwright/test';
import type { ViteDevServer } from 'vite';
import { heldoutProbs, openManaged } from './fixtures/rollout/managed-page.ts';
import { RolloutCollector } from './fixtures/rollout/rollout-collector.ts';
import { startFixtureServer } from './fixtures/runtime/vite-server.ts';

let server: ViteDevServer & { url: string };
let collector: RolloutCollector;

test.beforeAll(async () => {
  [server, collector] = await Promise.all([startFixtureServer(), RolloutCollector.start()]);
});
test.afterAll(async () => {
  await Promise.all([server?.close(), collector?.stop()]);
});

type Managed = import('@driftline/runtime').ManagedRuntime;

const SHARD = 'group1-shard1of1.bin';
const tfjsFile = (version: string, name: string) =>
  readFileSync(new URL(`../demo/public/models/digits/${version}/tfjs/${name}`, import.meta.url));
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Publishes model.json and its shard as a tfjs version, with the ONNX export's tensor names. */
function publishTfjs(model: string, version: string, json: Uint8Array, shard: Uint8Array) {
  return collector.api('POST', `/v1/models/${model}/versions`, {
    version,
    format: 'tfjs',
    files: [
      { path: 'model.json', data: Buffer.from(json).toString('base64') },
      { path: SHARD, data: Buffer.from(shard).toString('base64') },
    ],
    inputs: [{ name: 'input', dtype: 'float32', shape: ['N', 784] }],
    outputs: [{ name: 'probs', dtype: 'float32', shape: ['N', 10] }],
  });
}

/** Starts a runtime on `model` by name (polling only when asked) and answers its rollout state. */
function open(page: Page, model: string, shadow = false) {
  return openManaged(page, server.url, {
    model,
    collector: collector.url,
    appKey: collector.ingestKey,
    onVisible: false,
    shadow,
  });
}

const probs = heldoutProbs;

/** The same digits through the ONNX export of `version`, loaded by URL (the parity reference). */
function onnxProbs(page: Page, version: string, n: number): Promise<number[][]> {
  return page.evaluate(
    async (s) => {
      const rt = await window.driftline.createRuntime({
        model: { url: `/models/digits/${s.version}/model.onnx`, format: 'onnx' },
        backends: ['wasm'],
        cache: false,
      });
      const { pixels } = await window.fixtures.heldout(s.n);
      const out: number[][] = [];
      for (let i = 0; i < s.n; i++) {
        const r = await rt.run({ input: { data: pixels.slice(i * 784, (i + 1) * 784), dims: [1, 784] } });
        out.push([...(r.probs!.data as Float32Array)]);
      }
      await rt.dispose();
      return out;
    },
    { version, n },
  );
}

const maxAbsDiff = (a: number[][], b: number[][]) =>
  Math.max(...a.flatMap((row, i) => row.map((x, j) => Math.abs(x - b[i]![j]!))));

test('a TF.js version runs by model name with ONNX parity, updates, refuses a tampered shard, and restarts offline from the cache', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const model = 'digits-tfjs';
  const json = tfjsFile('1.0.0', 'model.json');
  await publishTfjs(model, '1.0.0', json, tfjsFile('1.0.0', SHARD));
  await publishTfjs(model, '1.1.0', tfjsFile('1.1.0', 'model.json'), tfjsFile('1.1.0', SHARD));
  // 1.2.0: 1.0.0 with one weight nudged, so its shard is a file this device never downloaded.
  const nudged = Buffer.from(tfjsFile('1.0.0', SHARD));
  nudged[0] = (nudged[0] ?? 0) ^ 1;
  await publishTfjs(model, '1.2.0', json, nudged);

  // Start: both files downloaded once, with progress over their total; the worker reads them
  // from the model cache (no second request) and loads them as TF.js, with the ONNX names.
  const artifacts: string[] = [];
  page.context().on('request', (r) => {
    if (r.url().includes('/v1/artifacts/')) artifacts.push(r.url());
  });
  const start = await open(page, model);
  expect(start).toMatchObject({ version: '1.0.0', assignment: 'stable' });
  expect(start.info.model).toMatchObject({ format: 'tfjs', version: '1.0.0' });
  expect(artifacts.sort()).toEqual(
    [sha256(json), sha256(tfjsFile('1.0.0', SHARD))].map((h) => `${collector.url}/v1/artifacts/${h}`).sort(),
  );
  expect(start.info).toMatchObject({ modelSource: 'cache', backend: 'wasm', outputNames: ['probs'] });
  const total = json.byteLength + tfjsFile('1.0.0', SHARD).byteLength;
  expect(await page.evaluate(() => window.startProgress.at(-1))).toEqual({
    version: '1.0.0',
    loaded: total,
    total,
  });
  expect(maxAbsDiff(await probs(page, 4), await onnxProbs(page, '1.0.0', 4))).toBeLessThan(1e-4);

  // Update to 1.1.0 through the manifest, with the same parity against its ONNX export.
  await collector.api('PUT', `/v1/models/${model}/rollout`, { candidate: '1.1.0', percent: 100 });
  await page.evaluate(() => (window.rt as Managed).checkForUpdate());
  expect(await page.evaluate(() => (window.rt as Managed).rollout().version)).toBe('1.1.0');
  expect(await page.evaluate(() => window.updates.map((e) => e.type).at(-1))).toBe('activated');
  const online = await probs(page, 4);
  expect(maxAbsDiff(online, await onnxProbs(page, '1.1.0', 4))).toBeLessThan(1e-4);

  // 1.2.0's shard is altered on the way: refused by name, 1.1.0 keeps answering.
  await page.route(`**/v1/artifacts/${sha256(nudged)}`, async (route) => {
    const response = await route.fetch();
    const body = Buffer.from(await response.body());
    body[body.length >> 1] = (body[body.length >> 1] ?? 0) ^ 0xff;
    await route.fulfill({ response, body });
  });
  await collector.api('PUT', `/v1/models/${model}/rollout`, { candidate: '1.2.0', percent: 100 });
  await page.evaluate(() => (window.rt as Managed).checkForUpdate());
  expect(await page.evaluate(() => (window.rt as Managed).rollout())).toMatchObject({
    version: '1.1.0',
    refused: ['1.2.0'],
  });
  const failed = await page.evaluate(() => window.updates.find((e) => e.type === 'failed'));
  expect(failed).toMatchObject({ version: '1.2.0', reason: 'verification', running: '1.1.0' });
  expect((failed as { message: string }).message).toContain(`1.2.0: ${SHARD}`);
  expect(await probs(page, 4)).toEqual(online);

  // Offline restart: the last known good TF.js version from the cache, without a request.
  await page.evaluate(() => window.rt.dispose());
  await page.context().route(`${collector.url}/**`, (route) => route.abort('internetdisconnected'));
  const offline = await open(page, model);
  expect(offline).toMatchObject({ version: '1.1.0' });
  expect(offline.info).toMatchObject({ modelSource: 'cache', model: { format: 'tfjs', version: '1.1.0' } });
  expect(await probs(page, 4)).toEqual(online);
});

test('a TF.js shadow version runs beside an ONNX primary and its agreement reaches the collector', async ({
  page,
}) => {
  test.setTimeout(60_000);
  const model = 'digits-tfjs-shadow';
  await collector.publish(model, '1.0.0');
  // 1.0.1 is the TF.js export of 1.0.0's weights: loaded from all of its files, it agrees on every digit.
  await publishTfjs(model, '1.0.1', tfjsFile('1.0.0', 'model.json'), tfjsFile('1.0.0', SHARD));
  await collector.api('PUT', `/v1/models/${model}/shadow`, { version: '1.0.1', percent: 100, sample: 100 });
  const rollout = () => page.evaluate(() => (window.rt as Managed).rollout());

  expect(await open(page, model, true)).toMatchObject({ version: '1.0.0', assignment: 'stable' });
  await expect.poll(async () => (await rollout()).shadow, { timeout: 20_000 }).toBe('1.0.1');
  await probs(page, 8);
  // Every sampled input either ran in the shadow (and was recorded) or was skipped as busy.
  await expect.poll(async () => ((r) => r.shadowRuns + r.shadowSkipped)(await rollout())).toBe(8);
  const { shadowRuns } = await rollout();
  expect(shadowRuns).toBeGreaterThan(0);
  await page.evaluate(() => window.rt.flush());
  await expect
    .poll(async () => (await collector.profiles(model, 'shadow')).get('1.0.1')?.inferences ?? 0, {
      timeout: 10_000,
    })
    .toBe(shadowRuns);
  const profile = (await collector.profiles(model, 'shadow')).get('1.0.1');
  expect(RolloutCollector.mean(profile, 'shadow.top1_agree')).toBe(1);
  expect(RolloutCollector.mean(profile, 'shadow.mean_abs_diff')).toBeLessThan(1e-4);
  // The page was answered by the ONNX primary only.
  expect(await page.evaluate(() => window.rt.info().model)).toMatchObject({
    format: 'onnx',
    version: '1.0.0',
  });
  expect((await collector.profiles(model, 'primary')).has('1.0.1')).toBe(false);
});
