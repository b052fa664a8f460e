import { expect, test } from '@playwright/test';
import type { PreviewServer } from 'vite';
import { startFixtureBuild } from './fixtures/runtime/vite-server.ts';

// A production build served with COOP/COEP: the ORT and TF.js wasm files load from the emitted
// assets (not an HTML fallback page), and WASM uses threads because the page is cross-origin isolated.
let server: PreviewServer & { url: string };
test.beforeAll(async () => {
  test.setTimeout(240_000);
  server = await startFixtureBuild({ isolated: true });
});
test.afterAll(async () => {
  await server?.close();
});

test('production build, cross-origin isolated: ONNX and TF.js on threaded WASM', async ({ page }) => {
  await page.goto(server.url);
  await page.waitForFunction(() => window.ready);
  const result = await page.evaluate(async () => {
    const { pixels } = await window.fixtures.heldout(8);
    const onnx = await window.driftline.createRuntime({
      model: { url: '/models/digits/1.0.0/model.onnx', format: 'onnx' },
      backends: ['wasm'],
      threads: 2,
    });
    const tfjs = await window.driftline.createRuntime({
      model: { url: '/models/digits/1.0.0/tfjs/model.json', format: 'tfjs', outputNames: ['probs'] },
      backends: ['wasm'],
      threads: 2,
    });
    const a = await onnx.run({ input: { data: pixels.slice(), dims: [8, 784] } });
    const b = await tfjs.run({ input: { data: pixels.slice(), dims: [8, 784] } });
    const pa = a.probs!.data as Float32Array;
    const pb = b.probs!.data as Float32Array;
    let maxDiff = 0;
    for (let i = 0; i < pa.length; i++) maxDiff = Math.max(maxDiff, Math.abs(pa[i]! - pb[i]!));
    const info = { onnx: onnx.info(), tfjs: tfjs.info() };
    await Promise.all([onnx.dispose(), tfjs.dispose()]);
    return { isolated: crossOriginIsolated, maxDiff, info };
  });
  expect(result.isolated).toBe(true);
  expect(result.maxDiff).toBeLessThan(1e-4);
  expect(result.info.onnx.backend).toBe('wasm');
  expect(result.info.onnx).toMatchObject({ threads: 2, threadsReason: 'as requested' });
  expect(result.info.tfjs).toMatchObject({ backend: 'wasm', threads: 1 });
  expect(result.info.tfjs.threadsReason).toContain('module worker');
});
