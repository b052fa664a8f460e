import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Collector, createKey, startCollector } from '@driftline/collector';
import {
  categoricalFeature,
  createProfile,
  encodeProfile,
  latencySketch,
  numericFeature,
  toBase64,
} from '@driftline/protocol';
import { expect, type Page, test } from '@playwright/test';
import { build } from 'vite';

// Telemetry and rollout text that tries to inject HTML or script into the dashboard: model, version,
// segment, backend, feature and label names, and a rollout reason. A REAL collector (PGlite on
// disk) stores them; the dashboard in Chromium must show them as text: no script runs, no dialog
// opens, no element of theirs reaches the DOM, no Content-Security-Policy violation is reported.
const root = fileURLToPath(new URL('..', import.meta.url));
const DIGITS = join(root, 'demo', 'public', 'models', 'digits');

const XSS = {
  model: '<img src=x onerror="window.__xss=1">',
  version: '"><script>window.__xss=1</script>',
  version2: 'javascript:window.__xss=1//',
  segment: '<svg onload=window.__xss=1>\'"',
  backend: '<iframe srcdoc="<script>parent.__xss=1</script>">',
  numeric: '<img src=y onerror=alert(1)>',
  numeric2: '"><a href="javascript:window.__xss=1">x</a>',
  categorical: '<details open ontoggle=window.__xss=1>',
  label: '<script>window.__xss=1</script>',
  label2: '{{constructor.constructor("window.__xss=1")()}}',
  reason: '<img src=z onerror=window.__xss=1> "ramp"',
};
const REGISTRY_MODEL = 'xss-digits';

let c: Collector;
let dataDir: string;
const keys = { ingest: '', read: '', admin: '' };

/** One window's profile of n inferences; `shift` moves the numeric features (drift). */
function profile(n: number, shift: number, seed: number) {
  let s = seed;
  const r = () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
  const p = createProfile();
  p.inferences = n;
  const total = latencySketch(p, 'total');
  for (let i = 0; i < n; i++) {
    total.add(2 + r());
    numericFeature(p, XSS.numeric).add(shift + r());
    numericFeature(p, XSS.numeric2).add(shift * 2 + r());
    categoricalFeature(p, XSS.categorical).add(r() < 0.5 + shift / 8 ? XSS.label : XSS.label2);
  }
  return toBase64(encodeProfile(p));
}

