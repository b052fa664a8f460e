import 'fake-indexeddb/auto';
import {
  type CategoricalSketch,
  decodeProfile,
  type ModelSchema,
  NumericSketch,
  parseModelSchema,
} from '@driftline/protocol';
import { describe, expect, it } from 'vitest';
import { openOutboxDb } from '../outbox/outbox-db.ts';
import type { TelemetryInit, WorkerInfo } from '../worker/messages.ts';
import { WindowRecorder } from './window-recorder.ts';

let n = 0;
const info = {
  model: { name: 'digits', version: '1.0.0', format: 'onnx', url: 'x', sha256: 'ab', bytes: 1 },
  backend: 'wasm',
  segment: 'chrome/linux/wasm/cores-2/gpu-none',
  loadMs: 12.5,
} as WorkerInfo;

async function recorder(overrides: Partial<TelemetryInit> = {}, schema?: ModelSchema) {
  const settings: TelemetryInit = {
    ownerId: 'owner',
    outbox: `recorder-${n++}`,
    windowSeconds: 60,
    maxInferences: 1000,
    maxTrackedRuns: 2,
    checkpointMs: 10_000,
    ...overrides,
  };
  const db = await openOutboxDb(settings.outbox);
  return { rec: new WindowRecorder(db, settings, schema ? { ...info, schema } : info, settings.outbox), db };
}

const probs = (hot: number) => {
  const data = new Float32Array(10).fill(0.01);
  data[hot] = 0.91;
  return { data, dims: [1, 10], type: 'float32' as const };
};
const input = (v: number) => ({
  data: new Float32Array([v, 0, 1, 0]),
  dims: [1, 4],
  type: 'float32' as const,
});

describe('WindowRecorder', () => {
  it('summarises each run into the window profile and checkpoints it as an open window', async () => {
    const { rec, db } = await recorder();
    rec.onRun({ input: input(0.5) }, { probs: probs(3) }, 1.5, undefined);
    rec.onRun({ input: input(0.25) }, { probs: probs(7) }, 2.5, undefined);
    rec.onRecords([{ totalMs: 3 }, { totalMs: 4, features: { brightness: 0.7, shape: 'round' } }]);
    await rec.checkpoint();
    const [w] = await db.getAll('windows');
    expect(w).toMatchObject({
      state: 'open',
      inferences: 2,
      model: 'digits',
      version: '1.0.0',
      backend: 'wasm',
    });
    const p = decodeProfile(w!.profile);
    expect(p.inferences).toBe(2);
    expect(p.latency.run!.count).toBe(2);
    expect(p.latency.total!.count).toBe(2);
    expect(p.latency.load!.count).toBe(1);
    for (const f of [
      'input.mean',
      'input.std',
      'input.min',
      'input.max',
      'input.nan',
      'input.inf',
      'input.zeros',
    ]) {
      expect(p.features[f]).toBeInstanceOf(NumericSketch);
    }
    const argmax = p.features['probs.argmax'] as CategoricalSketch;
    expect(Object.fromEntries(argmax.counts())).toEqual({ '3': 1, '7': 1 });
    expect((p.features['probs.top1'] as NumericSketch).count).toBe(2);
    expect((p.features.brightness as NumericSketch).count).toBe(1);
    expect(Object.fromEntries((p.features.shape as CategoricalSketch).counts())).toEqual({ round: 1 });
    await rec.dispose();
  });

  it('closes the window at maxInferences and starts a new one', async () => {
    const { rec, db } = await recorder({ maxInferences: 3 });
    for (let i = 0; i < 5; i++) rec.onRun({ input: input(i) }, { probs: probs(1) }, 1, undefined);
    await rec.checkpoint();
    const windows = (await db.getAll('windows')).sort((a, b) => b.inferences - a.inferences);
    expect(windows.map((w) => [w.state, w.inferences])).toEqual([
      ['closed', 3],
      ['open', 2],
    ]);
    await rec.dispose();
  });

  it('records feedback against the predicted class of a tagged run, once', async () => {
    const { rec, db } = await recorder();
    rec.onRun({ input: input(1) }, { probs: probs(4) }, 1, 'a');
    rec.onRun({ input: input(2) }, { probs: probs(5) }, 1, 'b');
    rec.feedback('a', { label: 4, accepted: true });
    rec.feedback('b', { label: 9, accepted: false });
    expect(() => rec.feedback('b', { label: 9 })).toThrow(/No recent run/);
    await rec.closeWindow();
    const p = decodeProfile((await db.getAll('windows'))[0]!.profile);
    expect((p.features['feedback.correct'] as NumericSketch).mean).toBe(0.5);
    expect(Object.fromEntries((p.features['feedback.accepted'] as CategoricalSketch).counts())).toEqual({
      true: 1,
      false: 1,
    });
    await rec.dispose();
  });

  it('keeps only the most recent tagged runs', async () => {
    const { rec } = await recorder({ maxTrackedRuns: 2 });
    for (const id of ['a', 'b', 'c']) rec.onRun({ input: input(1) }, { probs: probs(1) }, 1, id);
    expect(() => rec.feedback('a', { accepted: true })).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_RUN' }),
    );
    rec.feedback('c', { accepted: true });
    await rec.dispose();
  });

  it('with a schema: features by kind, and feedback by label or index against the predicted label', async () => {
    const digits = Array.from({ length: 10 }, (_, k) => `d${k}`);
    const schema = parseModelSchema({
      inputs: {
        input: { kind: 'columns', columns: ['a', 'b', 'c', 'd'].map((name) => ({ name })) },
      },
      outputs: { probs: { kind: 'classes', labels: digits } },
    });
    const { rec, db } = await recorder({ maxTrackedRuns: 10 }, schema);
    rec.onRun({ input: input(1) }, { probs: probs(4) }, 1, 'a');
    rec.onRun({ input: input(2) }, { probs: probs(5) }, 1, 'b');
    rec.onRun({ input: input(3) }, { probs: probs(6) }, 1, 'c');
    rec.onRun({ input: input(3) }, { probs: probs(7) }, 1, 'd');
    rec.feedback('a', { label: 'd4' });
    rec.feedback('b', { label: 5 });
    rec.feedback('c', { label: '6' });
    rec.feedback('d', { label: 'd3' });
    await rec.closeWindow();
    const p = decodeProfile((await db.getAll('windows'))[0]!.profile);
    expect(Object.keys(p.features).filter((f) => f.startsWith('input.'))).toEqual([
      'input.a',
      'input.b',
      'input.c',
      'input.d',
    ]);
    expect((p.features['input.a'] as NumericSketch).max).toBe(3);
    expect(Object.fromEntries((p.features['probs.argmax'] as CategoricalSketch).counts())).toEqual({
      d4: 1,
      d5: 1,
      d6: 1,
      d7: 1,
    });
    expect(p.features['probs.mean']).toBeUndefined();
    expect((p.features['feedback.correct'] as NumericSketch).mean).toBe(0.75);
    expect(Object.fromEntries((p.features['feedback.label'] as CategoricalSketch).counts())).toEqual({
      d4: 1,
      d5: 1,
      d6: 1,
      d3: 1,
    });
    await rec.dispose();
  });
});
