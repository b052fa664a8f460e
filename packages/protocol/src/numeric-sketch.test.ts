import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ProtocolError } from './errors.ts';
import { NumericSketch } from './numeric-sketch.ts';
import { normal, rng } from './testing/random.ts';

const value = fc.oneof(
  fc.double({ noNaN: false }),
  fc.double({ min: -1000, max: 1000, noNaN: true }),
  fc.constantFrom(
    0,
    -0,
    1,
    -1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    1e-300,
    -1e300,
  ),
);
const values = fc.array(value, { maxLength: 60 });
const settings = fc.record({ alpha: fc.constantFrom(0.01, 0.05), maxBins: fc.constantFrom(4, 16, 2048) });

function sketchOf(xs: number[], opts: { alpha: number; maxBins: number }): NumericSketch {
  const s = new NumericSketch(opts);
  s.addMany(xs);
  return s;
}

/** Everything that must match exactly, and the moments to a relative tolerance. */
export function expectSameSketch(a: NumericSketch, b: NumericSketch): void {
  const sa = a.toState();
  const sb = b.toState();
  expect(sa.positive).toEqual(sb.positive);
  expect(sa.negative).toEqual(sb.negative);
  for (const k of ['zeroCount', 'nanCount', 'posInfCount', 'negInfCount', 'min', 'max'] as const) {
    expect(sa[k]).toBe(sb[k]);
  }
  expect(a.count).toBe(b.count);
  // Moments of values near the double range overflow differently by order; only bins are exact there.
  const tame = (x: number) => !Number.isFinite(x) || Math.abs(x) < 1e100;
  if (tame(sa.min) && tame(sa.max)) for (const k of ['sum', 'mean', 'm2'] as const) expectClose(sa[k], sb[k]);
}

function expectClose(x: number, y: number): void {
  if (!Number.isFinite(x) || !Number.isFinite(y)) {
    expect(Number.isFinite(x)).toBe(Number.isFinite(y));
    return;
  }
  expect(Math.abs(x - y)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(x), Math.abs(y)));
}

