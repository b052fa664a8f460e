import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { ortRuntimeFiles } from './vite-plugin-ort.ts';

// The demo page: `pnpm --filter @driftline-internal/demo dev` or `pnpm start` from the root.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [ortRuntimeFiles()],
  // onnxruntime-web locates its runtime through wasmPaths; pre-bundling it would only move it.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  server: { port: Number(process.env.PORT ?? 5173), strictPort: true },
  preview: { port: Number(process.env.PORT ?? 4173) },
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true },
});
