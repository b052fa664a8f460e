import { fileURLToPath } from 'node:url';
import driftline from '@driftline/runtime/vite';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

// The demo page: `pnpm --filter @driftline-internal/demo dev` or `pnpm start` from the root.
// `vite build` adds the PWA: a web app manifest and a Workbox service worker that precaches the
// app shell (HTML, JS, CSS, the runtime's wasm files, the held-out digits, the models' meta.json); the runtime keeps the
// model itself in Cache Storage, so the page classifies offline.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [
    driftline(),
    VitePWA({
      registerType: 'autoUpdate',
      injectRegister: false,
      includeAssets: ['icon.svg'],
      manifest: {
        name: 'Driftline demo: handwritten digits',
        short_name: 'Driftline',
        description: 'A digit model running in your browser, with drift and latency telemetry.',
        theme_color: '#1d4ed8',
        background_color: '#ffffff',
        display: 'standalone',
        icons: [{ src: 'icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' }],
      },
      workbox: {
        globPatterns: [
          '**/*.{html,js,mjs,css,wasm,svg,webmanifest}',
          'data/heldout.bin',
          'models/digits/*/meta.json',
          // The tabular lab's held-out days and schema; the runtime caches the model bytes itself.
          'data/weather-heldout.json',
          'models/weather/*/schema.json',
        ],
        // The runtime's wasm files (ORT ~25 MB with WebGPU, TF.js) belong to the shell too.
        maximumFileSizeToCacheInBytes: 64 * 1024 * 1024,
        navigateFallback: 'index.html',
        clientsClaim: true,
        skipWaiting: true,
        cleanupOutdatedCaches: true,
      },
    }),
  ],
  server: { port: Number(process.env.PORT ?? 5173), strictPort: true },
  preview: { port: Number(process.env.PORT ?? 4173) },
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 100_000 },
});