async function call(method: string, path: string, key: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${c.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  expect(res.status, `${method} ${path}: ${text}`).toBeLessThan(300);
  return JSON.parse(text);
}

async function ingest(model: string, version: string, start: number, n: number, shift: number) {
  await call('POST', '/v1/telemetry', keys.ingest, {
    v: 1,
    batchId: `xss-${model.length}-${version.length}-${start}-${shift}`,
    deviceId: `device-${start % 7}`,
    sdkVersion: '<b>sdk</b>',
    sentAt: start + 30_000,
    windows: [
      {
        model,
        version,
        role: 'primary',
        backend: XSS.backend,
        segment: XSS.segment,
        start,
        end: start + 10_000,
        profile: profile(n, shift, start % 1000),
      },
    ],
  });
}

test.beforeAll(async () => {
  await build({
    configFile: join(root, 'packages', 'collector', 'dashboard', 'vite.config.ts'),
    logLevel: 'warn',
  });
  dataDir = await mkdtemp(join(tmpdir(), 'driftline-dashboard-xss-'));
  c = await startCollector({
    port: 0,
    dataDir,
    logLevel: 'silent',
    rolloutIntervalMs: 3_600_000,
    baselineInferences: 600,
  });
  keys.ingest = (await createKey(c.storage, 'ingest')).secret;
  keys.read = (await createKey(c.storage, 'read')).secret;
  keys.admin = (await createKey(c.storage, 'admin')).secret;

  // A baseline three hours ago, then the last minutes drifted, for both hostile versions.
  const now = Date.now();
  for (const version of [XSS.version, XSS.version2]) {
    await ingest(XSS.model, version, now - 3 * 3_600_000, 800, 0);
    for (let m = 10; m >= 2; m -= 2) await ingest(XSS.model, version, now - m * 60_000, 150, 3);
  }
  // A registered model (its name must be valid) whose rollout reason is hostile.
  for (const version of ['1.0.0', '1.1.0']) {
    const onnx = await readFile(join(DIGITS, version, 'model.onnx'));
    await call('POST', `/v1/models/${REGISTRY_MODEL}/versions`, keys.admin, {
      version,
      format: 'onnx',
      files: [{ path: 'model.onnx', data: onnx.toString('base64') }],
      notes: XSS.label,
    });
    await ingest(REGISTRY_MODEL, version, now - 5 * 60_000, 50, 0);
  }
  await call('PUT', `/v1/models/${REGISTRY_MODEL}/rollout`, keys.admin, {
    candidate: '1.1.0',
    percent: 10,
    reason: XSS.reason,
  });
  expect(await c.evaluateAlerts()).toBeGreaterThan(0);
});

test.afterAll(async () => {
  await c?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Records what a successful injection would leave: dialogs, CSP violations, page errors. */
function watch(page: Page) {
  const seen = { dialogs: [] as string[], errors: [] as string[] };
  page.on('dialog', (d) => {
    seen.dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => seen.errors.push(e.message));
  // A refused API call (the 404 of an unregistered model's rollout) logs an error too: only
  // Content-Security-Policy refusals count here.
  page.on('console', (m) => {
    if (m.type() === 'error' && /refused|content security policy/i.test(m.text())) seen.errors.push(m.text());
  });
  return seen;
}

/** Nothing of the payloads is in the DOM as markup, and nothing of theirs ran. */
async function expectNoInjection(page: Page, seen: ReturnType<typeof watch>, where: string) {
  const found = await page.evaluate(() => {
    const all = [...document.querySelectorAll('*')];
    return {
      xss: (window as { __xss?: unknown }).__xss,
      handlers: all.flatMap((el) =>
        [...el.attributes].filter((a) => /^on/i.test(a.name)).map((a) => `${el.tagName} ${a.name}`),
      ),
      elements: [
        ...document.querySelectorAll('img, iframe, svg, details, object, embed, script:not([src])'),
      ].map((el) => el.outerHTML.slice(0, 80)),
      scripts: [...document.querySelectorAll('script[src]')].map((s) => (s as HTMLScriptElement).src),
      links: [...document.querySelectorAll('a[href]')]
        .map((a) => a.getAttribute('href')!)
        .filter((h) => /^\s*javascript:/i.test(h)),
      csp: (window as { __csp?: string[] }).__csp ?? [],
    };
  });
  expect(found.xss, where).toBeUndefined();
  expect(found.handlers, where).toEqual([]);
  expect(found.elements, where).toEqual([]);
  for (const src of found.scripts) expect(new URL(src).origin, where).toBe(new URL(c.url).origin);
  expect(found.links, where).toEqual([]);
  expect(found.csp, where).toEqual([]);
  expect(seen.dialogs, where).toEqual([]);
  expect(seen.errors, where).toEqual([]);
}

async function open(page: Page, key: string, model: string) {
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      const w = window as { __csp?: string[] };
      w.__csp = [...(w.__csp ?? []), `${e.violatedDirective} ${e.sample}`];
    });
  });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${c.url}/#overview`);
  await page.getByTestId('key-input').fill(key);
  await page.getByTestId('key-submit').click();
  await expect(page.getByTestId('last-updated')).toHaveText(/updated \d\d:\d\d:\d\d/);
  await page.getByTestId('model-select').selectOption(model);
  await page.getByTestId('auto-refresh').uncheck();
}

const view = async (page: Page, name: string) => {
  await page.goto(`${c.url}/#${name}`);
  await expect(page.locator(`[data-view=${name}]`)).toBeVisible();
};

