// Runtime benchmark: the digit model on WASM in headless Chromium, one sample per call, every
// contender in the same run: (a) ORT session.run inside a worker (the floor), (a2) that worker over
// raw postMessage, (b) ORT's own proxy worker, (c) TF.js predict, (d) rt.run telemetry on,
// (e) rt.run telemetry off; cold vs warm start; bytes sent per 1,000 inferences.
// Run: npx tsx bench/runtime.bench.ts

import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEV_KEYS, startCollector } from '@driftline/collector';
import driftline from '@driftline/runtime/vite';
import { chromium, type Page } from '@playwright/test';
import { build, type InlineConfig, preview } from 'vite';
// @ts-expect-error plain .mjs helper shared with playwright.config.ts
import { chromiumArgs, findChromium } from '../scripts/chromium.mjs';

const N = 2000;
const ROUNDS = 10;
const WARMUP = 100;
const root = fileURLToPath(new URL('./fixtures/runtime/', import.meta.url));
const publicDir = fileURLToPath(new URL('../demo/public', import.meta.url));
const meta = JSON.parse(readFileSync(join(publicDir, 'models/digits/1.0.0/meta.json'), 'utf8')) as {
  files: Record<string, { sha256: string }>;
};

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const fmt = (ms: number) => ms.toFixed(3);

