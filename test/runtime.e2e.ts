import { expect, test } from '@playwright/test';
import type { ViteDevServer } from 'vite';
import { startFixtureServer } from './fixtures/runtime/vite-server.ts';

let server: ViteDevServer & { url: string };
test.beforeAll(async () => {
  server = await startFixtureServer();
});
test.afterAll(async () => {
  await server?.close();
});

test('tiny ONNX model on wasm', async ({ page }) => {
  page.on('console', (m) => console.log('page:', m.text()));
  page.on('pageerror', (e) => console.log('pageerror:', e.message));
  await page.goto(server.url);
  await page.waitForFunction(() => window.ready);
  const result = await page.evaluate(async () => {
    const rt = await window.driftline.createRuntime({
      model: { url: '/tiny.onnx', format: 'onnx' },
      backends: ['wasm'],
    });
    const out = await rt.run({ input: { data: new Float32Array([1, 2, 3, 4]), dims: [1, 4] } });
    const info = rt.info();
    await rt.dispose();
    return { probs: Array.from(out.probs!.data as Float32Array), dims: out.probs!.dims, info };
  });
  console.log(JSON.stringify(result, null, 1));
  expect(result.dims).toEqual([1, 3]);
});
