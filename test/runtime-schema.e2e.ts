import { readFileSync } from 'node:fs';
import { DEV_KEYS } from '@driftline/collector';
import { expect, type Page, test } from '@playwright/test';
import type { ViteDevServer } from 'vite';
import { onnxModel } from './fixtures/onnx-writer.ts';
import { heldoutProbs, startManaged } from './fixtures/rollout/managed-page.ts';
import { RolloutCollector } from './fixtures/rollout/rollout-collector.ts';
import { TestCollector } from './fixtures/runtime/collector.ts';
import { startFixtureServer } from './fixtures/runtime/vite-server.ts';

// A tabular model through the runtime with a schema, in real Chromium (ORT on WASM), with a real
// collector: one feature per named column, the output's labels, and a schema that does not fit the
// model refused by createRuntime before any run.

const COLUMNS = Array.from({ length: 30 }, (_, k) => `c${k}`);
const LABELS = ['stay', 'churn'];
const MODEL_PATH = '/tabular/1.0.0/model.onnx';

/** probs = Softmax(x · W + B): x float32 [N, 30], probs [N, 2]; class 1 wins when c0 is large. */
function tabularModel(): Uint8Array {
  const w = new Float32Array(30 * 2);
  for (let k = 0; k < 30; k++) {
    w[k * 2] = 0.01 * (k % 3);
    w[k * 2 + 1] = k === 0 ? 2 : -0.01 * (k % 5);
  }
  return onnxModel({
    name: 'tabular',
    nodes: [
      { op: 'MatMul', inputs: ['x', 'W'], outputs: ['xw'] },
      { op: 'Add', inputs: ['xw', 'B'], outputs: ['logits'] },
      { op: 'Softmax', inputs: ['logits'], outputs: ['probs'] },
    ],
    initializers: [
      { name: 'W', dims: [30, 2], values: w },
      { name: 'B', dims: [2], values: new Float32Array([0.5, -0.5]) },
    ],
    inputs: [{ name: 'x', dims: ['N', 30] }],
    outputs: [{ name: 'probs', dims: ['N', 2] }],
  });
}

let server: ViteDevServer & { url: string };
let collector: TestCollector;
const model = tabularModel();

test.beforeAll(async () => {
  [server, collector] = await Promise.all([startFixtureServer(), TestCollector.start()]);
});
test.afterAll(async () => {
  await Promise.all([server?.close(), collector?.stop()]);
});

/** Opens the fixture page with the tabular model served at MODEL_PATH (to the page and its worker). */
async function openPage(page: Page): Promise<void> {
  await page
    .context()
    .route(`**${MODEL_PATH}`, (route) =>
      route.fulfill({ body: Buffer.from(model), contentType: 'application/octet-stream' }),
    );
  await page.goto(server.url);
  await page.waitForFunction(() => window.ready);
}

interface Setup {
  name: string;
  schema: unknown;
  collector: string;
  appKey: string;
}

/** createRuntime on the tabular model with `schema`; answers the error's name and code when it rejects. */
function create(page: Page, name: string, schema: unknown) {
  const setup: Setup = { name, schema, collector: collector.url, appKey: collector.ingestKey };
  return page.evaluate(async (s) => {
    try {
      window.rt = await window.driftline.createRuntime({
        model: { url: '/tabular/1.0.0/model.onnx', format: 'onnx', name: s.name, version: '1.0.0' },
        schema: s.schema as never,
        backends: ['wasm'],
        cache: false,
        collector: s.collector,
        appKey: s.appKey,
      });
      return { ok: true as const, info: window.rt.info() };
    } catch (error) {
      const e = error as { name: string; code: string; message: string };
      return { ok: false as const, name: e.name, code: e.code, message: e.message };
    }
  }, setup);
}

const schemaOf = (columns: string[], input = 'x') => ({
  inputs: { [input]: { kind: 'columns', columns: columns.map((name) => ({ name })) } },
  outputs: { probs: { kind: 'classes', labels: LABELS } },
});

interface Distributions {
  features: Record<string, { kind: 'numeric' | 'categorical'; labels?: string[]; current?: number[] }>;
}

