import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanEnv, exec } from './processes.ts';

const templates = fileURLToPath(new URL('../templates/', import.meta.url));

/** Third-party versions the consumer projects install from the registry. */
export const REGISTRY_DEPS = {
  vite: '^8.3.8',
  webpack: '^5.100.0',
  'webpack-cli': '^7.0.0',
  esbuild: '^0.28.2',
  typescript: '^7.0.2',
  '@types/node': '^20.19.0',
};

export type Tarballs = Record<'protocol' | 'runtime' | 'collector', string>;

/** The browser apps, each in its own folder of one npm project so that onnxruntime-web installs once. */
export const BROWSER_APPS = ['vite', 'vite-dev', 'webpack', 'esbuild'] as const;
export type BrowserApp = (typeof BROWSER_APPS)[number];

/** Where each app's entry imports the shared scenario from, and where its models are served from. */
const LAYOUT: Record<BrowserApp, { scenario: string; models: string }> = {
  vite: { scenario: 'vite', models: 'vite/public/models' },
  'vite-dev': { scenario: 'vite-dev', models: 'vite-dev/public/models' },
  webpack: { scenario: 'webpack/src', models: 'webpack/dist/models' },
  esbuild: { scenario: 'esbuild/src', models: 'esbuild/public/models' },
};

/** npm with one cache for every project and pnpm's environment left out. */
export function npmEnv(): NodeJS.ProcessEnv {
  const cache = process.env.DRIFTLINE_PACKAGING_NPM_CACHE;
  return cleanEnv({
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    npm_config_loglevel: 'error',
    ...(cache ? { npm_config_cache: cache } : {}),
  });
}

async function writeProject(
  dir: string,
  name: string,
  deps: Record<string, string>,
  devDeps = {},
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const pkg = { name, private: true, type: 'module', dependencies: deps, devDependencies: devDeps };
  await writeFile(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
}

const file = (tgz: string) => `file:${tgz}`;

/** apps/: the browser apps and the tsc consumer, with all three tarballs and the bundlers. */
export async function createAppsProject(dir: string, tarballs: Tarballs, repo: string): Promise<void> {
  await writeProject(
    dir,
    'driftline-packaging-apps',
    {
      '@driftline/protocol': file(tarballs.protocol),
      '@driftline/runtime': file(tarballs.runtime),
      '@driftline/collector': file(tarballs.collector),
    },
    REGISTRY_DEPS,
  );
  for (const app of [...BROWSER_APPS, 'tsc'])
    await cp(join(templates, app), join(dir, app), { recursive: true });
  const models = join(repo, 'demo/public/models/digits/1.0.0');
  for (const app of BROWSER_APPS) {
    await cp(join(templates, 'shared/scenario.js'), join(dir, LAYOUT[app].scenario, 'scenario.js'));
    if (app !== 'webpack') await copyModels(models, join(dir, LAYOUT[app].models));
  }
}

async function copyModels(from: string, modelsDir: string): Promise<void> {
  const to = join(modelsDir, 'digits/1.0.0');
  await mkdir(join(to, 'tfjs'), { recursive: true });
  await cp(join(from, 'model.onnx'), join(to, 'model.onnx'));
  await cp(join(from, 'tfjs'), join(to, 'tfjs'), { recursive: true });
}

/** collector/: only the collector (and the protocol it depends on, which is not on the registry). */
export async function createCollectorProject(
  dir: string,
  protocol: string,
  collector: string,
): Promise<void> {
  await writeProject(dir, 'driftline-packaging-collector', {
    '@driftline/protocol': file(protocol),
    '@driftline/collector': file(collector),
  });
}

/** node/: only the protocol, and the plain ESM script using it. */
export async function createNodeProject(dir: string, protocol: string): Promise<void> {
  await writeProject(dir, 'driftline-packaging-node', { '@driftline/protocol': file(protocol) });
  await cp(join(templates, 'node/protocol.mjs'), join(dir, 'protocol.mjs'));
}

export async function npmInstall(dir: string): Promise<void> {
  await exec('npm', ['install', '--prefer-offline', '--no-package-lock'], {
    cwd: dir,
    env: npmEnv(),
    timeoutMs: 300_000,
  });
}

/** Builds one app as its docs say; answers the folder to serve (undefined: it runs a dev server). */
export async function buildApp(apps: string, app: BrowserApp, repo: string): Promise<string | undefined> {
  const cwd = join(apps, app);
  const env = npmEnv();
  const run = (args: string[]) => exec('npx', args, { cwd, env, timeoutMs: 240_000 });
  switch (app) {
    case 'vite':
      await run(['vite', 'build']);
      return join(cwd, 'dist');
    case 'vite-dev':
      return undefined;
    case 'webpack':
      await run(['webpack']);
      await cp(join(cwd, 'index.html'), join(cwd, 'dist/index.html'));
      await copyModels(join(repo, 'demo/public/models/digits/1.0.0'), join(apps, LAYOUT.webpack.models));
      return join(cwd, 'dist');
    case 'esbuild':
      await run(['esbuild', 'src/main.js', '--bundle', '--format=esm', '--outfile=public/app.js']);
      await run(['driftline-runtime', 'copy-assets', 'public/driftline']);
      return join(cwd, 'public');
  }
}
