import { expect, test } from '@playwright/test';
import type { ViteDevServer } from 'vite';
import { TestCollector } from './fixtures/runtime/collector.ts';
import { startFixtureServer } from './fixtures/runtime/vite-server.ts';

// The shared-memory data plane: on a cross-origin isolated page (COOP/COEP) `run` calls travel
// through a SharedArrayBuffer with Atomics, falling back to the MessagePort per call when they do
// not fit. The page without those headers is covered by runtime.e2e.ts (message-port).
let server: ViteDevServer & { url: string };
let collector: TestCollector;
test.beforeAll(async () => {
  [server, collector] = await Promise.all([startFixtureServer({ isolated: true }), TestCollector.start()]);
});
test.afterAll(async () => {
  await Promise.all([server?.close(), collector?.stop()]);
});
test.beforeEach(async ({ page }) => {
  await page.goto(server.url);
  await page.waitForFunction(() => window.ready);
});

test('digits through shared memory; a batch too big for the buffer takes the port; inputs never detached', async ({
  page,
}) => {
  const result = await page.evaluate(async () => {
    const { labels, pixels } = await window.fixtures.heldout(400);
    const rt = await window.driftline.createRuntime({
      model: { url: '/models/digits/1.0.0/model.onnx', format: 'onnx' },
      backends: ['wasm'],
      threads: 1,
    });
    // 400 × 784 floats is 1.25 MB, over the 1 MiB buffer; 64 rows and single rows fit.
    const big = pixels.slice();
    const all = await rt.run({ input: { data: big, dims: [400, 784] } });
    const small = pixels.slice(0, 64 * 784);
    const batch = await rt.run({ input: { data: small, dims: [64, 784] } });
    const rows = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        rt.run({ input: { data: pixels.slice(i * 784, (i + 1) * 784), dims: [1, 784] } }),
      ),
    );
    const pa = all.probs!.data as Float32Array;
    const pb = batch.probs!.data as Float32Array;
    let maxDiff = 0;
    for (let i = 0; i < pb.length; i++) maxDiff = Math.max(maxDiff, Math.abs(pa[i]! - pb[i]!));
    rows.forEach((r, i) => {
      const p = r.probs!.data as Float32Array;
      for (let k = 0; k < 10; k++) maxDiff = Math.max(maxDiff, Math.abs(p[k]! - pb[i * 10 + k]!));
    });
    let correct = 0;
    for (let r = 0; r < 400; r++) {
      const row = Array.from(pa.subarray(r * 10, r * 10 + 10));
      if (row.indexOf(Math.max(...row)) === labels[r]) correct++;
    }
    const info = rt.info();
    await rt.dispose();
    return {
      isolated: crossOriginIsolated,
      dataPlane: info.dataPlane,
      dims: [all.probs!.dims, batch.probs!.dims, rows[0]!.probs!.dims],
      types: [all.probs!.type, batch.probs!.type],
      ownBuffer: [all, batch, rows[0]!].every((o) => o.probs!.data.buffer instanceof ArrayBuffer),
      lengths: [big.length, small.length],
      maxDiff,
      accuracy: correct / 400,
    };
  });
  expect(result).toMatchObject({
    isolated: true,
    dataPlane: 'shared-memory',
    dims: [
      [400, 10],
      [64, 10],
      [1, 10],
    ],
    types: ['float32', 'float32'],
    ownBuffer: true,
    lengths: [400 * 784, 64 * 784],
  });
  expect(result.maxDiff).toBeLessThan(1e-5);
  expect(result.accuracy).toBeGreaterThan(0.85);
});

