import { expect, test } from 'vitest';
import type { CategoricalSketch } from './categorical-sketch.ts';
import type { NumericSketch } from './numeric-sketch.ts';
import { createProfile } from './profile.ts';
import { summarizeClasses } from './summarize-classes.ts';

const spec = { labels: ['cat', 'dog', 'eel'] };

test('records argmax with labels, top1, entropy and a confidence sketch per predicted class', () => {
  const p = createProfile();
  const probs = new Float32Array([0.7, 0.2, 0.1, 0.1, 0.6, 0.3, 0.8, 0.1, 0.1]);
  summarizeClasses(p, 'y', { data: probs, dims: [3, 3] }, spec);
  expect([...(p.features['y.argmax'] as CategoricalSketch).counts()]).toEqual([
    ['cat', 2],
    ['dog', 1],
  ]);
  const cat = p.features['y.conf.cat'] as NumericSketch;
  expect(cat.count).toBe(2);
  expect(cat.sum).toBeCloseTo(1.5, 6);
  expect((p.features['y.conf.eel'] as NumericSketch).count).toBe(0);
  expect(p.features['y.hit.cat']).toBeUndefined();
});

test('with truth, rows predicted right also record their confidence under hit', () => {
  const p = createProfile();
  const probs = new Float32Array([0.7, 0.2, 0.1, 0.1, 0.6, 0.3, 0.8, 0.1, 0.1]);
  summarizeClasses(p, 'y', { data: probs, dims: [3, 3] }, spec, { truth: ['cat', 'eel', 0] });
  expect((p.features['y.hit.cat'] as NumericSketch).count).toBe(2);
  expect((p.features['y.hit.dog'] as NumericSketch).count).toBe(0);
});

test('a binary output with one value per row has two classes', () => {
  const p = createProfile();
  summarizeClasses(p, 'y', { data: new Float32Array([0.9, 0.2]), dims: [2, 1] }, {}, { truth: [1, 1] });
  expect((p.features['y.conf.1'] as NumericSketch).mean).toBeCloseTo(0.9, 6);
  expect((p.features['y.conf.0'] as NumericSketch).mean).toBeCloseTo(0.8, 6);
  expect((p.features['y.hit.1'] as NumericSketch).count).toBe(1);
  expect((p.features['y.hit.0'] as NumericSketch).count).toBe(0);
});
