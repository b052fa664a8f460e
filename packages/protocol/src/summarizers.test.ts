import { describe, expect, test } from 'vitest';
import { buildProfile } from './build-profile.ts';
import type { CategoricalSketch } from './categorical-sketch.ts';
import type { NumericSketch } from './numeric-sketch.ts';
import { createProfile, type Profile } from './profile.ts';
import { isProbabilityTensor, summarizeClassifierOutput } from './summarize-classifier.ts';
import { summarizeTensor } from './summarize-tensor.ts';

const num = (p: Profile, name: string) => p.features[name] as NumericSketch;
const cat = (p: Profile, name: string) => p.features[name] as CategoricalSketch;

describe('summarizeTensor', () => {
  test('records one value per row for every default feature', () => {
    const p = createProfile();
    const data = new Float32Array([0, 1, 2, 3, Number.NaN, 0, Number.POSITIVE_INFINITY, 4]);
    summarizeTensor(p, 'input', { data, dims: [2, 4] });
    expect(Object.keys(p.features).sort()).toEqual(
      ['inf', 'max', 'mean', 'min', 'nan', 'std', 'zeros'].map((f) => `input.${f}`),
    );
    expect(num(p, 'input.mean').count).toBe(2);
    expect(num(p, 'input.mean').min).toBeCloseTo(1.5, 6);
    expect(num(p, 'input.mean').max).toBeCloseTo(2, 6);
    expect(num(p, 'input.std').min).toBeCloseTo(Math.sqrt(1.25), 6);
    expect(num(p, 'input.std').max).toBeCloseTo(2, 6);
    expect(num(p, 'input.min').min).toBe(0);
    expect(num(p, 'input.max').max).toBe(4);
    expect(num(p, 'input.nan').sum).toBe(1);
    expect(num(p, 'input.inf').sum).toBe(1);
    expect(num(p, 'input.zeros').sum).toBeCloseTo(0.5, 12);
  });

  test('a row without finite values counts NaN for its moments', () => {
    const p = createProfile();
    summarizeTensor(p, 'x', { data: new Float64Array([Number.NaN, Number.NaN]), dims: [2] });
    expect(num(p, 'x.mean').nanCount).toBe(1);
    expect(num(p, 'x.nan').max).toBe(2);
  });

  test('reads integer and 64-bit integer tensors', () => {
    const p = createProfile();
    summarizeTensor(p, 'ids', { data: new BigInt64Array([1n, 2n, 3n]), dims: [1, 3] });
    summarizeTensor(p, 'ids', { data: new Uint8Array([0, 255]), dims: [2] });
    expect(num(p, 'ids.max').max).toBe(255);
    expect(num(p, 'ids.mean').count).toBe(2);
  });

  test('keeps the variance accurate for large offsets', () => {
    const p = createProfile();
    summarizeTensor(p, 'x', { data: new Float64Array([1e9 + 1, 1e9 + 2, 1e9 + 3]), dims: [3] });
    expect(num(p, 'x.std').max).toBeCloseTo(Math.sqrt(2 / 3), 6);
  });
});

describe('summarizeClassifierOutput', () => {
  test('records argmax, top-1 probability and entropy per row', () => {
    const p = createProfile();
    const probs = new Float32Array([0.1, 0.7, 0.2, 0.5, 0.25, 0.25]);
    summarizeClassifierOutput(p, 'probs', { data: probs, dims: [2, 3] });
    expect([...cat(p, 'probs.argmax').counts()]).toEqual([
      ['0', 1],
      ['1', 1],
    ]);
    expect(num(p, 'probs.top1').max).toBeCloseTo(0.7, 6);
    const h = -(0.5 * Math.log(0.5) + 2 * 0.25 * Math.log(0.25));
    expect(num(p, 'probs.entropy').max).toBeCloseTo(h, 6);
  });

  test('treats rows that are not probabilities as logits, and names classes when told', () => {
    const p = createProfile();
    summarizeClassifierOutput(
      p,
      'logits',
      { data: new Float32Array([2, 0]), dims: [1, 2] },
      { labels: ['cat', 'dog'] },
    );
    expect([...cat(p, 'logits.argmax').counts().keys()]).toEqual(['cat']);
    expect(num(p, 'logits.top1').max).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
  });

  test('reads one value per row as a binary classifier (probability or logit)', () => {
    const p = createProfile();
    summarizeClassifierOutput(p, 'y', { data: new Float32Array([0.9, 0.2, 3]), dims: [3, 1] });
    expect([...cat(p, 'y.argmax').counts()]).toEqual([
      ['0', 1],
      ['1', 2],
    ]);
    expect(num(p, 'y.top1').min).toBeCloseTo(0.8, 6);
    expect(num(p, 'y.top1').max).toBeCloseTo(1 / (1 + Math.exp(-3)), 6);
  });

  test('detects probability tensors', () => {
    expect(isProbabilityTensor({ data: new Float32Array([0.2, 0.8]), dims: [1, 2] })).toBe(true);
    expect(isProbabilityTensor({ data: new Float32Array([2, -1]), dims: [1, 2] })).toBe(false);
    expect(isProbabilityTensor({ data: new Float32Array([1]), dims: [1, 1] })).toBe(false);
  });
});

describe('buildProfile', () => {
  test('builds the same features the runtime records, plus numbers and categories', () => {
    const samples = Array.from({ length: 20 }, (_, i) => ({
      input: { data: new Float32Array([i, i + 2]), dims: [1, 2] },
      probs: { data: new Float32Array(i % 2 ? [0.9, 0.1] : [0.3, 0.7]), dims: [1, 2] },
      label: String(i % 3),
      score: i / 20,
    }));
    const p = buildProfile(samples);
    expect(p.inferences).toBe(20);
    expect(num(p, 'input.mean').count).toBe(20);
    expect(cat(p, 'probs.argmax').total).toBe(20);
    expect(cat(p, 'label').counts().get('0')).toBe(7);
    expect(num(p, 'score').max).toBeCloseTo(0.95, 12);
    expect(p.features['input.argmax']).toBeUndefined();
  });
});
