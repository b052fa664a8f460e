import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Collector, DEV_KEYS, startCollector } from '@driftline/collector';
import { type BrowserContext, expect, type Page, test } from '@playwright/test';
import { build, type PreviewServer, preview, type ViteDevServer } from 'vite';
import { publishDemoModels } from '../demo/seed/publish-demo-models.ts';
import { startDemoDevServer } from './fixtures/demo-dev-server.ts';

// The demo page on @driftline/runtime, in real Chromium, reporting to a REAL collector (PGlite on
// disk, dev keys, the two digit models published with their reference profile): draw with the
// mouse and with a finger, replay distorted held-out digits until the collector's drift API says
// `alert`, and a production build (PWA) that classifies offline and catches up exactly.
const root = join(import.meta.dirname, '..');
const configFile = join(root, 'demo', 'vite.config.ts');
const shots = join(root, 'test-results', 'screenshots');
const RECORD = 785;
// Tracing only the digit's dark core keeps the pad's pen from thickening the strokes.
const INK = 200;

let heldout: Buffer;
let collector: Collector;
let dataDir: string;

test.beforeAll(async () => {
  heldout = await readFile(join(root, 'demo', 'public', 'data', 'heldout.bin'));
  // The collector serves the analysts' dashboard from its build; the rollout test clicks in it.
  await build({
    configFile: join(root, 'packages', 'collector', 'dashboard', 'vite.config.ts'),
    logLevel: 'warn',
  });
  dataDir = await mkdtemp(join(tmpdir(), 'driftline-demo-e2e-'));
  collector = await startCollector({
    port: 0,
    dataDir,
    dev: true,
    corsOrigins: ['*'],
    logLevel: 'silent',
    compactIntervalMs: 200,
    // The guarded rollout would judge the candidate on its own; here the test ramps and rolls back.
    rolloutIntervalMs: 3_600_000,
  });
  await publishDemoModels(collector.url, DEV_KEYS.admin);
  await mkdir(shots, { recursive: true });
});

