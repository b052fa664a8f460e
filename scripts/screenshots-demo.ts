// Regenerates docs/images/demo-*.png: starts a real collector (temporary PGlite directory, dev
// keys) with the demo's digit models published, serves the demo with Vite, and photographs the
// README walkthrough in the system Chromium: a drawn digit (rollout mode, stable 1.0.0), the drift
// lab after replaying 600 held-out digits with thicker strokes, and the page after 1.1.0 is rolled
// out to every device. Run: `npx tsx scripts/screenshots-demo.ts`.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEV_KEYS, startCollector } from '@driftline/collector';
import { chromium, type Page } from '@playwright/test';
import { createServer } from 'vite';
import { publishDemoModels } from '../demo/seed/publish-demo-models.ts';
// @ts-expect-error plain .mjs helper shared with playwright.config.ts
import { chromiumArgs, findChromium } from './chromium.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'docs', 'images');
const heldout = await readFile(join(root, 'demo', 'public', 'data', 'heldout.bin'));

/** Traces the dark core (≥ 200) of the first held-out digit with this label, row by row. */
async function drawDigit(page: Page, label: number): Promise<void> {
  let at = 0;
  while (heldout[at] !== label) at += 785;
  const pixels = heldout.subarray(at + 1, at + 785);
  const box = (await page.locator('#pad').boundingBox())!;
  const cell = box.width / 28;
  const xy = (x: number, y: number) => [box.x + (x + 0.5) * cell, box.y + (y + 0.5) * cell] as const;
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; ) {
      if (pixels[y * 28 + x]! < 200) {
        x++;
        continue;
      }
      const start = x;
      while (x < 28 && pixels[y * 28 + x]! >= 200) x++;
      await page.mouse.move(...xy(start, y));
      await page.mouse.down();
      await page.mouse.move(...xy(x - 1, y), { steps: 2 });
      await page.mouse.up();
    }
  }
}

async function until(page: Page, attribute: string, value: string): Promise<void> {
  await page.waitForFunction(([a, v]) => document.body.getAttribute(a!) === v, [attribute, value], {
    timeout: 90_000,
  });
}

const dataDir = await mkdtemp(join(tmpdir(), 'driftline-demo-shots-'));
const c = await startCollector({
  port: 0,
  dataDir,
  dev: true,
  corsOrigins: ['*'],
  logLevel: 'silent',
  rolloutIntervalMs: 3_600_000,
});
const server = await createServer({
  configFile: join(root, 'demo', 'vite.config.ts'),
  logLevel: 'warn',
  server: { port: 0, strictPort: false, hmr: false, watch: null },
});
const browser = await chromium.launch({ executablePath: findChromium(), args: chromiumArgs });
try {
  await publishDemoModels(c.url, DEV_KEYS.admin);
  await server.listen();
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  await page.goto(`${server.resolvedUrls!.local[0]}?collector=${encodeURIComponent(c.url)}`);
  await until(page, 'data-model-version', '1.0.0');
  await drawDigit(page, 7);
  await until(page, 'data-prediction', '7');
  await page.screenshot({ path: join(out, 'demo-draw.png'), fullPage: true });

  await page.locator('[data-distortion="thick"]').click();
  await page.locator('#replay-count').fill('600');
  await page.locator('#replay').click();
  await until(page, 'data-replay', 'done');
  await page.screenshot({ path: join(out, 'demo-drift-lab.png'), fullPage: true });

  const ramp = await fetch(`${c.url}/v1/models/digits/rollout`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${DEV_KEYS.admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ candidate: '1.1.0', percent: 100, reason: 'screenshot' }),
  });
  if (!ramp.ok) throw new Error(`ramp answered ${ramp.status}: ${await ramp.text()}`);
  await page.locator('[data-distortion="none"]').click();
  await until(page, 'data-model-version', '1.1.0');
  await page.screenshot({ path: join(out, 'demo-rollout.png'), fullPage: true });
  console.log(
    `wrote ${['demo-draw', 'demo-drift-lab', 'demo-rollout'].map((n) => `docs/images/${n}.png`).join(', ')}`,
  );
} finally {
  await browser.close();
  await server.close();
  await c.close();
  await rm(dataDir, { recursive: true, force: true });
}
