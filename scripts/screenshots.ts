// Regenerates docs/images/dashboard-*.png: builds the dashboard, starts a real collector on a
// temporary PGlite directory, seeds it (the two digit models published, a clean baseline, 20
// minutes of drifted telemetry; weather with its schema, labelled reference and feedback), ramps
// 1.1.0 to 25 %, and photographs each view in the system Chromium at 1280×800 (the accuracy view
// for weather) and the drift view at phone width. Run: `npx tsx scripts/screenshots.ts`.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKey, startCollector } from '@driftline/collector';
import { seedDemoData, seedRolloutTraffic } from '@driftline/collector/seed';
import { chromium } from '@playwright/test';
import { build } from 'vite';
// @ts-expect-error plain .mjs helper shared with playwright.config.ts
import { chromiumArgs, findChromium } from './chromium.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'docs', 'images');

await build({
  configFile: join(root, 'packages', 'collector', 'dashboard', 'vite.config.ts'),
  logLevel: 'warn',
});
const dataDir = await mkdtemp(join(tmpdir(), 'driftline-screenshots-'));
const c = await startCollector({ port: 0, dataDir, logLevel: 'silent', rolloutIntervalMs: 3_600_000 });
const browser = await chromium.launch({ executablePath: findChromium(), args: chromiumArgs });
try {
  const keys = {
    ingest: (await createKey(c.storage, 'ingest')).secret,
    admin: (await createKey(c.storage, 'admin')).secret,
  };
  await seedDemoData(c.url, keys, root);
  const ramp = await fetch(`${c.url}/v1/models/digits/rollout`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${keys.admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ candidate: '1.1.0', percent: 25, reason: 'first 25% of devices' }),
  });
  if (!ramp.ok) throw new Error(`ramp answered ${ramp.status}: ${await ramp.text()}`);
  await seedRolloutTraffic(c.url, keys.ingest, { stable: '1.0.0', candidate: '1.1.0' });
  await c.evaluateAlerts();
  await c.evaluateRollouts();
  await mkdir(out, { recursive: true });

  const shoot = async (width: number, height: number, views: [string, string, string?][]) => {
    const page = await browser.newPage({ viewport: { width, height } });
    await page.goto(c.url);
    await page.getByTestId('key-input').fill(keys.admin);
    await page.getByTestId('key-submit').click();
    await page.getByTestId('auto-refresh').waitFor();
    await page.getByTestId('auto-refresh').uncheck();
    for (const [view, file, model = 'digits'] of views) {
      await page.goto(`${c.url}/#${view}`);
      await page.getByTestId('model-select').selectOption(model);
      await page.locator(`[data-view=${view}]`).waitFor();
      if (view === 'drift') await page.getByTestId('drift-version').selectOption('1.0.0');
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(out, file) });
      console.log(`wrote docs/images/${file}`);
    }
    await page.close();
  };
  await shoot(1280, 800, [
    ['overview', 'dashboard-overview.png'],
    ['latency', 'dashboard-latency.png'],
    ['drift', 'dashboard-drift.png'],
    ['rollout', 'dashboard-rollout.png'],
    ['events', 'dashboard-events.png'],
    ['accuracy', 'dashboard-accuracy.png', 'weather'],
  ]);
  await shoot(390, 844, [['drift', 'dashboard-phone-drift.png']]);
} finally {
  await browser.close();
  await c.close();
  await rm(dataDir, { recursive: true, force: true });
}
