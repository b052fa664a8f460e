/// <reference path="../vite-env.d.ts" />
import tfjsWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import tfjsWasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import tfjsWasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import ortMjs from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.mjs?url';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import type { WasmPaths } from './backend.ts';

/**
 * The wasm files as the bundler serves them. Importing each with `?url` makes Vite serve the real
 * file in dev and emit it as an asset in a build, instead of letting ORT or TF.js guess a path next
 * to a pre-bundled chunk (where the dev server answers with index.html: "expected magic word").
 */
export const defaultWasmPaths: Required<WasmPaths> = {
  onnx: { mjs: ortMjs, wasm: ortWasm },
  tfjs: {
    'tfjs-backend-wasm.wasm': tfjsWasm,
    'tfjs-backend-wasm-simd.wasm': tfjsWasmSimd,
    'tfjs-backend-wasm-threaded-simd.wasm': tfjsWasmThreaded,
  },
};
