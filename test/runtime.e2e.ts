import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import type { ViteDevServer } from 'vite';
import { startFixtureServer } from './fixtures/runtime/vite-server.ts';

const meta = JSON.parse(
  readFileSync(new URL('../demo/public/models/digits/1.0.0/meta.json', import.meta.url), 'utf8'),
) as { files: Record<string, { sha256: string }> };
const ONNX_SHA256 = meta.files['model.onnx']!.sha256;

let server: ViteDevServer & { url: string };
test.beforeAll(async () => {
  server = await startFixtureServer();
});
test.afterAll(async () => {
  await server?.close();
});
test.beforeEach(async ({ page }) => {
  await page.goto(server.url);
  await page.waitForFunction(() => window.ready);
});

test('digit model on WASM with ONNX and with TF.js: accurate, and equal within 1e-4', async ({ page }) => {
  const result = await page.evaluate(async () => {
    const { labels, pixels } = await window.fixtures.heldout(64);
    const onnx = await window.driftline.createRuntime({
      model: { url: '/models/digits/1.0.0/model.onnx', format: 'onnx' },
      backends: ['wasm'],
    });
    const tfjs = await window.driftline.createRuntime({
      model: { url: '/models/digits/1.0.0/tfjs/model.json', format: 'tfjs', outputNames: ['probs'] },
      backends: ['wasm'],
    });
    const input = () => ({ input: { data: pixels.slice(), dims: [64, 784] } });
    const [a, b] = await Promise.all([onnx.run(input()), tfjs.run(input())]);
    const pa = a.probs!.data as Float32Array;
    const pb = b.probs!.data as Float32Array;
    let maxDiff = 0;
    for (let i = 0; i < pa.length; i++) maxDiff = Math.max(maxDiff, Math.abs(pa[i]! - pb[i]!));
    let correct = 0;
    for (let r = 0; r < 64; r++) {
      const row = Array.from(pa.subarray(r * 10, r * 10 + 10));
      if (row.indexOf(Math.max(...row)) === labels[r]) correct++;
    }
    const info = { onnx: onnx.info(), tfjs: tfjs.info() };
    await Promise.all([onnx.dispose(), tfjs.dispose()]);
    return { maxDiff, accuracy: correct / 64, dims: [a.probs!.dims, b.probs!.dims], info };
  });
  expect(result.dims).toEqual([
    [64, 10],
    [64, 10],
  ]);
  expect(result.maxDiff).toBeLessThan(1e-4);
  expect(result.accuracy).toBeGreaterThan(0.85);
  expect(result.info.onnx).toMatchObject({
    backend: 'wasm',
    dataPlane: 'message-port',
    threads: 1,
    inputNames: ['input'],
    outputNames: ['probs'],
  });
  expect(result.info.onnx.model).toMatchObject({ name: 'digits', version: '1.0.0', sha256: ONNX_SHA256 });
  expect(result.info.tfjs).toMatchObject({ backend: 'wasm', outputNames: ['probs'] });
  expect(result.info.onnx.threadsReason).toContain('not cross-origin isolated');
});

test('without a GPU adapter the default order falls back to WASM and says why', async ({ page }) => {
  const info = await page.evaluate(async () => {
    const rt = await window.driftline.createRuntime({
      model: { url: '/models/digits/1.0.0/model.onnx', format: 'onnx' },
    });
    const i = rt.info();
    await rt.dispose();
    return i;
  });
  expect(info.backend).toBe('wasm');
  expect(info.fallbacks[0]?.device).toBe('webgpu');
  expect(info.fallbacks[0]?.reason).toMatch(/navigator\.gpu|requestAdapter|webgpu/i);
});

test('backend conformance: every format and device gives the same outputs, names and dims', async ({
  page,
}) => {
  const results = await page.evaluate(async () => {
    const { pixels } = await window.fixtures.heldout(8);
    const onnx = { url: '/models/digits/1.0.0/model.onnx', format: 'onnx' as const };
    const tfjs = {
      url: '/models/digits/1.0.0/tfjs/model.json',
      format: 'tfjs' as const,
      outputNames: ['probs'],
    };
    const cases = [
      { model: onnx, device: 'wasm' as const },
      { model: tfjs, device: 'wasm' as const },
      { model: tfjs, device: 'cpu' as const },
      // tfjs/webgl: the default-order test below lands there.
    ];
    let reference: Float32Array | undefined;
    const out = [];
    for (const c of cases) {
      const rt = await window.driftline.createRuntime({ model: c.model, backends: [c.device] });
      const y = await rt.run({ input: { data: pixels.slice(), dims: [8, 784] } });
      const probs = y.probs!.data as Float32Array;
      reference ??= probs;
      let maxDiff = 0;
      for (let i = 0; i < probs.length; i++) maxDiff = Math.max(maxDiff, Math.abs(probs[i]! - reference[i]!));
      const bad = await rt.run({ input: { data: new Float32Array(5), dims: [1, 784] } }).catch((e) => e.code);
      const info = rt.info();
      out.push({
        name: `${c.model.format}/${c.device}`,
        backend: info.backend,
        keys: Object.keys(y),
        dims: y.probs!.dims,
        type: y.probs!.type,
        maxDiff,
        bad,
      });
      await rt.dispose();
    }
    return out;
  });
  for (const r of results) {
    expect(r, r.name).toMatchObject({
      keys: ['probs'],
      dims: [8, 10],
      type: 'float32',
      bad: 'INVALID_TENSOR',
    });
    expect(r.backend, r.name).toBe(r.name.split('/')[1]);
    expect(r.maxDiff, r.name).toBeLessThan(1e-4);
  }
});