test.afterAll(async () => {
  await collector?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function read<T>(path: string): Promise<T> {
  const res = await fetch(`${collector.url}${path}`, {
    headers: { authorization: `Bearer ${DEV_KEYS.read}` },
  });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Inferences the collector holds for the digits model, over every version (0 when none). */
async function collectedInferences(): Promise<number> {
  const res = await fetch(`${collector.url}/v1/models/digits/summary?from=0`, {
    headers: { authorization: `Bearer ${DEV_KEYS.read}` },
  });
  if (res.status === 404) return 0;
  const body = (await res.json()) as { versions: { inferences: number }[] };
  return body.versions.reduce((n, v) => n + v.inferences, 0);
}

/** The first held-out digit with this label: its pixels 0..255, row-major 28 × 28. */
function heldoutDigit(label: number): Uint8Array {
  for (let at = 0; at < heldout.length; at += RECORD) {
    if (heldout[at] === label) return heldout.subarray(at + 1, at + RECORD);
  }
  throw new Error(`no held-out digit ${label}: re-run pnpm models`);
}

/** Traces every run of dark pixels (≥ 200) of each row with the mouse, a stroke per run. */
async function drawDigit(page: Page, pixels: Uint8Array): Promise<void> {
  const box = await page.locator('#pad').boundingBox();
  if (!box) throw new Error('the drawing pad is not visible');
  const cell = box.width / 28;
  const at = (x: number, y: number) => [box.x + (x + 0.5) * cell, box.y + (y + 0.5) * cell] as const;
  for (let y = 0; y < 28; y++) {
    let x = 0;
    while (x < 28) {
      if (pixels[y * 28 + x]! < INK) {
        x++;
        continue;
      }
      const start = x;
      while (x < 28 && pixels[y * 28 + x]! >= INK) x++;
      await page.mouse.move(...at(start, y));
      await page.mouse.down();
      await page.mouse.move(...at(x - 1, y), { steps: 2 });
      await page.mouse.up();
    }
  }
}

/** Opens the demo against the test collector and waits for the model. */
async function open(page: Page, url: string, version = '1.1.0', choice = version): Promise<void> {
  await page.goto(`${url}?collector=${encodeURIComponent(collector.url)}&version=${choice}`);
  await expect(page.locator('#status')).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
  await expect(page.locator('body')).toHaveAttribute('data-model-version', version);
}

async function drawAndRead(page: Page, label: number): Promise<void> {
  await page.locator('#clear').click();
  await drawDigit(page, heldoutDigit(label));
  await expect(page.locator('body')).toHaveAttribute('data-prediction', String(label));
  await expect(page.locator('#prediction')).toHaveText(String(label));
}

/** Waits until the page's inference counter has settled (the last stroke's run is done). */
async function inferencesMade(page: Page): Promise<number> {
  let last = -1;
  await expect
    .poll(async () => {
      const now = Number(await page.locator('body').getAttribute('data-inferences'));
      const settled = now === last;
      last = now;
      return settled;
    })
    .toBe(true);
  return last;
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

test.describe('dev server', () => {
  let server: ViteDevServer;
  let url: string;
  test.beforeAll(async () => {
    ({ server, url } = await startDemoDevServer('.vite-demo-e2e'));
  });
  test.afterAll(async () => {
    await server?.close();
  });

  test('a digit drawn with the mouse is classified on the runtime, with version, backend, latency and feedback', async ({
    page,
  }) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.setViewportSize({ width: 1100, height: 900 });
    await open(page, url);
    for (const label of [3, 7]) {
      await drawAndRead(page, label);
      await expect(page.locator('#results li')).toHaveCount(3);
      await expect(page.locator('#meta')).toContainText(
        /model digits 1\.1\.0 · ONNX on (wasm|webgpu) · \d+\.\d ms/,
      );
    }
    await expect(page.getByTestId('latency')).toHaveText(/^\d+\.\d( · \d+\.\d)*$/);
    await page.locator('#feedback-yes').click();
    await expect(page.locator('#feedback-status')).toHaveText('thanks: counted as right');
    await shot(page, 'demo-draw');

    await page.locator('#version').selectOption('1.0.0');
    // A switch disposes the old runtime and starts a worker on the other model (seconds under load).
    await expect(page.locator('body')).toHaveAttribute('data-model-version', '1.0.0', { timeout: 30_000 });
    await expect(page.locator('#meta')).toContainText('model digits 1.0.0');
    await expect(page.locator('#prediction')).toHaveText('7');
    expect(errors).toEqual([]);
  });

  test('a digit drawn with a finger (touch events) is classified too', async ({ browser }) => {
    const context = await browser.newContext({ hasTouch: true });
    const page = await context.newPage();
    await open(page, url);
    const box = (await page.locator('#pad').boundingBox())!;
    const cdp = await context.newCDPSession(page);
    const touch = (type: 'touchStart' | 'touchMove' | 'touchEnd', y: number) =>
      cdp.send('Input.dispatchTouchEvent', {
        type,
        touchPoints: type === 'touchEnd' ? [] : [{ x: box.x + box.width / 2, y: box.y + y }],
      });
    await touch('touchStart', 40);
    for (let y = 60; y <= 240; y += 20) await touch('touchMove', y);
    await touch('touchEnd', 240);
    await expect(page.locator('body')).toHaveAttribute('data-prediction', '1');
    await expect(page.locator('#results li')).toHaveCount(3);
    await context.close();
  });

  test('replaying held-out digits with thicker strokes turns drift to alert at the collector', async ({
    page,
  }) => {
    await page.setViewportSize({ width: 1100, height: 900 });
    await open(page, url);
    const from = Date.now();
    await page.locator('[data-distortion="thick"]').click();
    await page.locator('#replay-count').fill('600');
    await page.locator('#replay').click();
    await expect(page.locator('body')).toHaveAttribute('data-replay', 'done', { timeout: 60_000 });
    await expect(page.getByTestId('replay-status')).toContainText('600 / 600 digits (thicker strokes)');
    type Drift = { reference: unknown; status: string; features: Record<string, { status: string }> };
    await expect
      .poll(
        async () =>
          (await read<Drift>(`/v1/models/digits/drift?version=1.1.0&from=${from}`)).features.thickness
            ?.status,
        {
          timeout: 20_000,
        },
      )
      .toBe('alert');
    const drift = await read<Drift>(`/v1/models/digits/drift?version=1.1.0&from=${from}`);
    expect(drift.status).toBe('alert');
    expect(drift.features.ink?.status).toBe('alert');
    // The collector's periodic alert check (every 30 s under `pnpm start`) compares with the same
    // published reference and lists a drift alert in the dashboard's Events view.
    await collector.evaluateAlerts();
    const { events } = await read<{ events: { kind: string; model: string; version: string }[] }>(
      '/v1/events?model=digits',
    );
    expect(events).toContainEqual(
      expect.objectContaining({ kind: 'drift_alert', model: 'digits', version: '1.1.0' }),
    );
    await shot(page, 'demo-drift-lab');

    // The dashboard's Drift view shows the same verdict, against the reference published with 1.1.0.
    const dashboard = await page.context().newPage();
    await dashboard.setViewportSize({ width: 1280, height: 800 });
    await dashboard.goto(`${collector.url}/#drift`);
    await dashboard.getByTestId('key-input').fill(DEV_KEYS.read);
    await dashboard.getByTestId('key-submit').click();
    await dashboard.getByTestId('drift-version').selectOption('1.1.0');
    await expect(dashboard.getByTestId('drift-reference-text')).toContainText('uploaded with 1.1.0');
    await expect(dashboard.getByTestId('drift-overall')).toHaveAttribute('data-status', 'alert');
    await expect(dashboard.getByTestId('drift-table')).toContainText('thickness');
    await dashboard.close();
  });
});

test('rollout from the dashboard: stable 1.0.0 on the page; ramping 1.1.0 and rolling back switch it', async ({
  page,
  context,
}) => {
  const { server, url } = await startDemoDevServer('.vite-demo-e2e');
  try {
    await page.setViewportSize({ width: 1100, height: 900 });
    await open(page, url, '1.0.0', 'rollout');
    await expect(page.locator('#version-note')).toHaveText('the collector assigns 1.0.0 to this device');
    await drawAndRead(page, 7);
    // The dashboard lists the models that sent telemetry: wait for the page's first window.
    await expect.poll(collectedInferences, { timeout: 30_000 }).toBeGreaterThan(0);

    const dashboard = await context.newPage();
    await dashboard.setViewportSize({ width: 1280, height: 800 });
    await dashboard.goto(`${collector.url}/#rollout`);
    await dashboard.getByTestId('key-input').fill(DEV_KEYS.admin);
    await dashboard.getByTestId('key-submit').click();
    await expect(dashboard.getByTestId('role')).toHaveText('admin');
    await dashboard.getByTestId('auto-refresh').uncheck();
    await dashboard.getByTestId('ramp-version').selectOption('1.1.0');
    await dashboard.getByTestId('ramp-percent').fill('100');
    await dashboard.getByTestId('ramp').click();
    await dashboard
      .getByTestId('confirm-dialog')
      .locator('input[name=reason]')
      .fill('demo e2e: everyone on 1.1.0');
    await dashboard.getByTestId('confirm').click();
    await expect(dashboard.getByTestId('percent-candidate')).toHaveText('100%');

    await expect(page.locator('body')).toHaveAttribute('data-model-version', '1.1.0', { timeout: 30_000 });
    await expect(page.locator('#status')).toContainText('switched this device from 1.0.0 to 1.1.0');
    await expect(page.locator('#meta')).toContainText('model digits 1.1.0');
    await shot(page, 'demo-rollout');

    await dashboard.getByTestId('rollback').click();
    await dashboard.getByTestId('confirm').click();
    await expect(dashboard.getByTestId('lane-candidate')).toHaveCount(0);
    await expect(page.locator('body')).toHaveAttribute('data-model-version', '1.0.0', { timeout: 30_000 });
    await expect(page.locator('#meta')).toContainText('model digits 1.0.0');
    await expect(page.locator('#prediction')).toHaveText('7');
  } finally {
    await server.close();
  }
});

test.describe('production build (PWA)', () => {
  let outDir: string;
  let server: PreviewServer;
  let url: string;
  test.beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'driftline-demo-build-'));
    // Vite builds for production only when NODE_ENV says so or is unset, and an in-process dev
    // server of an earlier file in this worker (startDemoDevServer) leaves it at 'development': that build
    // had import.meta.env.PROD false, so the page never registered its service worker.
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await build({ configFile, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    } finally {
      if (nodeEnv === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = nodeEnv;
    }
    server = await preview({ configFile, logLevel: 'warn', build: { outDir }, preview: { port: 0 } });
    url = server.resolvedUrls!.local[0]!;
  });
  test.afterAll(async () => {
    if (server) await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  test('a web app manifest and a service worker are served', async ({ request }) => {
    const manifest = await (await request.get(new URL('manifest.webmanifest', url).href)).json();
    expect(manifest).toMatchObject({ short_name: 'Driftline', display: 'standalone' });
    const sw = await (await request.get(new URL('sw.js', url).href)).text();
    expect(sw).toContain('index.html');
  });

  test('offline: the reloaded page still classifies, and the counts catch up exactly when back online', async ({
    browser,
  }) => {
    const context: BrowserContext = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    const before = await collectedInferences();
    await open(page, url);
    // The service worker precaches the shell (~33 MB, mostly ORT's wasm) before it takes control.
    await expect(page.locator('body')).toHaveAttribute('data-offline-ready', 'true', { timeout: 90_000 });
    await drawAndRead(page, 3);
    // Online, the 5-second window reaches the collector; a reload within the runtime's checkpoint
    // interval (200 ms) of a run could lose that run, which this test is not about.
    const online = await inferencesMade(page);
    await expect.poll(collectedInferences, { timeout: 30_000 }).toBe(before + online);

    await context.setOffline(true);
    await page.reload();
    await expect(page.locator('#status')).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
    await expect(page.locator('#status')).toContainText('from cache');
    await expect(page.getByTestId('offline-banner')).toBeVisible();
    await drawAndRead(page, 7);
    await page.locator('#replay-count').fill('60');
    await page.locator('#replay').click();
    await expect(page.locator('body')).toHaveAttribute('data-replay', 'done', { timeout: 60_000 });
    const made = await inferencesMade(page);
    await expect(page.getByTestId('telemetry')).toContainText(/waiting: [1-9]\d* windows/);
    await shot(page, 'demo-offline');
    expect(await collectedInferences()).toBeLessThan(before + made);

    await context.setOffline(false);
    await expect(page.getByTestId('offline-banner')).toBeHidden();
    await expect.poll(collectedInferences, { timeout: 30_000 }).toBe(before + made);
    await expect(page.getByTestId('telemetry')).toContainText('waiting: 0 windows');
    await context.close();
  });
});
