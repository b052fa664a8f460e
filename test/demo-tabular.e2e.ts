import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEV_KEYS } from '@driftline/collector';
import { expect, test } from '@playwright/test';
import type { ViteDevServer } from 'vite';
import { publishWeatherModel } from '../demo/seed/publish-demo-models.ts';
import { startDemoDevServer } from './fixtures/demo-dev-server.ts';
import { TestCollector } from './fixtures/runtime/collector.ts';

// The demo's tabular model in real Chromium: the weather classifier, loaded by name from a real
// collector (PGlite, dev keys, the model published with its schema and labelled reference; the
// manifest delivers the schema), runs the held-out days with ONE column shifted and sends each
// day's truth as feedback; the window is flushed, and the collector's drift route names exactly
// that column (`x.<column>`) and no other, and its performance route has the page's accuracy.
const root = join(import.meta.dirname, '..');
const { columns } = JSON.parse(
  await readFile(join(root, 'demo', 'public', 'data', 'weather-heldout.json'), 'utf8'),
) as { columns: string[] };

let collector: TestCollector;
let server: ViteDevServer;
let url: string;

test.beforeAll(async () => {
  collector = await TestCollector.start();
  expect(await publishWeatherModel(collector.url, DEV_KEYS.admin)).toBe(true);
  ({ server, url } = await startDemoDevServer('.vite-demo-tabular-e2e'));
});

test.afterAll(async () => {
  await server?.close();
  await collector?.stop();
});

interface Drift {
  status: string;
  reference: { kind: string };
  window: { inferences: number };
  features: Record<string, { status: string }>;
}

interface Performance {
  output: string;
  window: { predictions: number; feedback: number; estimated: number | null; realized: number | null };
}

async function get<T>(path: string): Promise<T> {
  const res = await fetch(`${collector.url}${path}`, {
    headers: { authorization: `Bearer ${DEV_KEYS.read}` },
  });
  expect(res.status, `${path}: ${res.ok ? '' : await res.text()}`).toBe(200);
  return (await res.json()) as T;
}

async function drift(from: number): Promise<Drift | undefined> {
  const res = await fetch(`${collector.url}/v1/models/weather/drift?version=1.0.0&from=${from}`, {
    headers: { authorization: `Bearer ${DEV_KEYS.read}` },
  });
  return res.ok ? ((await res.json()) as Drift) : undefined;
}

test('shifting one column of the held-out days drifts exactly that column at the collector', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const from = Date.now() - 60_000;
  await page.goto(`${url}?collector=${encodeURIComponent(collector.url)}`);
  const shifted = 'temp_max';
  await expect(page.locator('#weather-run')).toBeEnabled({ timeout: 60_000 });
  await page.locator('#weather-column').selectOption({ label: shifted });
  await page.locator('#weather-sigma').fill('1.5');
  await page.locator('#weather-run').click();
  await expect(page.locator('body')).toHaveAttribute('data-weather', 'done', { timeout: 120_000 });
  // Loaded by name: the schema came with the manifest, not from the page's schema.json.
  await expect(page.locator('body')).toHaveAttribute('data-weather-source', 'registry');
  const status = await page.getByTestId('weather-status').textContent();
  expect(status).toContain(`x.${shifted} turns red`);
  const pageAccuracy = Number(/accuracy ([\d.]+)%/.exec(status ?? '')?.[1]);

  await expect
    .poll(async () => (await drift(from))?.window.inferences ?? 0, { timeout: 60_000 })
    .toBeGreaterThanOrEqual(500);
  const d = (await drift(from))!;
  expect(d.reference.kind).toBe('registry');
  for (const c of columns) {
    expect(d.features[`x.${c}`]?.status, `x.${c}`).toBe(c === shifted ? 'alert' : 'ok');
  }
  const drifted = Object.entries(d.features)
    .filter(([name, f]) => name.startsWith('x.') && f.status !== 'ok')
    .map(([name]) => name);
  expect(drifted).toEqual([`x.${shifted}`]);

  // Every day's truth went back as feedback: the collector's realized accuracy is the page's own,
  // over the 500 days, with the label-free (CBPE) estimate beside it.
  const perf = await get<Performance>(`/v1/models/weather/performance?version=1.0.0&from=${from}`);
  expect(perf.output).toBe('probs');
  expect(perf.window.feedback).toBe(500);
  expect(perf.window.predictions).toBe(500);
  expect(100 * perf.window.realized!).toBeCloseTo(pageAccuracy, 1);
  expect(perf.window.estimated).toBeGreaterThan(0);
  expect(perf.window.estimated).toBeLessThanOrEqual(1);
});
