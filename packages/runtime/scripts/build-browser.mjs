// The package's self-contained browser builds (dist/browser/), for esbuild apps and pages without a
// bundler: the worker with its engines, and the runtime as one ES module. Bundlers that follow
// `new URL(..., import.meta.url)` use the module tree in dist/ instead.
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${pkg}dist/browser`;
await rm(outdir, { recursive: true, force: true });
const common = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  sourcemap: true,
  minify: true,
  legalComments: 'eof',
  logLevel: 'warning',
  absWorkingDir: pkg,
};
// Split, so that a page loads ORT or TF.js only when its model needs that engine.
await build({
  ...common,
  entryPoints: { worker: 'src/worker/worker.ts' },
  outdir,
  splitting: true,
  chunkNames: 'driftline-[name]-[hash]',
});
await build({ ...common, entryPoints: { 'driftline-runtime': 'src/standalone.ts' }, outdir });
