import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coverRange, LEVELS } from './levels.ts';

describe('coverRange', () => {
  it('covers every minute of the range exactly once, with aligned blocks', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 0, max: 3_000 }), (from, len) => {
        const { segments } = coverRange(from, from + len);
        const covered = new Map<number, number>();
        for (const s of segments) {
          for (let b = s.from; b <= s.to; b += s.resolution) {
            expect(b % s.resolution).toBe(0);
            for (let m = b; m < b + s.resolution; m++) covered.set(m, (covered.get(m) ?? 0) + 1);
          }
        }
        expect(covered.size).toBe(len + 1);
        for (let m = from; m <= from + len; m++) expect(covered.get(m)).toBe(1);
      }),
      { numRuns: 100 },
    );
  });

  it('reads about 50 rows for any day', () => {
    const rows = (from: number, to: number) =>
      coverRange(from, to).segments.reduce((n, s) => n + (s.to - s.from) / s.resolution + 1, 0);
    for (const from of [0, 7, 1_000, 12_345]) expect(rows(from, from + 1_439)).toBeLessThanOrEqual(60);
    expect(LEVELS[0]).toBe(1);
  });

  it('widens to whole hours before the retention cutoff', () => {
    const { from, to, segments } = coverRange(10_005, 10_100, 20_000);
    expect([from, to]).toEqual([9_960, 10_139]);
    expect(segments.every((s) => s.resolution >= 60)).toBe(true);
  });
});