describe('NumericSketch', () => {
  test('counts NaN and infinities apart and keeps moments of finite values', () => {
    const s = new NumericSketch();
    s.addMany([1, 2, 3, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -4]);
    expect(s.count).toBe(5);
    expect(s.nanCount).toBe(1);
    expect(s.posInfCount).toBe(1);
    expect(s.negInfCount).toBe(1);
    expect(s.zeroCount).toBe(1);
    expect(s.sum).toBe(2);
    expect(s.min).toBe(-4);
    expect(s.max).toBe(3);
    expect(s.mean).toBeCloseTo(0.4, 12);
    expect(s.variance).toBeCloseTo((1 + 4 + 9 + 0 + 16) / 5 - 0.16, 12);
  });

  test('empty sketch answers NaN', () => {
    const s = new NumericSketch();
    expect(s.quantile(0.5)).toBeNaN();
    expect(s.cdf(1)).toBeNaN();
    expect(s.mean).toBeNaN();
  });

  test('rejects bad options and q with INVALID_ARGUMENT', () => {
    expect(() => new NumericSketch({ alpha: 0 })).toThrow(ProtocolError);
    expect(() => new NumericSketch({ maxBins: 0 })).toThrow(/maxBins/);
    expect(() => new NumericSketch().quantile(1.5)).toThrow(/between 0 and 1/);
  });

  test('refuses to merge sketches with different settings', () => {
    const err = (() => {
      try {
        new NumericSketch({ alpha: 0.01 }).merge(new NumericSketch({ alpha: 0.02 }));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe('SKETCH_MISMATCH');
  });

  test('quantiles are within alpha of the exact lower quantile on mixed-sign data', () => {
    const u = rng(7);
    const z = normal(u);
    const data = Array.from({ length: 20_000 }, (_, i) =>
      i % 3 === 0 ? -Math.exp(z()) : i % 7 === 0 ? 0 : z() * 5,
    );
    const s = new NumericSketch();
    s.addMany(data);
    const sorted = data.slice().sort((a, b) => a - b);
    for (const q of [0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1]) {
      const exact = sorted[Math.floor(q * (sorted.length - 1))]!;
      expect(Math.abs(s.quantile(q) - exact)).toBeLessThanOrEqual(0.01 * Math.abs(exact) + 1e-12);
    }
  });

  test('cdf is monotone, 0 below min, 1 at max', () => {
    const s = new NumericSketch();
    s.addMany([-5, -1, 0, 0.5, 2, 10]);
    expect(s.cdf(-6)).toBe(0);
    expect(s.cdf(10)).toBe(1);
    let prev = 0;
    for (let x = -6; x <= 11; x += 0.25) {
      const c = s.cdf(x);
      expect(c).toBeGreaterThanOrEqual(prev);
      prev = c;
    }
    expect(s.cdf(0)).toBeCloseTo(3 / 6, 12);
  });

  test('bins span at most maxBins indexes per sign; the smallest magnitudes fold together', () => {
    const s = new NumericSketch({ maxBins: 8 });
    for (let e = -20; e <= 20; e++) s.add(10 ** e);
    s.add(1.015e20);
    const bins = s.positiveBins();
    expect(bins[bins.length - 1]![0] - bins[0]![0]).toBeLessThan(8);
    expect(s.count).toBe(42);
    expect(bins.map(([, c]) => c)).toEqual([40, 1, 1]);
    expect(Math.abs(s.quantile(1) / 1.015e20 - 1)).toBeLessThanOrEqual(0.01);
  });

  test('property: merge equals the sketch of the concatenation, bin for bin', () => {
    fc.assert(
      fc.property(settings, values, values, (opts, xs, ys) => {
        expectSameSketch(sketchOf(xs, opts).merge(sketchOf(ys, opts)), sketchOf([...xs, ...ys], opts));
      }),
      { numRuns: 300 },
    );
  });

  test('property: insertion order does not change the bins', () => {
    fc.assert(
      fc.property(settings, values, (opts, xs) => {
        expectSameSketch(sketchOf(xs, opts), sketchOf(xs.slice().reverse(), opts));
      }),
      { numRuns: 200 },
    );
  });

  test('property: merge is associative and commutative', () => {
    fc.assert(
      fc.property(settings, values, values, values, (opts, xs, ys, zs) => {
        const [a, b, c] = [sketchOf(xs, opts), sketchOf(ys, opts), sketchOf(zs, opts)];
        const left = a.clone().merge(b).merge(c);
        const right = a.clone().merge(b.clone().merge(c));
        expectSameSketch(left, right);
        expectSameSketch(a.clone().merge(b), b.clone().merge(a));
      }),
      { numRuns: 200 },
    );
  });

  test('property: addMany is add on each value', () => {
    fc.assert(
      fc.property(settings, values, (opts, xs) => {
        const one = new NumericSketch(opts);
        for (const x of xs) one.add(x);
        const a = one.toState();
        const b = sketchOf(xs, opts).toState();
        expect(b).toEqual(a);
      }),
      { numRuns: 200 },
    );
  });

  test('property: state round-trips through fromState', () => {
    fc.assert(
      fc.property(settings, values, (opts, xs) => {
        const s = sketchOf(xs, opts);
        expectSameSketch(NumericSketch.fromState(s.toState()), s);
      }),
      { numRuns: 100 },
    );
  });
});

test('property: cdf is a finite, non-decreasing share in [0, 1] for any double, subnormals included', () => {
  const tiny = fc.double({ min: -1e-300, max: 1e-300, noNaN: true });
  const anyFinite = fc.oneof(tiny, fc.double({ noNaN: true, noDefaultInfinity: true }));
  fc.assert(
    fc.property(fc.array(anyFinite, { minLength: 1, maxLength: 50 }), anyFinite, anyFinite, (xs, a, b) => {
      const s = new NumericSketch();
      s.addMany(xs);
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      const cLo = s.cdf(lo);
      const cHi = s.cdf(hi);
      expect(Number.isFinite(cLo) && cLo >= 0 && cLo <= 1).toBe(true);
      expect(cHi).toBeGreaterThanOrEqual(cLo);
    }),
  );
  const s = new NumericSketch();
  s.addMany([-5e-324, -1e-323, 0, 1e-323]);
  expect(s.cdf(-1e-323)).toBeGreaterThanOrEqual(0);
  expect(Number.isNaN(s.cdf(-1e-323))).toBe(false);
});