test('concurrent calls, big ones among them, queue safely; errors stay typed and the channel goes on', async ({
  page,
}) => {
  const result = await page.evaluate(async () => {
    const rt = await window.driftline.createRuntime({
      model: { url: '/tiny.onnx', format: 'onnx' },
      backends: ['wasm'],
      threads: 1,
    });
    const inputs = Array.from({ length: 24 }, (_, i) => new Float32Array([i, -i, i / 2, 1]));
    const sequential: number[][] = [];
    for (const x of inputs) {
      const out = await rt.run({ input: { data: x, dims: [1, 4] } });
      sequential.push(Array.from(out.probs!.data as Float32Array));
    }
    // 300,000 rows of 4 floats (4.8 MB) go over the port, between calls that go through memory.
    const bigRows = 300_000;
    const big = new Float32Array(bigRows * 4);
    for (let r = 0; r < bigRows; r++) big.set(inputs[r % 24]!, r * 4);
    const resolved: string[] = [];
    const tagged = <T>(tag: string, p: Promise<T>) =>
      p.then((v) => {
        resolved.push(tag);
        return v;
      });
    const calls = inputs.map((x, i) => tagged(`a${i}`, rt.run({ input: { data: x, dims: [1, 4] } })));
    const bigCall = tagged('big', rt.run({ input: { data: big, dims: [bigRows, 4] } }));
    const more = inputs.map((x, i) => tagged(`b${i}`, rt.run({ input: { data: x, dims: [1, 4] } })));
    const codes = await Promise.all([
      rt.run({ input: { data: new Float32Array(3), dims: [1, 4] } }).catch((e) => e.code),
      rt.run({ wrong: { data: new Float32Array(4), dims: [1, 4] } }).catch((e) => e.code),
      rt
        .run({ input: { data: new Float64Array(4), dims: [1, 4] } } as never)
        .catch((e: { code: string }) => e.code),
      rt.run({ input: { data: new Int32Array(4), dims: [1, 4] } }).catch((e) => e.code),
    ]);
    const [first, bigOut, second] = await Promise.all([Promise.all(calls), bigCall, Promise.all(more)]);
    const same = (outs: typeof first) =>
      outs.every((o, i) =>
        Array.from(o.probs!.data as Float32Array).every((v, k) => v === sequential[i]![k]),
      );
    const bp = bigOut.probs!.data as Float32Array;
    let bigSame = bigOut.probs!.dims[0] === bigRows;
    for (const r of [0, 1, 23, 24, bigRows - 1]) {
      for (let k = 0; k < 3; k++) bigSame &&= Math.abs(bp[r * 3 + k]! - sequential[r % 24]![k]!) < 1e-6;
    }
    const after = await rt.run({ input: { data: inputs[5]!, dims: [1, 4] } });
    const info = rt.info();
    await rt.dispose();
    return {
      dataPlane: info.dataPlane,
      same: same(first) && same(second),
      // The big call took the port, yet it ran and was answered in its turn.
      inOrder:
        resolved.join() ===
        [...inputs.map((_, i) => `a${i}`), 'big', ...inputs.map((_, i) => `b${i}`)].join(),
      bigSame,
      codes,
      after: Array.from(after.probs!.data as Float32Array).every((v, k) => v === sequential[5]![k]),
      starts: info.workerStarts,
    };
  });
  expect(result).toEqual({
    dataPlane: 'shared-memory',
    same: true,
    inOrder: true,
    bigSame: true,
    codes: ['INVALID_TENSOR', 'INFERENCE_FAILED', 'INVALID_TENSOR', 'INFERENCE_FAILED'],
    after: true,
    starts: 1,
  });
});

