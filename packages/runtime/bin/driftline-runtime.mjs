#!/usr/bin/env node
// `driftline-runtime copy-assets <dir>`: puts the runtime's worker, its no-bundler ES module and
// the ORT and TF.js wasm files into a folder the app serves, for esbuild and pages with no bundler.
import { resolve } from 'node:path';
import { copyAssets } from './assets.mjs';

const usage = `Usage: driftline-runtime copy-assets <dir>

Copies into <dir> what a page needs when its bundler does not follow
new URL(..., import.meta.url) (esbuild) or there is no bundler:
  worker.js              the runtime's Web Worker, self-contained
  driftline-runtime.js   the runtime as one ES module, for <script type="module">
  ort-wasm-*.wasm/.mjs   onnxruntime-web's WebAssembly files
  tfjs-backend-wasm*.wasm TensorFlow.js's WebAssembly files
Then pass the folder's URL as served: createRuntime({ ..., assetBase: '/driftline/' }).
Run it again after upgrading @driftline/runtime (e.g. in your build script).

Options:
  -h, --help   show this help`;

const [command, ...rest] = process.argv.slice(2);
if (!command || command === '-h' || command === '--help' || rest.includes('-h') || rest.includes('--help')) {
  console.log(usage);
  process.exit(command ? 0 : 2);
}
if (command !== 'copy-assets') {
  console.error(`driftline-runtime: unknown command "${command}"\n\n${usage}`);
  process.exit(2);
}
const unknown = rest.filter((a) => a.startsWith('-'));
if (unknown.length || rest.length !== 1) {
  console.error(
    unknown.length
      ? `driftline-runtime: unknown option ${unknown[0]}\n\n${usage}`
      : `driftline-runtime: copy-assets needs exactly one folder, e.g. public/driftline\n\n${usage}`,
  );
  process.exit(2);
}
const dir = resolve(rest[0]);
try {
  const names = await copyAssets(dir);
  console.log(`driftline-runtime: copied ${names.length} files to ${dir}`);
} catch (error) {
  console.error(`driftline-runtime: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
}