test('hostile model, version, segment and backend names are text on the fleet and latency views', async ({
  page,
}) => {
  const seen = watch(page);
  await open(page, keys.read, XSS.model);
  await expect(page.getByTestId('model-select').locator('option', { hasText: XSS.model })).toHaveCount(1);
  await expect(page.getByTestId('models-table')).toContainText(XSS.model);
  await expect(page.getByTestId('versions-table')).toContainText(XSS.version);
  await expect(page.getByTestId('versions-table')).toContainText(XSS.version2);
  await expect(page.getByText(`By version · ${XSS.model}`)).toBeVisible();
  await expectNoInjection(page, seen, 'overview');

  await view(page, 'latency');
  await expect(page.getByTestId('by-backend-table')).toContainText(XSS.backend);
  await expect(page.getByTestId('by-segment-table')).toContainText(XSS.segment);
  await expectNoInjection(page, seen, 'latency');
});

test('hostile feature and label names are text on the drift view, for each version and reference', async ({
  page,
}) => {
  const seen = watch(page);
  await open(page, keys.read, XSS.model);
  await view(page, 'drift');
  for (const version of [XSS.version, XSS.version2]) {
    await page.getByTestId('drift-version').selectOption(version);
    const table = page.getByTestId('drift-table');
    await expect(table).toContainText(XSS.numeric);
    await expect(table).toContainText(XSS.numeric2);
    await expect(table).toContainText(XSS.categorical);
    await expect(page.getByTestId(`status-${XSS.numeric}`)).toHaveAttribute('data-status', 'alert');
    await expect(page.locator('[data-feature]')).toHaveCount(3);
    await expect(page.getByTestId(`dist-${XSS.categorical}`).locator('canvas')).toHaveCount(1);
    await expect(page.getByTestId('drift-reference-text')).toContainText(version);
    await expectNoInjection(page, seen, `drift ${version}`);
  }
  await page.getByTestId('drift-reference').selectOption(`version:${XSS.version}`);
  await expect(page.getByTestId('drift-reference-text')).toContainText(`version ${XSS.version}`);
  // The labels are drawn on the canvas; the legend shows the one under the cursor, as text.
  const chart = page.getByTestId(`dist-${XSS.categorical}`);
  const box = (await chart.locator('.u-over').boundingBox())!;
  const shown: string[] = [];
  for (const x of [0.25, 0.75]) {
    await page.mouse.move(box.x + box.width * x, box.y + box.height / 2);
    await expect(chart.locator('.u-legend')).toContainText(/script|constructor/);
    shown.push((await chart.locator('.u-legend').textContent()) ?? '');
  }
  for (const label of [XSS.label, XSS.label2]) expect(shown.join(' ')).toContain(label);
  await expectNoInjection(page, seen, 'drift against the other version');
});

test('hostile names in alerts and a hostile rollout reason are text on the events and rollout views', async ({
  page,
}) => {
  const seen = watch(page);
  await open(page, keys.admin, XSS.model);
  await view(page, 'events');
  await expect(page.getByTestId('events-table')).toContainText(`${XSS.numeric}: alert`);
  await expect(page.getByTestId('events-table')).toContainText(XSS.model);
  await expectNoInjection(page, seen, 'events');

  // The hostile model has no registry entry: the rollout view says so, in text.
  await view(page, 'rollout');
  await expect(page.locator('[data-view=rollout]')).toContainText(`No version of ${XSS.model} is published`);
  await expectNoInjection(page, seen, 'rollout of an unregistered model');

  await page.getByTestId('model-select').selectOption(REGISTRY_MODEL);
  await view(page, 'rollout');
  await expect(page.getByTestId('history-table')).toContainText(XSS.reason);
  await expectNoInjection(page, seen, 'rollout');
  await view(page, 'events');
  await expect(page.getByTestId('events-table')).toContainText(XSS.reason);
  await expectNoInjection(page, seen, 'events with the rollout');
});

test('control: the same payloads put in with innerHTML are caught by these checks', async ({ page }) => {
  const seen = watch(page);
  await open(page, keys.read, XSS.model);
  await page.evaluate((html) => {
    const div = document.createElement('div');
    div.innerHTML = html;
    document.body.append(div);
  }, XSS.model);
  // The page's CSP blocks the inline handler, and reports it; the element is in the DOM either way.
  await expect
    .poll(() => page.evaluate(() => (window as { __csp?: string[] }).__csp?.length ?? 0))
    .toBeGreaterThan(0);
  await expect(expectNoInjection(page, seen, 'control')).rejects.toThrow();
});
