// Dashboard benchmark: a real collector (PGlite on disk) seeded like the dashboard e2e test (two digit
// versions, a baseline hour, 20 minutes of telemetry on 3 segments). Prints, per view, the time of the
// API calls the view makes on each refresh (in parallel, as the page does) beside GET /healthz in the
// same run; the time from navigation to the rendered view in headless Chromium beside a blank page;
// and the size of the built bundle (raw and gzip). No assertions: tests assert, benchmarks report.
//   npx tsx bench/dashboard.bench.ts      (ROUNDS=30)
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createKey, startCollector } from '@driftline/collector';
import { seedDemoData } from '@driftline/collector/seed';
import { chromium } from '@playwright/test';
import { build } from 'vite';
// @ts-expect-error plain .mjs helper shared with playwright.config.ts
import { chromiumArgs, findChromium } from '../scripts/chromium.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 30);
const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'packages', 'collector', 'dashboard', 'dist');

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const fmt = (xs: number[]) =>
  `median ${quantile(xs, 0.5).toFixed(1)} ms, p95 ${quantile(xs, 0.95).toFixed(1)} ms`;

await build({
  configFile: join(root, 'packages', 'collector', 'dashboard', 'vite.config.ts'),
  logLevel: 'warn',
});
const dataDir = await mkdtemp(join(tmpdir(), 'driftline-dashboard-bench-'));
const c = await startCollector({ port: 0, dataDir, logLevel: 'silent', rolloutIntervalMs: 3_600_000 });
const browser = await chromium.launch({ executablePath: findChromium(), args: chromiumArgs });
try {
  const keys = {
    ingest: (await createKey(c.storage, 'ingest')).secret,
    read: (await createKey(c.storage, 'read')).secret,
    admin: (await createKey(c.storage, 'admin')).secret,
  };
  await seedDemoData(c.url, keys, root);
  await new Promise((r) => setTimeout(r, 2_500)); // let the compactor fold the parts into rollups

  const get = async (path: string, key = keys.read) => {
    const res = await fetch(`${c.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`${path} answered ${res.status}`);
  };
  const now = Date.now();
  const r = `from=${now - 3_600_000}&to=${now}`;
  const m = '/v1/models/digits';
  const views: Record<string, string[]> = {
    anchor: ['/healthz'],
    overview: [
      '/v1/models',
      `${m}/summary?${r}`,
      `${m}/timeseries?metric=inferences&bucket=minute&${r}`,
      `${m}/timeseries?metric=errors&bucket=minute&${r}`,
    ],
    latency: [
      '/v1/models',
      ...['latency_p50', 'latency_p90', 'latency_p99'].map(
        (x) => `${m}/timeseries?metric=${x}&bucket=minute&${r}`,
      ),
      `${m}/latency?by=backend&${r}`,
      `${m}/latency?by=segment&${r}`,
      `${m}/latency/timeseries?by=backend&quantile=0.9&bucket=minute&${r}`,
      `${m}/latency/timeseries?by=segment&quantile=0.9&bucket=minute&${r}`,
    ],
    drift: [
      '/v1/models',
      `${m}/summary?${r}`,
      `${m}/drift?version=1.0.0&reference=baseline&${r}`,
      `${m}/drift/distributions?version=1.0.0&reference=baseline&${r}`,
    ],
    rollout: ['/v1/models', `${m}/status`, `${m}/history?limit=30`, `${m}/versions`],
    events: ['/v1/models', '/v1/events?model=digits&limit=200'],
  };
  console.log(`API time of one refresh per view (${ROUNDS} rounds, calls in parallel):`);
  for (const [name, paths] of Object.entries(views)) {
    for (let i = 0; i < 3; i++) await Promise.all(paths.map((p) => get(p)));
    const times: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const t0 = performance.now();
      await Promise.all(paths.map((p) => get(p)));
      times.push(performance.now() - t0);
    }
    console.log(`  ${name.padEnd(9)} ${String(paths.length).padStart(2)} calls  ${fmt(times)}`);
  }

  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(c.url);
  await page.getByTestId('key-input').fill(keys.admin);
  await page.getByTestId('key-submit').click();
  await page.getByTestId('auto-refresh').uncheck();
  const blank: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    await page.goto('about:blank');
    await page.goto(`${c.url}/openapi.json`);
    blank.push(performance.now() - t0);
  }
  console.log(`\nNavigation to a rendered view in headless Chromium (10 loads each):`);
  console.log(`  anchor    about:blank + GET /openapi.json  ${fmt(blank)}`);
  for (const view of ['overview', 'latency', 'drift', 'rollout', 'events']) {
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      await page.goto('about:blank');
      const t0 = performance.now();
      await page.goto(`${c.url}/#${view}`);
      await page.locator(`[data-view=${view}]`).waitFor();
      times.push(performance.now() - t0);
    }
    console.log(`  ${view.padEnd(9)} ${fmt(times)}`);
  }

  console.log('\nBundle (dashboard/dist):');
  for (const f of ['index.html', ...readdirSync(join(dist, 'assets')).map((a) => join('assets', a))]) {
    const b = readFileSync(join(dist, f));
    console.log(
      `  ${f.padEnd(32)} ${(b.length / 1024).toFixed(1)} KiB raw, ${(gzipSync(b).length / 1024).toFixed(1)} KiB gzip`,
    );
  }
} finally {
  await browser.close();
  await c.close();
  await rm(dataDir, { recursive: true, force: true });
}
