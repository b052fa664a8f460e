// A page that runs a model 100,000 times through the runtime, with telemetry on: does memory stay
// bounded? Prints, every 10,000 runs, the page's and the worker's JavaScript heap (as
// performance.measureUserAgentSpecificMemory attributes it), the origin's storage use (IndexedDB
// outbox) and what waits in the outbox; at the end, whether the collector counted every run.
// `pnpm bench long-run`; LONG_RUN_TOTAL=20000 for a shorter run. Figures: docs/performance.md.
import { DEV_KEYS } from '@driftline/collector';
import { chromium } from '@playwright/test';
// @ts-expect-error plain .mjs helper shared with playwright.config.ts
import { chromiumArgs, findChromium } from '../scripts/chromium.mjs';
import { TestCollector } from '../test/fixtures/runtime/collector.ts';
import { startFixtureBuild } from '../test/fixtures/runtime/vite-server.ts';

const total = Number(process.env.LONG_RUN_TOTAL ?? 100_000);
const step = Math.max(1, Math.round(total / 10));
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);

interface Sample {
  runs: number;
  pageHeap: number;
  workerHeap: number;
  storage: number;
  pendingWindows: number;
  msPerRun: number;
}

async function main(): Promise<void> {
  const [server, collector] = await Promise.all([
    startFixtureBuild({ isolated: true }),
    TestCollector.start(),
  ]);
  const browser = await chromium.launch({
    executablePath: findChromium(),
    // Measure memory at once (after a GC) instead of at the browser's next convenient moment.
    args: [...chromiumArgs, '--enable-blink-features=ForceEagerMeasureMemory', '--js-flags=--expose-gc'],
    headless: true,
  });
  const model = 'long-run';
  try {
    const page = await browser.newPage();
    // tsx names functions with a helper; the functions sent to the page need it there too.
    await page.addInitScript('globalThis.__name = (f) => f');
    await page.goto(server.url);
    await page.waitForFunction(() => window.ready);
    await page.evaluate(
      async (s) => {
        window.rt = await window.driftline.createRuntime({
          model: { url: '/models/digits/1.0.0/model.onnx', format: 'onnx', name: s.model, version: '1.0.0' },
          backends: ['wasm'],
          collector: s.collector,
          appKey: s.appKey,
          window: { seconds: 5 },
          features: (inputs) => ({ ink: (inputs.input!.data as Float32Array).reduce((a, b) => a + b, 0) }),
        });
      },
      { collector: collector.url, appKey: DEV_KEYS.ingest, model },
    );
    const samples: Sample[] = [];
    for (let runs = 0; runs < total; ) {
      const n = Math.min(step, total - runs);
      const ms = await page.evaluate(async (count) => {
        const started = performance.now();
        const { pixels } = await window.fixtures.heldout(16);
        for (let i = 0; i < count; i++) {
          const x = pixels.slice((i % 16) * 784, (i % 16) * 784 + 784);
          await window.rt.run({ input: { data: x, dims: [1, 784] } });
        }
        return performance.now() - started;
      }, n);
      runs += n;
      const m = await page.evaluate(async () => {
        const measure = (
          performance as unknown as {
            measureUserAgentSpecificMemory(): Promise<{
              breakdown: { bytes: number; attribution: { scope: string }[] }[];
            }>;
          }
        ).measureUserAgentSpecificMemory();
        const result = await measure;
        let page = 0;
        let worker = 0;
        for (const b of result.breakdown) {
          if (b.attribution.some((a) => a.scope === 'DedicatedWorkerGlobalScope')) worker += b.bytes;
          else if (b.attribution.some((a) => a.scope === 'Window')) page += b.bytes;
        }
        const stats = await window.rt.stats();
        return {
          page,
          worker,
          storage: (await navigator.storage.estimate()).usage ?? 0,
          pending: stats?.pending.windows ?? 0,
        };
      });
      samples.push({
        runs,
        pageHeap: m.page,
        workerHeap: m.worker,
        storage: m.storage,
        pendingWindows: m.pending,
        msPerRun: ms / n,
      });
      console.log(
        `${String(runs).padStart(7)} runs  page heap ${mib(m.page).padStart(6)} MiB  worker heap ${mib(m.worker).padStart(6)} MiB` +
          `  storage ${mib(m.storage).padStart(6)} MiB  outbox ${String(m.pending).padStart(3)} windows  ${(ms / n).toFixed(3)} ms/run`,
      );
    }
    await page.evaluate(() => window.rt.flush());
    let counted = 0;
    for (let i = 0; i < 60 && counted < total; i++) {
      counted = await collector.inferences(model);
      if (counted < total) await new Promise((r) => setTimeout(r, 500));
    }
    const first = samples[Math.min(1, samples.length - 1)]!;
    const last = samples.at(-1)!;
    console.log(
      `\nfrom ${first.runs} to ${last.runs} runs: worker heap ${mib(first.workerHeap)} -> ${mib(last.workerHeap)} MiB ` +
        `(x${(last.workerHeap / first.workerHeap).toFixed(2)}), page heap ${mib(first.pageHeap)} -> ${mib(last.pageHeap)} MiB, ` +
        `storage ${mib(first.storage)} -> ${mib(last.storage)} MiB`,
    );
    console.log(
      `collector counted ${counted} of ${total} runs${counted === total ? ' (exact)' : ' (MISMATCH)'}`,
    );
    if (counted !== total) process.exitCode = 1;
  } finally {
    await browser.close();
    await Promise.all([server.close(), collector.stop()]);
  }
}

await main();
