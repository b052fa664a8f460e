import { defineConfig } from 'vitest/config';

// One Vitest run covers every package's unit tests; each package is a project so that
// `pnpm vitest --project protocol` runs one package alone. Browser tests live in test/ and run
// under Playwright (playwright.config.ts), not here.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'protocol', root: 'packages/protocol', include: ['src/**/*.test.ts'] } },
      { test: { name: 'runtime', root: 'packages/runtime', include: ['src/**/*.test.ts'] } },
      {
        test: {
          name: 'collector',
          root: 'packages/collector',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          globalSetup: ['test/global-setup.ts'],
        },
      },
      // Crash-and-restart suite (test/chaos): simulated devices against killed collectors and a
      // killed PostgreSQL; its scenarios run one after another in one file, so they never compete.
      {
        test: {
          name: 'chaos',
          root: 'test/chaos',
          include: ['**/*.test.ts'],
          testTimeout: 150_000,
          hookTimeout: 60_000,
        },
      },
      { test: { name: 'scripts', root: 'scripts', include: ['**/*.test.ts'], testTimeout: 120_000 } },
      { test: { name: 'demo', root: 'demo', include: ['src/**/*.test.ts'] } },
    ],
  },
});
