import { expect, test } from 'vitest';
import { CategoricalSketch } from '../categorical-sketch.ts';
import { NumericSketch } from '../numeric-sketch.ts';
import { normal, rng } from '../testing/random.ts';
import { compareCategorical } from './categorical-drift.ts';
import { compareNumeric } from './numeric-drift.ts';

// Drift power and false alarms by seeded simulation, with the default thresholds.
const N = 5000;
const TRIALS = 200;

function trial(z: () => number, shift: number): string {
  const ref = new NumericSketch();
  const cur = new NumericSketch();
  for (let i = 0; i < N; i++) ref.add(z());
  for (let i = 0; i < N; i++) cur.add(z() + shift);
  return compareNumeric(ref, cur).status;
}

test(`a 0.2σ mean shift at n=${N} is flagged warn or worse in at least 95% of ${TRIALS} trials`, () => {
  const z = normal(rng(2024));
  let flagged = 0;
  for (let t = 0; t < TRIALS; t++) if (trial(z, 0.2) !== 'ok') flagged++;
  expect(flagged / TRIALS).toBeGreaterThanOrEqual(0.95);
});

test(`no shift at n=${N} alerts in under 1% of ${TRIALS} trials`, () => {
  const z = normal(rng(4048));
  let alerts = 0;
  let warns = 0;
  for (let t = 0; t < TRIALS; t++) {
    const s = trial(z, 0);
    if (s === 'alert') alerts++;
    if (s === 'warn') warns++;
  }
  expect(alerts / TRIALS).toBeLessThan(0.01);
  expect(warns / TRIALS).toBeLessThan(0.05);
});

test('categorical: an unchanged 10-class mix at n=5000 does not alert; a swing of 10 and 8 points in two classes warns', () => {
  const u = rng(99);
  const draw = (weights: number[]) => {
    const s = new CategoricalSketch();
    for (let i = 0; i < N; i++) {
      let r = u();
      let k = 0;
      while (k < weights.length - 1 && r >= weights[k]!) r -= weights[k++]!;
      s.add(String(k));
    }
    return s;
  };
  const even = Array(10).fill(0.1);
  const swung = [0.2, 0.02, ...Array(8).fill(0.0975)];
  let alerts = 0;
  let flagged = 0;
  for (let t = 0; t < 50; t++) {
    if (compareCategorical(draw(even), draw(even)).status === 'alert') alerts++;
    if (compareCategorical(draw(even), draw(swung)).status !== 'ok') flagged++;
  }
  expect(alerts).toBe(0);
  expect(flagged).toBeGreaterThanOrEqual(48);
});
