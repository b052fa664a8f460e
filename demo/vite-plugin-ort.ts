import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Plugin } from 'vite';

/** URL folder (under the app's base) the ORT runtime files are served from. */
export const ORT_DIR = 'ort';
/** The onnxruntime-web files the WASM execution provider loads at run time. */
export const ORT_FILES = ['ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.mjs'] as const;

const require = createRequire(import.meta.url);
const resolveOrtFile = (name: string) => require.resolve(`onnxruntime-web/${name}`);

/**
 * Serves onnxruntime-web's `.wasm` / `.mjs` runtime files at `<base>ort/` under `vite dev`
 * and emits them there in `vite build`. Without it the dev server answers the missing `.wasm`
 * with index.html and ORT fails with "expected magic word 00 61 73 6d". The page sets
 * `ort.env.wasm.wasmPaths` to the same folder.
 */
export function ortRuntimeFiles(): Plugin {
  let base = '/';
  return {
    name: 'driftline:ort-runtime-files',
    configResolved(config) {
      base = config.base;
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const path = (req.url ?? '').split('?')[0] ?? '';
        const name = ORT_FILES.find((file) => path === `${base}${ORT_DIR}/${file}`);
        if (!name) {
          next();
          return;
        }
        res.setHeader('Content-Type', name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
        res.setHeader('Cache-Control', 'no-cache');
        res.end(readFileSync(resolveOrtFile(name)));
      });
    },
    generateBundle() {
      for (const name of ORT_FILES) {
        this.emitFile({
          type: 'asset',
          fileName: `${ORT_DIR}/${name}`,
          source: readFileSync(resolveOrtFile(name)),
        });
      }
    },
  };
}