test('TF.js with its default order skips WebGPU with a reason and still matches ONNX', async ({ page }) => {
  const result = await page.evaluate(async () => {
    const { pixels } = await window.fixtures.heldout(8);
    const tfjs = await window.driftline.createRuntime({
      model: { url: '/models/digits/1.0.0/tfjs/model.json', format: 'tfjs', outputNames: ['probs'] },
    });
    const onnx = await window.driftline.createRuntime({
      model: { url: '/models/digits/1.0.0/model.onnx', format: 'onnx' },
      backends: ['wasm'],
    });
    const a = await tfjs.run({ input: { data: pixels.slice(), dims: [8, 784] } });
    const b = await onnx.run({ input: { data: pixels.slice(), dims: [8, 784] } });
    const pa = a.probs!.data as Float32Array;
    const pb = b.probs!.data as Float32Array;
    let maxDiff = 0;
    for (let i = 0; i < pa.length; i++) maxDiff = Math.max(maxDiff, Math.abs(pa[i]! - pb[i]!));
    const info = tfjs.info();
    await Promise.all([tfjs.dispose(), onnx.dispose()]);
    return { maxDiff, backend: info.backend, fallbacks: info.fallbacks };
  });
  expect(result.fallbacks[0]?.device).toBe('webgpu');
  expect(['webgl', 'wasm', 'cpu']).toContain(result.backend);
  expect(result.maxDiff).toBeLessThan(1e-4);
});

test('feedback on tagged runs: known ids are recorded once, unknown ids are refused', async ({ page }) => {
  const result = await page.evaluate(async () => {
    const rt = await window.driftline.createRuntime({
      model: { url: '/models/digits/1.0.0/model.onnx', format: 'onnx' },
      backends: ['wasm'],
      telemetry: true,
    });
    const { labels, pixels } = await window.fixtures.heldout(3);
    for (let i = 0; i < 3; i++) {
      await rt.run(
        { input: { data: pixels.slice(i * 784, i * 784 + 784), dims: [1, 784] } },
        { id: `run-${i}` },
      );
    }
    for (let i = 0; i < 3; i++) await rt.feedback(`run-${i}`, { label: labels[i]!, accepted: true });
    const codes: string[] = [];
    for (const id of ['run-0', 'never']) {
      await rt.feedback(id, { accepted: false }).catch((e) => codes.push((e as { code: string }).code));
    }
    await rt.dispose();
    return codes;
  });
  expect(result).toEqual(['UNKNOWN_RUN', 'UNKNOWN_RUN']);
});

test('a tampered model file is refused with MODEL_INTEGRITY and says why', async ({ page }) => {
  await page.route('**/models/digits/1.0.0/model.onnx', async (route) => {
    const response = await route.fetch();
    const body = Buffer.from(await response.body());
    body[body.length - 100]! ^= 0xff;
    await route.fulfill({ response, body });
  });
  const error = await page.evaluate(async (sha256) => {
    try {
      await window.driftline.createRuntime({
        model: { url: '/models/digits/1.0.0/model.onnx', format: 'onnx', sha256 },
        backends: ['wasm'],
        cache: false,
      });
      return undefined;
    } catch (e) {
      const err = e as { name: string; code: string; message: string };
      return {
        name: err.name,
        code: err.code,
        message: err.message,
        isTyped: e instanceof window.driftline.ModelIntegrityError,
      };
    }
  }, ONNX_SHA256);
  expect(error).toMatchObject({ name: 'ModelIntegrityError', code: 'MODEL_INTEGRITY', isTyped: true });
  expect(error!.message).toContain(ONNX_SHA256);
  expect(error!.message).toMatch(/tampered/);
});