async function main(): Promise<void> {
  const outDir = mkdtempSync(join(tmpdir(), 'driftline-rt-bench-'));
  const config: InlineConfig = {
    root,
    configFile: false,
    logLevel: 'error',
    publicDir,
    plugins: [driftline()],
    build: { outDir, emptyOutDir: true, chunkSizeWarningLimit: 100_000 },
  };
  await build(config);
  // ORT's proxy worker needs ORT as its own script: copy the unbundled build next to the page.
  const ortDist = dirname(createRequire(join(root, 'x.js')).resolve('onnxruntime-web'));
  mkdirSync(join(outDir, 'ort'));
  for (const file of ['ort.min.mjs', 'ort-wasm-simd-threaded.jsep.mjs', 'ort-wasm-simd-threaded.jsep.wasm']) {
    copyFileSync(join(ortDist, file), join(outDir, 'ort', file));
  }
  // Cross-origin isolated, so that performance.now() has 5 µs resolution instead of 100 µs.
  const headers = {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
  };
  const server = await preview({ ...config, preview: { host: '127.0.0.1', port: 0, headers } });
  const address = server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  const url = `http://127.0.0.1:${address.port}`;
  const collector = await startCollector({ port: 0, dev: true, corsOrigins: ['*'], logLevel: 'silent' });
  const browser = await chromium.launch({
    executablePath: findChromium(),
    args: chromiumArgs,
    headless: true,
  });

  const fresh = async (context = browser): Promise<Page> => {
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForFunction(() => window.ready);
    return page;
  };

  const names: Record<string, string> = {
    p1: '(p1) empty round trip, postMessage both ways (no model)',
    p2: '(p2) empty round trip, SharedArrayBuffer + Atomics.waitAsync both ways',
    p3: '(p3) empty round trip, SAB; worker blocked in Atomics.wait, page waitAsync',
    a: '(a) ORT session.run inside a worker (floor, timed in the worker)',
    a2: '(a2) that worker over raw postMessage (timed on the page)',
    a3: '(a3) that worker over a MessageChannel port (timed on the page)',
    a4: '(a4) that worker over a SharedArrayBuffer, Atomics.waitAsync both sides',
    a5: '(a5) that worker over a SharedArrayBuffer, worker blocked in Atomics.wait',
    a4w: '(a4w) session.run timed inside the worker during (a4)',
    a5w: '(a5w) session.run timed inside the worker during (a5)',
    b: '(b) ORT proxy worker (env.wasm.proxy)',
    c: '(c) TF.js predict on the page (WASM)',
    d: '(d) rt.run, telemetry on',
    e: '(e) rt.run, telemetry off',
  };
  try {
    const context = await browser.newContext();
    // Start-up first, while Cache Storage and the HTTP cache are empty.
    const sha256 = meta.files['model.onnx']!.sha256;
    // BENCH_ONLY=ping,floor runs a subset of the contenders (and skips start-up and telemetry volume).
    const only = process.env.BENCH_ONLY?.split(',');
    const skipped = { wallMs: Number.NaN, loadMs: Number.NaN, source: 'skipped' };
    const startup = () =>
      fresh(context as never).then((p) => p.evaluate((s) => window.bench.startup(s), sha256));
    const cold = only ? skipped : await startup();
    const warm = only ? skipped : await startup();

    // One page per contender, set up once; then rounds that visit every contender in turn, so that
    // load from other processes falls on all of them alike.
    const pages = new Map<string, Page>();
    const bodies: number[] = [];
    for (const kind of ['ping', 'floor', 'b', 'c', 'd', 'e'].filter((k) => !only || only.includes(k))) {
      const page = await fresh();
      try {
        await page.evaluate(([k, c, key]) => window.bench.setup(k, { collector: c, appKey: key }), [
          kind,
          collector.url,
          DEV_KEYS.ingest,
        ] as const);
      } catch (error) {
        console.log(`${kind}: did not run: ${String(error).split('\n')[0]}`);
        continue;
      }
      const kinds: Record<string, string[]> = {
        floor: ['a', 'a2', 'a3', 'a4', 'a5', 'a4w', 'a5w'],
        ping: ['p1', 'p2', 'p3'],
      };
      for (const name of kinds[kind] ?? [kind]) pages.set(name, page);
      const plane = await page.evaluate((k) => window.bench.dataPlanes[k], kind);
      if (plane) names[kind] += ` [${plane}]`;
      if (kind === 'd') {
        page.on('request', (r) => {
          if (r.method() === 'POST' && r.url().endsWith('/v1/telemetry'))
            bodies.push(r.postDataBuffer()?.byteLength ?? 0);
        });
      }
    }
    const times = new Map<string, number[]>([...pages.keys()].map((k) => [k, []]));
    for (const [name, page] of pages)
      await page.evaluate(([n, w]) => window.bench.round(n, w), [name, WARMUP] as const);
    // The warm-up inferences of (d) go out as their own window, so the next one holds exactly N.
    await pages.get('d')?.evaluate(() => window.bench.flush());
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, page] of pages) {
        times
          .get(name)!
          .push(...(await page.evaluate(([n, c]) => window.bench.round(n, c), [name, N / ROUNDS] as const)));
      }
    }
    const flushMs = (await pages.get('d')?.evaluate(() => window.bench.flush())) ?? Number.NaN;

    const floorMedian = times.has('a') ? quantile(times.get('a')!, 0.5) : 0;
    console.log(
      `\nDigit MLP (1.0.0), ONNX on WASM, 1 thread, one [1, 784] sample per call; ${N} calls per contender in ${ROUNDS} interleaved rounds after ${WARMUP} warm-up; page cross-origin isolated.\n`,
    );
    console.log('| contender | median ms | p95 ms | mean ms | median − (a) ms |');
    console.log('| --- | ---: | ---: | ---: | ---: |');
    for (const [name, t] of times) {
      const med = quantile(t, 0.5);
      const mean = t.reduce((a, b) => a + b, 0) / t.length;
      console.log(
        `| ${names[name]} | ${fmt(med)} | ${fmt(quantile(t, 0.95))} | ${fmt(mean)} | ${fmt(med - floorMedian)} |`,
      );
    }
    const med = (name: string) => (times.has(name) ? quantile(times.get(name)!, 0.5) : Number.NaN);
    console.log(
      `\n(d) − (a): ${fmt(med('d') - med('a'))} ms median; over a bare worker with the same messaging: (d) − (a4) ${fmt(med('d') - med('a4'))} ms, (e) − (a4) ${fmt(med('e') - med('a4'))} ms [(d) − (a2) ${fmt(med('d') - med('a2'))} ms]; (d) − (b), against ORT's own proxy worker: ${fmt(med('d') - med('b'))} ms; (d) − (e), telemetry itself: ${fmt(med('d') - med('e'))} ms`,
    );
    console.log(
      `\nStart-up (createRuntime to first output): cold (network) ${cold.wallMs.toFixed(0)} ms [session load ${cold.loadMs.toFixed(0)} ms, model from ${cold.source}], warm ${warm.wallMs.toFixed(0)} ms [session load ${warm.loadMs.toFixed(0)} ms, model from ${warm.source}]`,
    );
    const last = bodies.at(-1) ?? 0;
    console.log(
      `Telemetry: the window of ${N} inferences went out as one batch of ${last} bytes (gzip JSON body): ${((last * 1000) / N).toFixed(0)} bytes per 1,000 inferences; flush took ${flushMs.toFixed(1)} ms`,
    );
  } finally {
    await browser.close();
    await collector.close();
    await server.close();
  }
}

await main();
