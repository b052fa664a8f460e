import { defineConfig } from '@playwright/test';
// @ts-expect-error plain .mjs helper shared with scripts/check-chromium.mjs
import { chromiumArgs, findChromium } from './scripts/chromium.mjs';

// End-to-end tests run in the system Chromium (Debian's `chromium` package), never a downloaded one.
export default defineConfig({
  testDir: 'test',
  testMatch: '**/*.e2e.ts',
  timeout: 120_000,
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: { executablePath: findChromium(), args: chromiumArgs },
    trace: 'retain-on-failure',
  },
});