test('a worker crash rejects calls waiting in shared memory with WORKER_CRASHED; the next call starts a new worker', async ({
  page,
}) => {
  const result = await page.evaluate(async () => {
    const rt = await window.driftline.createRuntime({
      model: { url: '/tiny.onnx', format: 'onnx' },
      backends: ['wasm'],
      threads: 1,
    });
    const input = () => ({ input: { data: new Float32Array([1, 2, 3, 4]), dims: [1, 4] } });
    await rt.run(input());
    rt.crashWorkerForTest();
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, () =>
        rt.run(input()).then(
          () => 'ok',
          (e) => (e as { code: string }).code,
        ),
      ),
    );
    const after = await rt.run(input());
    const info = rt.info();
    await rt.dispose();
    const firstCrash = outcomes.indexOf('WORKER_CRASHED');
    return {
      // The crash request is a message the worker reads between runs, so a few calls may finish
      // before it dies; every call after the first rejected one must be rejected too.
      crashed: outcomes.filter((o) => o === 'WORKER_CRASHED').length,
      okBeforeCrash: outcomes.slice(0, firstCrash).every((o) => o === 'ok'),
      tail: outcomes.slice(firstCrash).every((o) => o === 'WORKER_CRASHED'),
      after: after.probs!.dims,
      starts: info.workerStarts,
      dataPlane: info.dataPlane,
    };
  });
  expect(result.crashed).toBeGreaterThan(0);
  expect(result).toMatchObject({
    okBeforeCrash: true,
    tail: true,
    after: [1, 3],
    starts: 2,
    dataPlane: 'shared-memory',
  });
});

test('telemetry through shared memory: the collector gets exactly the runs and errors made', async ({
  page,
}) => {
  const setup = { collector: collector.url, appKey: collector.ingestKey };
  const counts = await page.evaluate(async (s) => {
    const rt = await window.driftline.createRuntime({
      model: { url: '/tiny.onnx', format: 'onnx', name: 'e2e-shared', version: '1.0.0' },
      backends: ['wasm'],
      threads: 1,
      collector: s.collector,
      appKey: s.appKey,
      features: (inputs) => ({ first: (inputs.input!.data as Float32Array)[0]! }),
    });
    const x = (i: number) => ({ input: { data: new Float32Array([i, 1, 2, 3]), dims: [1, 4] } });
    for (let i = 0; i < 20; i++) await rt.run(x(i));
    await Promise.all(Array.from({ length: 30 }, (_, i) => rt.run(x(i))));
    const failed = await rt.run({ input: { data: new Float32Array(4), dims: [4, 1] } }).catch((e) => e.code);
    await rt.flush();
    const stats = await rt.stats();
    const dataPlane = rt.info().dataPlane;
    await rt.dispose();
    return { failed, sent: stats?.sentWindows, dataPlane };
  }, setup);
  expect(counts).toEqual({ failed: 'INFERENCE_FAILED', sent: 1, dataPlane: 'shared-memory' });
  await expect.poll(() => collector.inferences('e2e-shared'), { timeout: 10_000 }).toBe(50);
});

test('control calls get through while back-to-back runs stream through shared memory', async ({ page }) => {
  const result = await page.evaluate(async () => {
    const rt = await window.driftline.createRuntime({
      model: { url: '/tiny.onnx', format: 'onnx', name: 'e2e-shared-stream', version: '1.0.0' },
      backends: ['wasm'],
      threads: 1,
      telemetry: true,
    });
    let done = 0;
    let stop = false;
    const stream = (async () => {
      while (!stop) {
        await rt.run(
          { input: { data: new Float32Array([done, 1, 2, 3]), dims: [1, 4] } },
          { id: `r${done}` },
        );
        done++;
      }
    })();
    while (done < 50) await new Promise((r) => setTimeout(r, 1));
    // The worker answers these from its event loop, which lingering waits must not starve.
    const at: number[] = [];
    await rt.checkpoint();
    at.push(done);
    await rt.feedback('r10', { accepted: true });
    at.push(done);
    const pending = (await rt.stats())!.pending.inferences;
    stop = true;
    await stream;
    const info = rt.info();
    await rt.dispose();
    return { at, total: done, pending, dataPlane: info.dataPlane };
  });
  expect(result.dataPlane).toBe('shared-memory');
  // Each control call resolved while runs were still streaming (not only after the stream).
  expect(result.at[1]).toBeLessThan(result.total);
  expect(result.pending).toBeGreaterThanOrEqual(50);
});