async function distributions(name: string): Promise<Distributions> {
  const res = await fetch(`${collector.url}/v1/models/${name}/drift/distributions?version=1.0.0`, {
    headers: { authorization: `Bearer ${DEV_KEYS.read}` },
  });
  if (!res.ok) throw new Error(`distributions: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as Distributions;
}

test('a columns schema records one feature per column and the classes output with its labels', async ({
  page,
}) => {
  await openPage(page);
  const started = await create(page, 'e2e-schema', schemaOf(COLUMNS));
  expect(started).toMatchObject({ ok: true, info: { backend: 'wasm', inputNames: ['x'] } });
  const runs = 40;
  const predicted = await page.evaluate(async (n) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const x = Float32Array.from({ length: 30 }, (_, k) => (k === 0 ? (i % 2 ? 3 : -3) : (i * k) % 7));
      const { probs } = await window.rt.run({ x: { data: x, dims: [1, 30] } }, { id: `run-${i}` });
      const p = probs!.data as Float32Array;
      out.push(p[1]! > p[0]! ? 1 : 0);
    }
    // Feedback by label and by index: both name the predicted class.
    await window.rt.feedback('run-0', { label: 'stay' });
    await window.rt.feedback('run-1', { label: 1 });
    await window.rt.flush();
    return out;
  }, runs);
  expect(predicted.slice(0, 2)).toEqual([0, 1]);
  await expect.poll(() => collector.inferences('e2e-schema'), { timeout: 15_000 }).toBe(runs);

  const { features } = await distributions('e2e-schema');
  const names = Object.keys(features);
  expect(names.filter((n) => n.startsWith('x.')).sort()).toEqual(COLUMNS.map((c) => `x.${c}`).sort());
  for (const c of COLUMNS) expect(features[`x.${c}`]!.kind).toBe('numeric');
  // The named output is recorded by its kind only, never also as a whole tensor.
  expect(names).not.toContain('probs.mean');
  expect(features['probs.argmax']).toMatchObject({ kind: 'categorical' });
  expect([...features['probs.argmax']!.labels!].sort()).toEqual([...LABELS].sort());
  expect(names).toEqual(expect.arrayContaining(['probs.top1', 'probs.entropy', 'probs.conf.churn']));
  expect(features['feedback.label']!.labels!.sort()).toEqual([...LABELS].sort());
});

test('a schema that does not fit the model rejects createRuntime with SCHEMA_MISMATCH before any run', async ({
  page,
}) => {
  await openPage(page);
  const cases = [
    ['e2e-schema-29', schemaOf(COLUMNS.slice(0, 29)), /names 29 columns but the tensor's last dim is 30/],
    ['e2e-schema-name', schemaOf(COLUMNS, 'features'), /"features" is not a tensor of the model/],
  ] as const;
  for (const [name, schema, message] of cases) {
    const result = await create(page, name, schema);
    expect(result).toMatchObject({ ok: false, name: 'SchemaMismatchError', code: 'SCHEMA_MISMATCH' });
    expect(result.ok || result.message).toMatch(message);
  }
  const invalid = await create(page, 'e2e-schema-shape', { inputs: { x: { kind: 'columns' } } });
  expect(invalid).toMatchObject({ ok: false, name: 'InvalidSchemaError', code: 'INVALID_SCHEMA' });
  // The refused runtimes never ran: their outboxes held nothing to send.
  for (const name of ['e2e-schema-29', 'e2e-schema-name', 'e2e-schema-shape'])
    expect(await collector.inferences(name)).toBe(0);
});

test('every backend reads its tensors for the check: the digit model on ONNX and TF.js', async ({ page }) => {
  await openPage(page);
  const results = await page.evaluate(async () => {
    const digits = Array.from({ length: 10 }, (_, k) => `digit-${k}`);
    const schema = (labels: string[], pixels: number) => ({
      inputs: {
        input: {
          kind: 'columns' as const,
          columns: Array.from({ length: pixels }, (_, k) => ({ name: `p${k}` })),
        },
      },
      outputs: { probs: { kind: 'classes' as const, labels } },
    });
    const onnx = { url: '/models/digits/1.0.0/model.onnx', format: 'onnx' as const };
    const tfjs = {
      url: '/models/digits/1.0.0/tfjs/model.json',
      format: 'tfjs' as const,
      inputNames: ['input'],
      outputNames: ['probs'],
    };
    const cases = [
      { model: onnx, device: 'wasm' as const },
      { model: tfjs, device: 'wasm' as const },
      { model: tfjs, device: 'cpu' as const },
    ];
    const out = [];
    for (const c of cases) {
      const start = (s: ReturnType<typeof schema>) =>
        window.driftline.createRuntime({ model: c.model, backends: [c.device], schema: s });
      const rt = await start(schema(digits, 784));
      const y = await rt.run({ input: { data: new Float32Array(784).fill(0.5), dims: [1, 784] } });
      const fits = { backend: rt.info().backend, labels: rt.info().schema?.outputs.probs?.labels?.length };
      await rt.dispose();
      const refused = await Promise.all(
        [schema(digits.slice(1), 784), schema(digits, 783)].map((s) =>
          start(s).then(
            () => 'started',
            (e: { code: string; message: string }) => `${e.code}: ${e.message}`,
          ),
        ),
      );
      out.push({ name: `${c.model.format}/${c.device}`, ...fits, ran: Object.keys(y), refused });
    }
    return out;
  });
  for (const r of results) {
    expect(r, r.name).toMatchObject({ backend: r.name.split('/')[1], labels: 10, ran: ['probs'] });
    expect(r.refused[0], r.name).toMatch(/^SCHEMA_MISMATCH: .*9 labels but 10 classes/);
    expect(r.refused[1], r.name).toMatch(/^SCHEMA_MISMATCH: .*783 columns but the tensor's last dim is 784/);
  }
});

test('a named model takes its schema from the manifest; an update whose schema does not fit is refused, the current version keeps answering', async ({
  page,
}) => {
  const registry = await RolloutCollector.start();
  try {
    const model = 'e2e-managed-schema';
    const digits = Array.from({ length: 10 }, (_, k) => `digit-${k}`);
    const file = (version: string) =>
      readFileSync(new URL(`../demo/public/models/digits/${version}/model.onnx`, import.meta.url));
    const publish = (version: string, pixels: number) =>
      registry.api('POST', `/v1/models/${model}/versions`, {
        version,
        format: 'onnx',
        files: [{ path: 'model.onnx', data: file(version).toString('base64') }],
        // 1.1.0 is published with tensors it does not have: the collector checks the schema against
        // these, the device against the model it loads.
        inputs: [{ name: 'input', dtype: 'float32', shape: ['N', pixels] }],
        outputs: [{ name: 'probs', dtype: 'float32', shape: ['N', 10] }],
        schema: {
          inputs: {
            input: {
              kind: 'columns',
              columns: Array.from({ length: pixels }, (_, k) => ({ name: `p${k}` })),
            },
          },
          outputs: { probs: { kind: 'classes', labels: digits } },
        },
      });
    await publish('1.0.0', 784);
    await publish('1.1.0', 783);
    await openPage(page);
    const started = await startManaged(page, { model, collector: registry.url, appKey: registry.ingestKey });
    expect(started.version).toBe('1.0.0');
    expect(started.info.schema?.outputs.probs?.labels).toEqual(digits);
    const before = await heldoutProbs(page, 4);

    await registry.api('PUT', `/v1/models/${model}/rollout`, { candidate: '1.1.0', percent: 100 });
    await page.evaluate(() => (window.rt as import('@driftline/runtime').ManagedRuntime).checkForUpdate());
    const state = await page.evaluate(() =>
      (window.rt as import('@driftline/runtime').ManagedRuntime).rollout(),
    );
    expect(state).toMatchObject({ version: '1.0.0', refused: ['1.1.0'] });
    const failed = await page.evaluate(() => window.updates.at(-1));
    expect(failed).toMatchObject({ type: 'failed', version: '1.1.0', reason: 'schema', running: '1.0.0' });
    expect(failed && 'message' in failed && failed.message).toMatch(
      /783 columns but the tensor's last dim is 784/,
    );
    expect(await heldoutProbs(page, 4)).toEqual(before);
    await page.evaluate(() => window.rt.flush());

    await expect
      .poll(async () => [...(await registry.profiles(model, 'primary')).keys()].sort(), { timeout: 15_000 })
      .toEqual(['1.0.0', '1.1.0']);
    const profiles = await registry.profiles(model, 'primary');
    const current = profiles.get('1.0.0')!;
    expect(current.inferences).toBe(8);
    expect(Object.keys(current.features).filter((f) => f.startsWith('input.'))).toHaveLength(784);
    const argmax = current.features['probs.argmax'] as import('@driftline/protocol').CategoricalSketch;
    expect([...argmax.counts().keys()].every((l) => digits.includes(l))).toBe(true);
    const refused = profiles.get('1.1.0')!;
    expect(refused.inferences).toBe(0);
    expect(Object.fromEntries((refused.features['activation.failure'] as typeof argmax).counts())).toEqual({
      schema: 1,
    });
  } finally {
    await registry.stop();
  }
});
