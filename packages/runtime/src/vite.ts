/**
 * `@driftline/runtime/vite`: the Vite settings the runtime needs in `vite dev`.
 *
 * Vite's dev server pre-bundles dependencies into `node_modules/.vite/deps`, which breaks every
 * `new URL('./file', import.meta.url)` inside them: the runtime's worker and onnxruntime-web's wasm
 * would be looked for in that folder (vitejs/vite#8427). So both stay out of pre-bundling, and the
 * worker's own dependencies are pre-bundled up front, so the dev server never reloads mid-run.
 * Builds use the ES worker format, which the worker's lazily loaded engines need.
 *
 * @example
 * import driftline from '@driftline/runtime/vite';
 * export default defineConfig({ plugins: [driftline()] });
 */
export default function driftline(): DriftlineVitePlugin {
  return {
    name: '@driftline/runtime',
    config: () => ({
      optimizeDeps: {
        exclude: ['@driftline/runtime', 'onnxruntime-web'],
        include: WORKER_DEPENDENCIES.map((dep) => `@driftline/runtime > ${dep}`),
      },
      worker: { format: 'es' },
    }),
  };
}

/** What the worker imports besides onnxruntime-web, pre-bundled before the first page load. */
export const WORKER_DEPENDENCIES = [
  '@driftline/protocol',
  'comlink',
  'idb',
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-webgpu',
] as const;

/** The part of Vite's `Plugin` this plugin fills; Vite itself is not a dependency of the runtime. */
export interface DriftlineVitePlugin {
  name: string;
  config: () => {
    optimizeDeps: { exclude: string[]; include: string[] };
    worker: { format: 'es' };
  };
}
