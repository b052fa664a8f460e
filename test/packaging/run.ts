// The packaging suite (`pnpm test:packaging`): packs the three packages, installs the tarballs
// outside the repository into a Vite, a webpack and an esbuild app, a strict TypeScript consumer, a
// plain Node script and a collector, and proves each works. PASS/FAIL per step; exit 1 on any failure.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from '@playwright/test';
import { freePort } from '../../packages/collector/test/free-port.ts';
import { launchChromium, runScenario, type ScenarioConfig } from './lib/browser.ts';
import { checkApp } from './lib/check-app.ts';
import { DEV_KEYS, type ServedCollector, serveCollector } from './lib/collector.ts';
import { inspectTarball, PACKAGES, type PackageDir, pack, tarballProblems } from './lib/pack.ts';
import { exec, killAllNow, start, stop, stopAll, waitForLine } from './lib/processes.ts';
import { serveDir } from './lib/static-server.ts';
import { check, Steps } from './lib/steps.ts';
import {
  type BrowserApp,
  buildApp,
  createAppsProject,
  createCollectorProject,
  createNodeProject,
  npmEnv,
  npmInstall,
  type Tarballs,
} from './lib/workspace.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const timeoutMs = Number(process.env.DRIFTLINE_PACKAGING_TIMEOUT_MS ?? 8 * 60_000);

/** At most `n` CPU-heavy commands (builds, tsc) at a time on this 2-core machine. */
function limiter(n: number) {
  let running = 0;
  const queue: Array<() => void> = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (running >= n) await new Promise<void>((resolve) => queue.push(resolve));
    running++;
    try {
      return await fn();
    } finally {
      running--;
      queue.shift()?.();
    }
  };
}

const s = new Steps();
let root: string | undefined;

