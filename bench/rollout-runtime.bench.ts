// Rollout benchmark, runtime side: one device in headless Chromium (WASM, digits model) swapping
// between the two real digit versions served by a real collector. Prints the swap time (the
// `available` → `activated` events, download excluded: both versions are in Cache Storage after a
// warm-up round) beside a cold createRuntime in the same run, and the `run` latency of calls made
// while a swap was under way beside calls made when none was. No assertions.
//   npx tsx bench/rollout-runtime.bench.ts     (ROUNDS=10)
import { readFileSync } from 'node:fs';
import { DEV_KEYS, startCollector } from '@driftline/collector';
import { chromium } from '@playwright/test';
// @ts-expect-error plain .mjs helper shared with playwright.config.ts
import { chromiumArgs, findChromium } from '../scripts/chromium.mjs';
import { startFixtureServer } from '../test/fixtures/runtime/vite-server.ts';

declare global {
  interface Window {
    driftline: typeof import('@driftline/runtime');
    fixtures: { heldout(n: number): Promise<{ labels: number[]; pixels: Float32Array }> };
    rt: import('@driftline/runtime').Runtime;
    ready: boolean;
  }
}

const ROUNDS = Number(process.env.ROUNDS ?? 10);
const MODEL = 'digits-bench';
const file = (v: string) =>
  readFileSync(new URL(`../demo/public/models/digits/${v}/model.onnx`, import.meta.url));

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : Number.NaN;
};
const f = (ms: number) => ms.toFixed(1);

async function main(): Promise<void> {
  const [server, collector] = await Promise.all([
    startFixtureServer(),
    startCollector({ port: 0, dev: true, corsOrigins: ['*'], logLevel: 'silent' }),
  ]);
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${collector.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${DEV_KEYS.admin}`, 'content-type': 'application/json' },
      body: body === undefined ? '{}' : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  };
  for (const v of ['1.0.0', '1.1.0']) {
    await api('POST', `/v1/models/${MODEL}/versions`, {
      version: v,
      format: 'onnx',
      files: [{ path: 'model.onnx', data: file(v).toString('base64') }],
    });
  }
  const browser = await chromium.launch({
    executablePath: findChromium(),
    args: chromiumArgs,
    headless: true,
  });
  const page = await browser.newPage();
  await page.goto(server.url);
  await page.waitForFunction(() => window.ready);
  const setup = { model: MODEL, collector: collector.url, appKey: DEV_KEYS.ingest };
  const coldMs = await page.evaluate(async (s) => {
    const started = performance.now();
    const rt = await window.driftline.createRuntime({
      model: s.model,
      collector: s.collector,
      appKey: s.appKey,
      backends: ['wasm'],
      updates: { intervalMs: 0, onVisible: false },
    });
    const ms = performance.now() - started;
    window.rt = rt;
    const w = window as unknown as { swapStart: number; swaps: number[]; swapping: boolean };
    w.swaps = [];
    rt.on('update', (e) => {
      if (e.type === 'available') {
        w.swapStart = performance.now();
        w.swapping = true;
      }
      if (e.type === 'activated' || e.type === 'failed') {
        w.swaps.push(performance.now() - w.swapStart);
        w.swapping = false;
      }
    });
    return ms;
  }, setup);

  // Background runs through the whole benchmark, each tagged with whether a swap was under way.
  await page.evaluate(async () => {
    const { pixels } = await window.fixtures.heldout(16);
    const w = window as unknown as {
      swapping: boolean;
      lat: { ms: number; during: boolean }[];
      failed: number;
      stop: boolean;
      done: Promise<void>;
    };
    w.lat = [];
    w.failed = 0;
    w.stop = false;
    w.done = (async () => {
      for (let i = 0; !w.stop; i++) {
        const during = w.swapping;
        const started = performance.now();
        try {
          await window.rt.run({
            input: { data: pixels.slice((i % 16) * 784, ((i % 16) + 1) * 784), dims: [1, 784] },
          });
        } catch {
          w.failed++;
        }
        w.lat.push({ ms: performance.now() - started, during: during || w.swapping });
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
  });

  const flip = async (round: number) => {
    if (round % 2 === 0)
      await api('PUT', `/v1/models/${MODEL}/rollout`, { candidate: '1.1.0', percent: 100 });
    else await api('POST', `/v1/models/${MODEL}/rollback`);
    await page.evaluate(() => (window.rt as import('@driftline/runtime').ManagedRuntime).checkForUpdate());
    await new Promise((r) => setTimeout(r, 300));
  };
  // Warm-up: both versions downloaded and in Cache Storage, both sessions created once.
  await flip(0);
  await flip(1);
  await page.evaluate(() => {
    const w = window as unknown as { swaps: number[]; lat: unknown[] };
    w.swaps = [];
    w.lat = [];
  });
  for (let r = 0; r < ROUNDS; r++) await flip(r);
  const result = await page.evaluate(async () => {
    const w = window as unknown as {
      swaps: number[];
      lat: { ms: number; during: boolean }[];
      failed: number;
      stop: boolean;
      done: Promise<void>;
    };
    w.stop = true;
    await w.done;
    const info = window.rt.info();
    return {
      swaps: w.swaps,
      lat: w.lat,
      failed: w.failed,
      version: info.model.version,
      workerStarts: info.workerStarts,
      lastSwap: info.lastSwap,
    };
  });
  const during = result.lat.filter((l) => l.during).map((l) => l.ms);
  const idle = result.lat.filter((l) => !l.during).map((l) => l.ms);
  console.log(
    `rounds ${ROUNDS}, last version ${result.version}, swaps timed ${result.swaps.length}, failed runs ${result.failed}`,
  );
  console.log(
    `workers started ${result.workerStarts}, last swap ${JSON.stringify(result.lastSwap ?? 'in a new worker (before in-worker swaps)')}`,
  );
  console.log(`cold createRuntime (manifest + download + worker + session): ${f(coldMs)} ms (anchor)`);
  console.log(
    `swap, download excluded: median ${f(quantile(result.swaps, 0.5))} ms, p95 ${f(quantile(result.swaps, 0.95))} ms, max ${f(Math.max(...result.swaps))} ms; ratio to cold start ${(quantile(result.swaps, 0.5) / coldMs).toFixed(2)}`,
  );
  console.log(
    `run during a swap: n=${during.length}, median ${f(quantile(during, 0.5))} ms, p95 ${f(quantile(during, 0.95))} ms, max ${f(Math.max(...during))} ms`,
  );
  console.log(
    `run with no swap (anchor): n=${idle.length}, median ${f(quantile(idle, 0.5))} ms, p95 ${f(quantile(idle, 0.95))} ms; p95 ratio ${(quantile(during, 0.95) / quantile(idle, 0.95)).toFixed(2)}`,
  );
  await browser.close();
  await Promise.all([server.close(), collector.close()]);
}

await main();
