import { expect, test } from '@playwright/test';
import type { ViteDevServer } from 'vite';
// @ts-expect-error plain .mjs helper shared with playwright.config.ts
import { chromiumArgs, findChromium, webgpuArgs } from '../scripts/chromium.mjs';
import { startFixtureServer } from './fixtures/runtime/vite-server.ts';

// WebGPU on SwiftShader: real, but ~100x slower than WASM, so one small check.
test.use({ launchOptions: { executablePath: findChromium(), args: [...chromiumArgs, ...webgpuArgs] } });

let server: ViteDevServer & { url: string };
test.beforeAll(async () => {
  server = await startFixtureServer();
});
test.afterAll(async () => {
  await server?.close();
});

test('digit model with ONNX on WebGPU (SwiftShader) matches WASM within 1e-4', async ({ page }) => {
  await page.goto(server.url);
  await page.waitForFunction(() => window.ready);
  const result = await page.evaluate(async () => {
    const { pixels } = await window.fixtures.heldout(4);
    const model = { url: '/models/digits/1.0.0/model.onnx', format: 'onnx' as const };
    const gpu = await window.driftline.createRuntime({ model, backends: ['webgpu'] });
    const cpu = await window.driftline.createRuntime({ model, backends: ['wasm'] });
    const a = await gpu.run({ input: { data: pixels.slice(), dims: [4, 784] } });
    const b = await cpu.run({ input: { data: pixels.slice(), dims: [4, 784] } });
    const pa = a.probs!.data as Float32Array;
    const pb = b.probs!.data as Float32Array;
    let maxDiff = 0;
    for (let i = 0; i < pa.length; i++) maxDiff = Math.max(maxDiff, Math.abs(pa[i]! - pb[i]!));
    const info = gpu.info();
    await Promise.all([gpu.dispose(), cpu.dispose()]);
    return { maxDiff, backend: info.backend, segment: info.segment, fallbacks: info.fallbacks };
  });
  expect(result.backend).toBe('webgpu');
  expect(result.fallbacks).toEqual([]);
  expect(result.maxDiff).toBeLessThan(1e-4);
  expect(result.segment).toMatch(/\/webgpu\/cores-\d+\+?\/gpu-/);
});