async function main(): Promise<boolean> {
  root = await mkdtemp(join(tmpdir(), 'driftline-packaging-'));
  console.log(`packaging suite in ${root}`);
  const dirs = {
    tarballs: join(root, 'tarballs'),
    apps: join(root, 'apps'),
    collector: join(root, 'collector'),
    node: join(root, 'node'),
    data: join(root, 'collector-data'),
  };
  await mkdir(dirs.tarballs, { recursive: true });
  const cpu = limiter(2);
  const browserTurn = limiter(1);
  const closers: Array<() => Promise<void>> = [];
  const notes: string[] = [];

  // Packing: protocol first, since the others' builds may read its dist/.
  const packed: Partial<Record<PackageDir, Promise<string>>> = {};
  packed.protocol = s.step('pack @driftline/protocol', [], () => pack(repo, 'protocol', dirs.tarballs));
  for (const dir of ['runtime', 'collector'] as const)
    packed[dir] = s.step(`pack @driftline/${dir}`, [packed.protocol], () => pack(repo, dir, dirs.tarballs));
  for (const dir of PACKAGES)
    void s.step(
      `tarball @driftline/${dir}: no workspace: ranges, exports in dist/ and bin present`,
      [packed[dir]!],
      async () => {
        const problems = tarballProblems(await inspectTarball(await packed[dir]!));
        check(problems.length === 0, problems.join('\n'));
      },
    );
  const tarballs = (async (): Promise<Tarballs> => ({
    protocol: await packed.protocol!,
    runtime: await packed.runtime!,
    collector: await packed.collector!,
  }))();
  tarballs.catch(() => {});

  // Installs, in parallel: npm is mostly waiting on the disk and the registry.
  const appsInstalled = s.step(
    'npm install apps (3 tarballs, vite, webpack, esbuild, typescript)',
    [tarballs],
    async () => {
      await createAppsProject(dirs.apps, await tarballs, repo);
      await npmInstall(dirs.apps);
    },
  );
  const collectorInstalled = s.step(
    'npm install collector',
    [packed.protocol, packed.collector!],
    async () => {
      await createCollectorProject(dirs.collector, await packed.protocol!, await packed.collector!);
      await npmInstall(dirs.collector);
    },
  );
  const nodeInstalled = s.step('npm install node (protocol only)', [packed.protocol], async () => {
    await createNodeProject(dirs.node, await packed.protocol!);
    await npmInstall(dirs.node);
  });

  void s.step('node ESM script using @driftline/protocol', [nodeInstalled], async () => {
    const { stdout } = await exec('node', ['protocol.mjs'], { cwd: dirs.node, env: npmEnv() });
    notes.push(`node script: ${stdout.trim()}`);
  });

  const collector = s.step('npx driftline serve --dev --port 0', [collectorInstalled], async () => {
    const c = await serveCollector(dirs.collector, dirs.data, npmEnv());
    closers.push(() => c.stop());
    const health = await fetch(`${c.url}/readyz`);
    check(health.ok, `GET /readyz: HTTP ${health.status}`);
    notes.push(`collector: ${c.url}`);
    return c;
  });

  for (const resolution of ['bundler', 'node16'] as const)
    void s.step(`tsc --noEmit --strict, moduleResolution ${resolution}`, [appsInstalled], () =>
      cpu(() =>
        exec('npx', ['tsc', '-p', `tsconfig.${resolution}.json`, '--noEmit', '--strict'], {
          cwd: join(dirs.apps, 'tsc'),
          env: npmEnv(),
        }),
      ),
    );

  const chromium = s.step('launch Chromium', [], async () => {
    const browser = await launchChromium();
    closers.push(() => browser.close());
    return browser;
  });

  const apps: Array<{ app: BrowserApp; title: string; runs: [number, number]; assetBase?: string }> = [
    { app: 'vite', title: 'Vite app: vite build + vite preview', runs: [5, 3] },
    { app: 'vite-dev', title: 'Vite app: vite dev with @driftline/runtime/vite', runs: [6, 4] },
    { app: 'webpack', title: 'webpack 5 app: default config, production', runs: [7, 5] },
    { app: 'esbuild', title: 'esbuild app: copy-assets + assetBase', runs: [8, 6], assetBase: '/driftline/' },
  ];
  const appSteps = apps.map(({ app, title, runs, assetBase }) => {
    const built =
      app === 'vite-dev'
        ? appsInstalled
        : s.step(`build ${app}`, [appsInstalled], () => cpu(() => buildApp(dirs.apps, app, repo)));
    return s.step(title, [built, collector, chromium], () =>
      browserTurn(async () => {
        const served = await serveApp(app, dirs.apps, (await built) as string | undefined);
        try {
          const c: ServedCollector = await collector;
          const config: ScenarioConfig = {
            app,
            collector: c.url,
            appKey: DEV_KEYS.ingest,
            onnxRuns: runs[0],
            tfjsRuns: runs[1],
            ...(assetBase ? { assetBase } : {}),
          };
          const { result, assets } = await runScenario((await chromium) as Browser, served.url, config);
          if (app === 'esbuild')
            check(
              assets.some((a) => a.startsWith('200 ') && a.includes('/driftline/worker.js')),
              `the worker did not load from /driftline/worker.js:\n${assets.join('\n')}`,
            );
          notes.push(`${app}: ${await checkApp(result, c)}\n    assets: ${assets.join(', ')}`);
        } finally {
          await served.close();
        }
      }),
    );
  });

  // The documented failure when the copy step is skipped: WORKER_LOAD, not a hang or a bare 404.
  const esbuildBuilt = appSteps[3]!;
  void s.step('esbuild app without assetBase: WORKER_LOAD names copy-assets', [esbuildBuilt], () =>
    browserTurn(async () => {
      const served = await serveDir(join(dirs.apps, 'esbuild/public'));
      try {
        const c = await collector;
        const config = {
          app: 'esbuild-no-base',
          collector: c.url,
          appKey: DEV_KEYS.ingest,
          onnxRuns: 1,
          tfjsRuns: 1,
        };
        const error = await runScenario((await chromium) as Browser, served.url, config).then(
          () => undefined,
          (e: Error) => e.message.split('\n')[0]!,
        );
        check(error !== undefined, 'the runtime started without assetBase: expected WORKER_LOAD');
        check(error.includes('"code":"WORKER_LOAD"'), `expected WORKER_LOAD, got ${error}`);
        check(error.includes('copy-assets'), `WORKER_LOAD does not name copy-assets: ${error}`);
      } finally {
        await served.close();
      }
    }),
  );

  await Promise.allSettled(appSteps);
  await s.settled();
  for (const close of closers.reverse()) await close().catch((e) => console.log(`cleanup: ${e}`));
  await stopAll();
  for (const note of notes) console.log(`  ${note}`);
  const ok = s.summary();
  if (ok && !process.env.DRIFTLINE_PACKAGING_KEEP) await rm(root, { recursive: true, force: true });
  else console.log(`work folder kept: ${root}`);
  return ok;
}

/** Serves a built folder, or starts `vite preview` / `vite` for the Vite apps. */
async function serveApp(
  app: BrowserApp,
  apps: string,
  builtDir: string | undefined,
): Promise<{ url: string; close(): Promise<void> }> {
  if (app === 'webpack' || app === 'esbuild') return serveDir(builtDir!);
  const port = await freePort();
  const args = app === 'vite' ? ['vite', 'preview'] : ['vite'];
  const child = start('npx', [...args, '--port', String(port), '--strictPort', '--host', '127.0.0.1'], {
    cwd: join(apps, app),
    env: npmEnv(),
  });
  await waitForLine(child, new RegExp(`http://127\\.0\\.0\\.1:${port}`), 60_000);
  return { url: `http://127.0.0.1:${port}/`, close: () => stop(child) };
}

/** Stops every child at once and exits with the table so far, for a timeout or a signal. */
function abort(reason: string, code: number): never {
  killAllNow();
  console.log(`\n${reason}; still running: ${[...s.running].join(', ') || 'nothing'}`);
  s.summary();
  console.log(`work folder kept: ${root}`);
  process.exit(code);
}
const timer = setTimeout(() => abort(`did not finish within ${timeoutMs / 1000}s`, 1), timeoutMs);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => abort(`stopped by ${sig}`, 130));
process.on('exit', killAllNow);

main()
  .then((ok) => {
    clearTimeout(timer);
    process.exitCode = ok ? 0 : 1;
  })
  .catch(async (error) => {
    clearTimeout(timer);
    console.log(`FAIL: ${error instanceof Error ? error.stack : error}`);
    await stopAll();
    process.exitCode = 1;
  });
