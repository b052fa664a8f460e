import { expect, test } from 'vitest';
import { createProfile } from '../profile.ts';
import { summarizeEmbedding } from '../summarize-embedding.ts';
import { normal, rng } from '../testing/random.ts';
import { compareEmbedding } from './embedding-drift.ts';

const spec = { projections: 8, seed: 1, rff: 8, bandwidth: 1 };
const z = normal(rng(8));
function window(n: number, d: number, at = (_: number) => z()) {
  const p = createProfile();
  p.inferences = n;
  summarizeEmbedding(
    p,
    'e',
    { data: Float64Array.from({ length: n * d }, (_, i) => at(i % d)), dims: [n, d] },
    spec,
  );
  return p;
}

test('a window against itself: zero distance, MMD² about zero, ok', () => {
  const a = window(800, 16);
  const d = compareEmbedding(a, a, 'e');
  expect(d.meanDistance).toBe(0);
  expect(d.rawMeanDistance).toBe(0);
  expect(d.driftedShare).toBe(0);
  // The unbiased estimate on one sample twice is −2(1 − ‖z̄‖²)/(n − 1): slightly negative.
  expect(d.mmd2).toBeLessThan(0);
  expect(d.mmd2).toBeGreaterThan(-2 / 799);
  expect(d.status).toBe('ok');
  expect(d.projections).toHaveLength(8);
});

test('below minCount the status is insufficient; a missing tensor gives no projections', () => {
  expect(compareEmbedding(window(100, 16), window(100, 16), 'e').status).toBe('insufficient');
  const none = compareEmbedding(createProfile(), createProfile(), 'e');
  expect(none.status).toBe('insufficient');
  expect(none.mmd2).toBeNaN();
});

test('a shift of 1 on every axis gives a mean distance near its true 4 (16 dims) and alerts', () => {
  const d = compareEmbedding(
    window(1000, 16),
    window(1000, 16, () => z() + 1),
    'e',
  );
  expect(d.meanDistance).toBeGreaterThan(3);
  expect(d.meanDistance).toBeLessThan(5);
  expect(d.status).toBe('alert');
  expect(d.driftedShare).toBeGreaterThan(0.5);
});
