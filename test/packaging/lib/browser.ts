import { type Browser, chromium } from '@playwright/test';
// @ts-expect-error plain .mjs helper shared with the main Playwright config
import { chromiumArgs, findChromium } from '../../../scripts/chromium.mjs';

/** The system Chromium with the repo's launch flags; never a downloaded browser. */
export async function launchChromium(): Promise<Browser> {
  const executablePath: string | undefined = findChromium();
  if (!executablePath) throw new Error('no Chromium: install Debian `chromium` or set CHROMIUM_PATH');
  return chromium.launch({ executablePath, args: chromiumArgs, headless: true });
}

/** What templates/shared/scenario.js is asked to do. */
export interface ScenarioConfig {
  app: string;
  collector: string;
  appKey: string;
  onnxRuns: number;
  tfjsRuns: number;
  assetBase?: string;
}

/** What it answers (see scenario.js). */
export interface ScenarioResult {
  error?: { name: string; code?: string; message: string };
  models: { onnx: string; tfjs: string };
  runs: { onnx: number; tfjs: number };
  maxDiff: number;
  argmaxAgree: boolean;
  info: { onnx: { backend: string; fallbacks?: unknown }; tfjs: { backend: string; fallbacks?: unknown } };
  status: {
    onnx?: { lastError?: unknown; waiting: { inferences: number } };
    tfjs?: { lastError?: unknown; waiting: { inferences: number } };
  };
}

/**
 * Opens `url` in a fresh context, runs the scenario and answers its result with the URLs the page
 * loaded its worker scripts and wasm files from. Page errors, failed requests and HTTP errors are
 * added to a thrown error's message.
 */
export async function runScenario(
  browser: Browser,
  url: string,
  config: ScenarioConfig,
): Promise<{ result: ScenarioResult; assets: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const log: string[] = [];
  const assets: string[] = [];
  page.on('console', (m) => log.push(`[console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
  page.on('requestfailed', (r) => log.push(`[requestfailed] ${r.url()} ${r.failure()?.errorText}`));
  context.on('response', (r) => {
    if (r.status() >= 400) log.push(`[HTTP ${r.status()}] ${r.url()}`);
    const path = r
      .url()
      .replace(url, '/')
      .replace(/\?.*$/, '')
      .replace(/^\/@fs\/.*?\/node_modules\//, 'node_modules/');
    if (
      /\.wasm$|\/(worker|driftline)(-[\w]{8})?\.m?js$/.test(path) &&
      !assets.includes(`${r.status()} ${path}`)
    )
      assets.push(`${r.status()} ${path}`);
  });
  try {
    await page.goto(url);
    await page.waitForFunction(() => (window as { packagingReady?: boolean }).packagingReady === true, null, {
      timeout: 30_000,
    });
    const result = await page.evaluate(
      (c) =>
        (window as unknown as { packaging: { run(c: unknown): Promise<ScenarioResult> } }).packaging.run(c),
      config,
    );
    if (result.error) throw new Error(`in the page: ${JSON.stringify(result.error)}`);
    return { result, assets };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      `${message}\n--- page log\n${log.join('\n') || '(empty)'}\n--- assets\n${assets.join('\n')}`,
    );
  } finally {
    await context.close();
  }
}