test('a worker that cannot be loaded is refused with WORKER_LOAD, and a bad assetBase with INVALID_OPTIONS', async ({
  page,
}) => {
  const errors = await page.evaluate(async () => {
    const attempt = async (assetBase: string) => {
      try {
        await window.driftline.createRuntime({
          model: { url: '/models/digits/1.0.0/model.onnx', format: 'onnx' },
          backends: ['wasm'],
          assetBase,
        });
        return undefined;
      } catch (e) {
        const err = e as { code: string; message: string };
        return {
          code: err.code,
          message: err.message,
          isTyped: e instanceof window.driftline.WorkerLoadError,
        };
      }
    };
    return { missing: await attempt('/no-such-folder/'), invalid: await attempt('http://[::1') };
  });
  expect(errors.missing).toMatchObject({ code: 'WORKER_LOAD', isTyped: true });
  expect(errors.missing!.message).toContain('copy-assets');
  expect(errors.invalid).toMatchObject({ code: 'INVALID_OPTIONS', isTyped: false });
  expect(errors.invalid!.message).toContain('assetBase');
});

test('a verified model is served from Cache Storage when the network is gone', async ({ page }) => {
  const first = await page.evaluate(async (sha256) => {
    const rt = await window.driftline.createRuntime({
      model: { url: '/models/digits/1.0.0/model.onnx', format: 'onnx', sha256 },
      backends: ['wasm'],
    });
    const source = rt.info().modelSource;
    await rt.dispose();
    return source;
  }, ONNX_SHA256);
  await page.route('**/models/**', (route) => route.abort('internetdisconnected'));
  const second = await page.evaluate(async () => {
    // No sha256 given: the network is tried first, then the last verified copy of this URL.
    const rt = await window.driftline.createRuntime({
      model: { url: '/models/digits/1.0.0/model.onnx', format: 'onnx' },
      backends: ['wasm'],
    });
    const out = await rt.run({ input: { data: new Float32Array(784), dims: [1, 784] } });
    const source = rt.info().modelSource;
    await rt.dispose();
    return { source, dims: out.probs!.dims };
  });
  expect(first).toBe('network');
  expect(second).toEqual({ source: 'cache', dims: [1, 10] });
});

test('concurrent runs queue safely; inputs are transferred unless kept', async ({ page }) => {
  const result = await page.evaluate(async () => {
    const rt = await window.driftline.createRuntime({
      model: { url: '/tiny.onnx', format: 'onnx' },
      backends: ['wasm'],
    });
    const inputs = Array.from({ length: 24 }, (_, i) => new Float32Array([i, -i, i / 2, 1]));
    const sequential: number[][] = [];
    for (const x of inputs) {
      const out = await rt.run({ input: { data: x.slice(), dims: [1, 4] } }, { keepInputs: true });
      sequential.push(Array.from(out.probs!.data as Float32Array));
    }
    const concurrent = await Promise.all(
      inputs.map((x) => rt.run({ input: { data: x.slice(), dims: [1, 4] } })),
    );
    const same = concurrent.every((o, i) =>
      Array.from(o.probs!.data as Float32Array).every((v, k) => v === sequential[i]![k]),
    );
    const moved = new Float32Array(4);
    await rt.run({ input: { data: moved, dims: [1, 4] } });
    const kept = new Float32Array(4);
    await rt.run({ input: { data: kept, dims: [1, 4] } }, { keepInputs: true });
    let badShape = '';
    try {
      await rt.run({ input: { data: new Float32Array(3), dims: [1, 4] } });
    } catch (e) {
      badShape = (e as { code: string }).code;
    }
    await rt.dispose();
    return { same, movedLength: moved.length, keptLength: kept.length, badShape };
  });
  expect(result).toEqual({ same: true, movedLength: 0, keptLength: 4, badShape: 'INVALID_TENSOR' });
});

test('a worker crash rejects pending calls with WORKER_CRASHED and the next call starts a new worker', async ({
  page,
}) => {
  const result = await page.evaluate(async () => {
    const rt = await window.driftline.createRuntime({
      model: { url: '/tiny.onnx', format: 'onnx' },
      backends: ['wasm'],
    });
    const input = () => ({ input: { data: new Float32Array([1, 2, 3, 4]), dims: [1, 4] } });
    const crashes: string[] = [];
    rt.on('crash', (e) => crashes.push(e.code));
    rt.crashWorkerForTest();
    const pending = Array.from({ length: 50 }, () =>
      rt.run(input()).then(
        () => 'ok',
        (e) => (e as { code: string }).code,
      ),
    );
    const outcomes = await Promise.all(pending);
    const after = await rt.run(input());
    const info = rt.info();
    await rt.dispose();
    return {
      crashed: outcomes.filter((o) => o === 'WORKER_CRASHED').length,
      other: outcomes.filter((o) => o !== 'ok' && o !== 'WORKER_CRASHED'),
      after: after.probs!.dims,
      starts: info.workerStarts,
      crashes,
    };
  });
  expect(result.other).toEqual([]);
  expect(result.crashed).toBe(50);
  expect(result.after).toEqual([1, 3]);
  expect(result.starts).toBe(2);
  expect(result.crashes).toEqual(['WORKER_CRASHED']);
});
