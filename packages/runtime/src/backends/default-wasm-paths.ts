import type { WasmPaths } from './backend.ts';

/**
 * Where the wasm files are when the app gave no `wasmPaths`.
 *
 * With `assetBase` (esbuild, no bundler): in that folder, where `driftline-runtime copy-assets` put
 * them. Otherwise the bundler finds them: ORT's own bundle names its wasm with
 * `new URL(…, import.meta.url)`, and the TF.js files ship in this package's `wasm/` folder, named
 * the same way here so webpack 5, Vite, Rollup, Parcel and Next.js emit them as assets. TF.js itself
 * would look next to the bundled worker script, where no bundler puts them.
 */
export function defaultWasmPaths(assetBase: string | undefined): WasmPaths {
  if (assetBase !== undefined) return { onnx: assetBase, tfjs: assetBase };
  return {
    tfjs: {
      'tfjs-backend-wasm.wasm': new URL('../../wasm/tfjs-backend-wasm.wasm', import.meta.url).href,
      'tfjs-backend-wasm-simd.wasm': new URL('../../wasm/tfjs-backend-wasm-simd.wasm', import.meta.url).href,
      'tfjs-backend-wasm-threaded-simd.wasm': new URL(
        '../../wasm/tfjs-backend-wasm-threaded-simd.wasm',
        import.meta.url,
      ).href,
    },
  };
}
