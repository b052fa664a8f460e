import {
  type CategoricalSketch,
  createProfile,
  LIMITS,
  numericFeature,
  parseModelSchema,
  TENSOR_FEATURES,
} from '@driftline/protocol';
import { describe, expect, it } from 'vitest';
import { addAppFeatures, summarizeRun } from './summarize-run.ts';

const f32 = (values: number[], dims = [1, values.length]) => ({
  data: new Float32Array(values),
  dims,
  type: 'float32' as const,
});
const x = f32([1, 2, 3]);
const probs = f32([0.2, 0.7, 0.1]);
const schema = parseModelSchema({
  inputs: { x: { kind: 'columns', columns: [{ name: 'age' }, { name: 'income' }, { name: 'tenure' }] } },
  outputs: { probs: { kind: 'classes', labels: ['low', 'mid', 'high'] } },
});
const counts = (f: unknown) => Object.fromEntries((f as CategoricalSketch).counts());

describe('summarizeRun', () => {
  it('without a schema: whole-tensor features, class features of a probability output, the index as prediction', () => {
    const p = createProfile();
    expect(summarizeRun(p, { x }, { probs })).toEqual({ predicted: '1' });
    expect(Object.keys(p.features)).toEqual([
      ...TENSOR_FEATURES.map((f) => `x.${f}`),
      ...TENSOR_FEATURES.map((f) => `probs.${f}`),
      'probs.argmax',
      'probs.top1',
      'probs.entropy',
    ]);
  });

  it('with a schema: the tensors it names by their kind only, and the label as prediction', () => {
    const p = createProfile();
    expect(summarizeRun(p, { x }, { probs }, schema)).toEqual({
      predicted: 'mid',
      labels: ['low', 'mid', 'high'],
    });
    const names = Object.keys(p.features);
    expect(names.filter((n) => n.startsWith('x.'))).toEqual(['x.age', 'x.income', 'x.tenure']);
    // The named output is not also summarized as a whole tensor.
    for (const f of TENSOR_FEATURES) expect(names).not.toContain(`probs.${f}`);
    expect(counts(p.features['probs.argmax'])).toEqual({ mid: 1 });
    expect(names).toContain('probs.conf.high');
  });

  it('keeps today’s features for the tensors a schema does not name, classifier ones included', () => {
    const p = createProfile();
    const other = f32([0.9, 0.1]);
    const prediction = summarizeRun(p, { x, mask: f32([0, 1]) }, { probs, other }, schema);
    expect(prediction?.predicted).toBe('mid');
    for (const f of TENSOR_FEATURES) {
      expect(p.features[`mask.${f}`]).toBeDefined();
      expect(p.features[`other.${f}`]).toBeDefined();
    }
    expect(counts(p.features['other.argmax'])).toEqual({ '0': 1 });
  });

  it('predicts a one-value output as a binary classifier, and nothing for a NaN row', () => {
    const binary = parseModelSchema({ outputs: { p: { kind: 'classes', labels: ['no', 'yes'] } } });
    expect(summarizeRun(createProfile(), {}, { p: f32([0.8]) }, binary)?.predicted).toBe('yes');
    expect(summarizeRun(createProfile(), {}, { p: f32([0.3]) }, binary)?.predicted).toBe('no');
    expect(summarizeRun(createProfile(), {}, { p: f32([-2]) }, binary)?.predicted).toBe('no');
    expect(summarizeRun(createProfile(), {}, { probs: f32([Number.NaN, 0.5, 0.5]) }, schema)).toBeUndefined();
  });
});

describe('addAppFeatures', () => {
  it('adds no new feature past the cap (less room for feedback), and keeps adding to known ones', () => {
    const p = createProfile();
    for (let k = 0; k < LIMITS.maxFeatures - 3; k++) numericFeature(p, `f${k}`);
    addAppFeatures(p, { f0: 1, brandNew: 2, label: 'x' });
    expect(Object.keys(p.features)).toHaveLength(LIMITS.maxFeatures - 3);
    expect(numericFeature(p, 'f0').count).toBe(1);
  });
});
