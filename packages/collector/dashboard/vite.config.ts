import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The analysts' dashboard, served by the collector at `/` from dist/:
// `pnpm --filter @driftline/collector build:dashboard`.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    reportCompressedSize: false,
  },
});
