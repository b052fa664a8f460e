// The same scenario in every app: an ONNX and a TF.js runtime, created with neither createWorker
// nor wasmPaths, on the same inputs; their windows flushed to the collector. window.packaging.run
// answers what the suite checks.
import { createRuntime } from '@driftline/runtime';

/** Deterministic pixels in [0, 1): `rows` digits of 784 values. */
function pixels(rows, seed) {
  const data = new Float32Array(rows * 784);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2 ** 32;
  }
  return data;
}

const argmax = (row) => row.indexOf(Math.max(...row));

async function scenario({ app, collector, appKey, onnxRuns, tfjsRuns, assetBase }) {
  const common = { collector, appKey, backends: ['wasm'], ...(assetBase ? { assetBase } : {}) };
  const models = { onnx: `${app}-onnx`, tfjs: `${app}-tfjs` };
  const onnx = await createRuntime({
    ...common,
    model: { url: '/models/digits/1.0.0/model.onnx', format: 'onnx', name: models.onnx },
  });
  const tfjs = await createRuntime({
    ...common,
    model: {
      url: '/models/digits/1.0.0/tfjs/model.json',
      format: 'tfjs',
      outputNames: ['probs'],
      name: models.tfjs,
    },
  });
  const batch = pixels(8, 7);
  const a = (await onnx.run({ input: { data: batch.slice(), dims: [8, 784] } })).probs.data;
  const b = (await tfjs.run({ input: { data: batch.slice(), dims: [8, 784] } })).probs.data;
  let maxDiff = a.length === b.length && a.length === 80 ? 0 : Number.POSITIVE_INFINITY;
  for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
  let argmaxAgree = true;
  for (let r = 0; r < 8; r++)
    argmaxAgree &&=
      argmax(Array.from(a.subarray(r * 10, r * 10 + 10))) ===
      argmax(Array.from(b.subarray(r * 10, r * 10 + 10)));
  for (let i = 1; i < onnxRuns; i++) await onnx.run({ input: { data: pixels(1, 100 + i), dims: [1, 784] } });
  for (let i = 1; i < tfjsRuns; i++) await tfjs.run({ input: { data: pixels(1, 200 + i), dims: [1, 784] } });
  await Promise.all([onnx.flush(), tfjs.flush()]);
  const plain = (x) => JSON.parse(JSON.stringify(x ?? null));
  const result = {
    models,
    runs: { onnx: onnxRuns, tfjs: tfjsRuns },
    maxDiff,
    argmaxAgree,
    info: { onnx: plain(onnx.info()), tfjs: plain(tfjs.info()) },
    status: { onnx: plain(await onnx.status()), tfjs: plain(await tfjs.status()) },
  };
  await Promise.all([onnx.dispose(), tfjs.dispose()]);
  return result;
}

window.packaging = {
  run: (config) =>
    scenario(config).catch((e) => ({
      error: { name: e?.name, code: e?.code, message: String(e?.message ?? e) },
    })),
};
window.packagingReady = true;
