// TF.js's wasm files into wasm/, where the runtime names them with new URL(..., import.meta.url)
// (src/backends/default-wasm-paths.ts), from source in this repository and from dist/ when installed.
import { fileURLToPath } from 'node:url';
import { copyInto, tfjsFiles } from '../bin/assets.mjs';

await copyInto(fileURLToPath(new URL('../wasm', import.meta.url)), tfjsFiles());
