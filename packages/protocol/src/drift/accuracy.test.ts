import { describe, expect, test } from 'vitest';
import { NumericSketch } from '../numeric-sketch.ts';
import { normal, rng } from '../testing/random.ts';
import { compareNumeric } from './numeric-drift.ts';

// Accuracy against exact computation on the raw samples, over the data shapes the issue lists.

type Gen = (u: () => number, z: () => number) => number;
const shapes: Record<string, Gen> = {
  normal: (_, z) => 3 + 2 * z(),
  lognormal: (_, z) => Math.exp(z()),
  bimodal: (u, z) => (u() < 0.4 ? -5 + z() : 4 + 0.5 * z()),
  'heavy-tailed (Cauchy)': (u) => Math.tan(Math.PI * (u() - 0.5)),
  'mixed sign with zeros and NaN': (u, z) => {
    const r = u();
    return r < 0.05 ? Number.NaN : r < 0.15 ? 0 : r < 0.5 ? -Math.exp(z()) : z() * 10;
  },
};

function sample(gen: Gen, seed: number, n: number, shift = 0): number[] {
  const u = rng(seed);
  const z = normal(u);
  return Array.from({ length: n }, () => gen(u, z) + shift);
}

function exactKs(a: number[], b: number[]): number {
  const x = a.filter((v) => !Number.isNaN(v)).sort((p, q) => p - q);
  const y = b.filter((v) => !Number.isNaN(v)).sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i]! <= v) i++;
    while (j < y.length && y[j]! <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

function exactPsi(a: number[], b: number[], edges: number[], eps = 1e-4): number {
  const bin = (xs: number[]) => {
    const finite = xs.filter((v) => !Number.isNaN(v));
    const counts = new Array(edges.length + 1).fill(0);
    for (const v of finite) {
      let k = 0;
      while (k < edges.length && v > edges[k]!) k++;
      counts[k]++;
    }
    return counts.map((c) => c / finite.length);
  };
  const p = bin(a);
  const q = bin(b);
  let s = 0;
  for (let k = 0; k < p.length; k++) {
    const pk = Math.max(p[k]!, eps);
    const qk = Math.max(q[k]!, eps);
    s += (qk - pk) * Math.log(qk / pk);
  }
  return s;
}

describe.each(Object.entries(shapes))('%s', (_, gen) => {
  const ref = sample(gen, 11, 20_000);
  const cur = sample(gen, 12, 20_000, 0.3);
  const rs = new NumericSketch();
  rs.addMany(ref);
  const cs = new NumericSketch();
  cs.addMany(cur);

  test('quantiles are within alpha relative error of the exact lower quantile', () => {
    const sorted = ref.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
    for (const q of [0, 0.001, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.999, 1]) {
      const exact = sorted[Math.floor(q * (sorted.length - 1))]!;
      expect(Math.abs(rs.quantile(q) - exact)).toBeLessThanOrEqual(rs.alpha * Math.abs(exact) * (1 + 1e-9));
    }
  });

  test('KS D is within 0.01 of the exact two-sample statistic', () => {
    expect(Math.abs(compareNumeric(rs, cs).ks - exactKs(ref, cur))).toBeLessThanOrEqual(0.01);
    expect(Math.abs(compareNumeric(rs, rs).ks - exactKs(ref, ref))).toBeLessThanOrEqual(0.01);
  });

  test('PSI is within 0.01 of PSI on exact counts in the same bins', () => {
    const d = compareNumeric(rs, cs);
    expect(Math.abs(d.psi - exactPsi(ref, cur, d.edges))).toBeLessThanOrEqual(0.01);
  });
});

test('Wasserstein/σ is close to the exact value on normal data', () => {
  const ref = sample(shapes.normal!, 21, 20_000);
  const cur = sample(shapes.normal!, 22, 20_000, 1);
  const rs = new NumericSketch();
  rs.addMany(ref);
  const cs = new NumericSketch();
  cs.addMany(cur);
  const a = ref.slice().sort((p, q) => p - q);
  const b = cur.slice().sort((p, q) => p - q);
  let w = 0;
  for (let i = 0; i < a.length; i++) w += Math.abs(a[i]! - b[i]!) / a.length;
  const exact = w / Math.sqrt(rs.variance);
  expect(Math.abs(compareNumeric(rs, cs).wasserstein - exact)).toBeLessThanOrEqual(0.01 * exact + 0.005);
});
