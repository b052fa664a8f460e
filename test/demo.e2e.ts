import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { build, createServer, preview, type ViteDevServer } from 'vite';

// The first demo page, served by Vite's dev server and by a production build, in real Chromium:
// draw held-out digits with the mouse and read the model's answer off the page.
const root = join(import.meta.dirname, '..');
const configFile = join(root, 'demo', 'vite.config.ts');
const heldout = readFileSync(join(root, 'demo', 'public', 'data', 'heldout.bin'));
const RECORD = 785;
// Tracing only the digit's dark core keeps the pad's pen from thickening the strokes.
const INK = 200;

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

async function classifyDrawnDigits(page: Page, url: string): Promise<void> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await expect(page.locator('#status')).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
  await expect(page.locator('body')).toHaveAttribute('data-model-version', '1.1.0');

  for (const label of [3, 7]) {
    await page.locator('#clear').click();
    await drawDigit(page, heldoutDigit(label));
    await expect(page.locator('body')).toHaveAttribute('data-prediction', String(label));
    await expect(page.locator('#prediction')).toHaveText(String(label));
    await expect(page.locator('#results li')).toHaveCount(3);
    await expect(page.locator('#meta')).toContainText(/model digits 1\.1\.0 .* \d+(\.\d+)? ms/);
  }

  await page.locator('#version').selectOption('1.0.0');
  await expect(page.locator('body')).toHaveAttribute('data-model-version', '1.0.0');
  await expect(page.locator('#meta')).toContainText('model digits 1.0.0');
  await expect(page.locator('#prediction')).toHaveText('7');
  expect(errors).toEqual([]);
}

test.describe('dev server', () => {
  let server: ViteDevServer;
  let url: string;
  test.beforeAll(async () => {
    server = await createServer({ configFile, logLevel: 'warn', server: { port: 0, strictPort: false } });
    await server.listen();
    url = server.resolvedUrls!.local[0]!;
  });
  test.afterAll(async () => {
    await server?.close();
  });

  test('a digit drawn with the mouse is classified by the ONNX model, with version and latency', async ({
    page,
  }) => {
    await classifyDrawnDigits(page, url);
  });

  test('a digit drawn with a finger (touch events) is classified too', async ({ browser }) => {
    const context = await browser.newContext({ hasTouch: true });
    const page = await context.newPage();
    await page.goto(url);
    await expect(page.locator('#status')).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
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
});

test('production build: the ORT runtime files are emitted and load', async ({ page }) => {
  const outDir = mkdtempSync(join(tmpdir(), 'driftline-demo-'));
  try {
    await build({ configFile, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    const server = await preview({ configFile, logLevel: 'warn', build: { outDir }, preview: { port: 0 } });
    try {
      const response = await page.request.get(
        new URL('ort/ort-wasm-simd-threaded.wasm', server.resolvedUrls!.local[0]!).href,
      );
      expect([...(await response.body()).subarray(0, 4)]).toEqual([0x00, 0x61, 0x73, 0x6d]);
      await classifyDrawnDigits(page, server.resolvedUrls!.local[0]!);
    } finally {
      await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});
