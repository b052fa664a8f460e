// Runtime benchmark: the digit model on WASM in headless Chromium, one sample per call, every
// contender in the same run: (a) ORT session.run inside a worker (the floor), (a2) that worker over
// raw postMessage, (b) ORT's own proxy worker, (c) TF.js predict, (d) rt.run telemetry on,
// (e) rt.run telemetry off; cold vs warm start; bytes sent per 1,000 inferences.
// Run: npx tsx bench/runtime.bench.ts
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEV_KEYS, startCollector } from '@driftline/collector';
import { chromium, type Page } from '@playwright/test';
import { build, type InlineConfig, preview } from 'vite';
// @ts-expect-error plain .mjs helper shared with playwright.config.ts
import { chromiumArgs, findChromium } from '../scripts/chromium.mjs';

const N = 1000;
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
    worker: { format: 'es' },
    build: { outDir, emptyOutDir: true, chunkSizeWarningLimit: 100_000 },
  };
  await build(config);
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

  const rows: Array<{ name: string; times: number[] }> = [];
  try {
    const context = await browser.newContext();
    // Start-up first, while Cache Storage and the HTTP cache are empty.
    const sha256 = meta.files['model.onnx']!.sha256;
    const cold = await (await fresh(context as never)).evaluate((s) => window.bench.startup(s), sha256);
    const warm = await (await fresh(context as never)).evaluate((s) => window.bench.startup(s), sha256);

    console.error('bench: (a) floor');
    const floor = await (await fresh()).evaluate(([n, w]) => window.bench.floor(n, w), [N, WARMUP] as const);
    rows.push({
      name: '(a) ORT session.run inside a worker (floor, timed in the worker)',
      times: floor.inWorker,
    });
    rows.push({ name: '(a2) same worker over raw postMessage (timed on the page)', times: floor.rawMessage });
    try {
      const proxy = await (await fresh()).evaluate(([n, w]) => window.bench.ortProxy(n, w), [
        N,
        WARMUP,
      ] as const);
      rows.push({ name: '(b) ORT proxy worker (env.wasm.proxy)', times: proxy });
    } catch (error) {
      console.log(`(b) ORT proxy worker did not run: ${String(error).split('\n')[0]}`);
    }
    console.error('bench: (c) TF.js');
    rows.push({
      name: '(c) TF.js predict on the page (WASM)',
      times: await (await fresh()).evaluate(([n, w]) => window.bench.tfjsPredict(n, w), [N, WARMUP] as const),
    });
    console.error('bench: (d) rt.run telemetry on');
    const onPage = await fresh();
    const bodies: number[] = [];
    onPage.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/v1/telemetry'))
        bodies.push(r.postDataBuffer()?.byteLength ?? 0);
    });
    const on = await onPage.evaluate(
      ([n, w, c, k]) => window.bench.rtRun(n, w, { telemetry: true, collector: c, appKey: k }),
      [N, WARMUP, collector.url, DEV_KEYS.ingest] as const,
    );
    rows.push({ name: '(d) rt.run, telemetry on', times: on.times });
    console.error('bench: (e) rt.run telemetry off');
    const off = await (await fresh()).evaluate(([n, w]) => window.bench.rtRun(n, w, { telemetry: false }), [
      N,
      WARMUP,
    ] as const);
    rows.push({ name: '(e) rt.run, telemetry off', times: off.times });

    const floorMedian = quantile(floor.inWorker, 0.5);
    console.log(
      `\nDigit MLP (1.0.0), ONNX on WASM, 1 thread, one [1, 784] sample per call; ${N} calls after ${WARMUP} warm-up; page cross-origin isolated.\n`,
    );
    console.log('| contender | median ms | p95 ms | median − (a) ms |');
    console.log('| --- | ---: | ---: | ---: |');
    for (const r of rows) {
      const med = quantile(r.times, 0.5);
      console.log(
        `| ${r.name} | ${fmt(med)} | ${fmt(quantile(r.times, 0.95))} | ${fmt(med - floorMedian)} |`,
      );
    }
    const get = (prefix: string) => rows.find((r) => r.name.startsWith(prefix));
    const d = get('(d)');
    const a2 = get('(a2)');
    const b = get('(b)');
    if (d && a2) {
      console.log(
        `\n(d) − (a2), the runtime's cost over a bare worker with the same messaging: ${fmt(quantile(d.times, 0.5) - quantile(a2.times, 0.5))} ms median`,
      );
    }
    if (d && b) {
      console.log(
        `(d) − (b), against ORT's own proxy worker: ${fmt(quantile(d.times, 0.5) - quantile(b.times, 0.5))} ms median`,
      );
    }
    console.log(
      `\nStart-up (createRuntime to first output): cold (network) ${cold.wallMs.toFixed(0)} ms [session load ${cold.loadMs.toFixed(0)} ms, model from ${cold.source}], warm ${warm.wallMs.toFixed(0)} ms [session load ${warm.loadMs.toFixed(0)} ms, model from ${warm.source}]`,
    );
    const last = bodies.at(-1) ?? 0;
    console.log(
      `Telemetry: the window of ${N} inferences went out as ${bodies.length > 0 ? 1 : 0} batch of ${last} bytes (gzip JSON body): ${((last * 1000) / N).toFixed(0)} bytes per 1,000 inferences; flush took ${on.flushMs.toFixed(1)} ms`,
    );
  } finally {
    await browser.close();
    await collector.close();
    await server.close();
  }
}

await main();
