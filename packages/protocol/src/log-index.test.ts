import fc from 'fast-check';
import { expect, test } from 'vitest';
import { LogIndex } from './log-index.ts';

test.each([0.01, 0.05, 0.001, 1e-4, 0.2])(
  'alpha %f: index is ceil(K·log2 x), values within the accuracy',
  (alpha) => {
    const m = new LogIndex(alpha);
    expect(m.relativeAccuracy).toBeLessThanOrEqual(alpha);
    fc.assert(
      fc.property(fc.double({ min: 2 ** -1022, max: Number.MAX_VALUE, noNaN: true }), (x) => {
        const i = m.index(x);
        // x lies in (upper(i-1), upper(i)] and the representative is within the accuracy.
        expect(x).toBeLessThanOrEqual(m.upper(i));
        expect(x).toBeGreaterThan(m.upper(i - 1));
        expect(Math.abs(m.value(i) - x)).toBeLessThanOrEqual(m.relativeAccuracy * x * (1 + 1e-9));
      }),
      { numRuns: 500 },
    );
  },
);

test('exact powers of two and bounds land in the bin they close', () => {
  const m = new LogIndex(0.01);
  expect(m.index(1)).toBe(0);
  expect(m.index(2)).toBe(m.perOctave);
  expect(m.index(0.5)).toBe(-m.perOctave);
  expect(m.index(m.upper(7))).toBe(7);
  expect(m.index(Number.MIN_VALUE)).toBe(-1074 * m.perOctave);
  expect(m.index(Number.MAX_VALUE)).toBe(1024 * m.perOctave);
});
