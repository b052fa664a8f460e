// The files a page needs beside the runtime's JavaScript, and where to find them on disk: used by
// `driftline-runtime copy-assets` (esbuild apps, pages with no bundler) and by the package build.
import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** TF.js's wasm binaries, all three: TF.js picks one by the browser's SIMD and thread support. */
export const TFJS_WASM_FILES = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
];

/** The folder of an installed dependency's entry file (its `dist/`), as Node resolves it from here. */
function distOf(specifier) {
  return dirname(fileURLToPath(import.meta.resolve(specifier)));
}

/**
 * The ORT files its browser bundle loads: the names are read from the bundle itself, so a new
 * onnxruntime-web with other file names (e.g. a native WebGPU build) is copied right, too.
 */
export async function ortFiles() {
  const dist = distOf('onnxruntime-web');
  const bundle = await readFile(join(dist, 'ort.bundle.min.mjs'), 'utf8');
  const names = [...new Set(bundle.match(/ort-wasm[\w.-]*\.(?:wasm|mjs)/g) ?? [])];
  if (!names.some((n) => n.endsWith('.wasm')))
    throw new Error(
      `no ort-wasm*.wasm named in ${join(dist, 'ort.bundle.min.mjs')}: is onnxruntime-web installed?`,
    );
  return names.map((name) => join(dist, name));
}

/** TF.js's wasm files in @tensorflow/tfjs-backend-wasm. */
export function tfjsFiles() {
  const dist = distOf('@tensorflow/tfjs-backend-wasm');
  return TFJS_WASM_FILES.map((name) => join(dist, name));
}

/** Copies `files` into `dir` (created if needed); returns the names written. */
export async function copyInto(dir, files) {
  await mkdir(dir, { recursive: true });
  for (const file of files) await copyFile(file, join(dir, file.split(/[\\/]/).pop()));
  return files.map((f) => f.split(/[\\/]/).pop());
}

/** The self-contained browser builds in dist/browser: the worker and the no-bundler ES module. */
export async function browserFiles() {
  const dir = join(packageDir, 'dist', 'browser');
  let names;
  try {
    names = await readdir(dir);
  } catch {
    throw new Error(`${dir} is missing: build the package first (pnpm --filter @driftline/runtime build).`);
  }
  return names.map((name) => join(dir, name));
}

/** Everything a page served from one folder needs: see docs/install/esbuild.md. */
export async function copyAssets(dir) {
  return copyInto(dir, [...(await browserFiles()), ...(await ortFiles()), ...tfjsFiles()]);
}

export { packageDir };
