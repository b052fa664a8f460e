import { describe, expect, test } from 'vitest';
import { CategoricalSketch } from '../categorical-sketch.ts';
import { NumericSketch } from '../numeric-sketch.ts';
import { createProfile } from '../profile.ts';
import { normal, rng } from '../testing/random.ts';
import { compareCategorical } from './categorical-drift.ts';
import { compareNumeric } from './numeric-drift.ts';
import { compareProfiles, overallStatus } from './profile-drift.ts';

function sketch(xs: ArrayLike<number>): NumericSketch {
  const s = new NumericSketch();
  s.addMany(xs);
  return s;
}

function normals(seed: number, n: number, shift = 0): Float64Array {
  const z = normal(rng(seed));
  return Float64Array.from({ length: n }, () => z() + shift);
}

describe('compareNumeric', () => {
  test('identical data gives zero drift and ok', () => {
    const s = sketch(normals(1, 2000));
    const d = compareNumeric(s, s.clone());
    expect(d.psi).toBe(0);
    expect(d.js).toBe(0);
    expect(d.ks).toBe(0);
    expect(d.wasserstein).toBe(0);
    expect(d.status).toBe('ok');
    expect(d.edges).toHaveLength(9);
  });

  test('a 1σ shift alerts on every statistic', () => {
    const d = compareNumeric(sketch(normals(1, 5000)), sketch(normals(2, 5000, 1)));
    expect(d.status).toBe('alert');
    expect(d.psi).toBeGreaterThan(0.25);
    expect(d.js).toBeGreaterThan(0.2);
    expect(d.ks).toBeGreaterThan(0.3);
    expect(d.wasserstein).toBeCloseTo(1, 1);
  });

  test('is insufficient below minCount on either side, and says so even when it would alert', () => {
    const d = compareNumeric(sketch(normals(1, 5000)), sketch(normals(2, 100, 3)));
    expect(d.status).toBe('insufficient');
    expect(d.ks).toBeGreaterThan(0.9);
    expect(
      compareNumeric(sketch(normals(1, 5000)), sketch(normals(2, 100, 3)), { minCount: 50 }).status,
    ).toBe('alert');
  });

  test('empty sides give NaN statistics, never a throw', () => {
    const d = compareNumeric(new NumericSketch(), sketch([1, 2]));
    expect(d.psi).toBeNaN();
    expect(d.status).toBe('insufficient');
  });

  test('reports data quality: NaN and infinity rates, share outside the reference range', () => {
    const ref = sketch(normals(1, 1000));
    const cur = sketch([...normals(2, 900), ...Array(50).fill(Number.NaN), ...Array(50).fill(100)]);
    const d = compareNumeric(ref, cur);
    expect(d.quality.nan).toEqual({ reference: 0, current: 0.05, delta: 0.05 });
    expect(d.quality.inf.current).toBe(0);
    expect(d.quality.outOfRange.current).toBeCloseTo(50 / 950, 2);
  });

  test('caller thresholds override the defaults', () => {
    const ref = sketch(normals(1, 5000));
    const cur = sketch(normals(2, 5000, 0.3));
    expect(compareNumeric(ref, cur).status).not.toBe('ok');
    const loose = { warn: 10, alert: 20 };
    expect(compareNumeric(ref, cur, { psi: loose, js: loose, ks: loose, wasserstein: loose }).status).toBe(
      'ok',
    );
    expect(() => compareNumeric(ref, cur, { psi: { warn: 2, alert: 1 } })).toThrow(/warn <= alert/);
  });

  test('refuses sketches with different alpha', () => {
    expect(() => compareNumeric(new NumericSketch({ alpha: 0.02 }), new NumericSketch())).toThrow(
      expect.objectContaining({ code: 'SKETCH_MISMATCH' }),
    );
  });
});

describe('compareCategorical', () => {
  function cats(counts: Record<string, number>): CategoricalSketch {
    const s = new CategoricalSketch();
    for (const [k, n] of Object.entries(counts)) s.add(k, n);
    return s;
  }

  test('same proportions: ok with a high p-value', () => {
    const d = compareCategorical(cats({ a: 500, b: 300, c: 200 }), cats({ a: 1000, b: 600, c: 400 }));
    expect(d.psi).toBeCloseTo(0, 12);
    expect(d.chi2p).toBeCloseTo(1, 9);
    expect(d.status).toBe('ok');
  });

  test('a new label and a shifted mix alert', () => {
    const d = compareCategorical(cats({ a: 500, b: 500 }), cats({ a: 200, b: 500, c: 300 }));
    expect(d.status).toBe('alert');
    expect(d.chi2p).toBeLessThan(1e-10);
    expect(d.js).toBeGreaterThan(0.2);
  });

  test('chi-square verdict only when asked', () => {
    const ref = cats({ a: 50_000, b: 50_000 });
    const cur = cats({ a: 51_000, b: 49_000 });
    expect(compareCategorical(ref, cur).status).toBe('ok');
    expect(compareCategorical(ref, cur, { chi2p: { warn: 0.01, alert: 0.001 } }).status).toBe('alert');
  });
});

describe('compareProfiles', () => {
  test('compares every feature, flags missing ones and kind mismatches', () => {
    const ref = createProfile();
    const cur = createProfile();
    ref.inferences = 1000;
    cur.inferences = 1000;
    ref.features.x = sketch(normals(1, 1000));
    cur.features.x = sketch(normals(2, 1000, 2));
    ref.features.gone = sketch(normals(3, 1000));
    const label = new CategoricalSketch();
    label.add('a', 600);
    ref.features.label = label.clone();
    cur.features.label = label.clone();
    const d = compareProfiles(ref, cur);
    expect(Object.keys(d)).toEqual(['gone', 'label', 'x']);
    expect(d.x!.status).toBe('alert');
    expect(d.gone!.status).toBe('insufficient');
    expect(d.gone!.missing).toEqual({ reference: 0, current: 1, delta: 1 });
    expect(d.label!.missing.current).toBeCloseTo(0.4, 12);
    expect(overallStatus(d)).toBe('alert');
    const loose = { warn: 100, alert: 200 };
    const relaxed = compareProfiles(ref, cur, {
      features: { x: { psi: loose, js: loose, ks: loose, wasserstein: loose } },
    });
    expect(relaxed.x!.status).toBe('ok');
    cur.features.label = sketch([1]);
    expect(() => compareProfiles(ref, cur)).toThrow(
      expect.objectContaining({ code: 'FEATURE_KIND_MISMATCH' }),
    );
  });
});
