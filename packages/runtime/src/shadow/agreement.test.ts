import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { agreement } from './agreement.ts';

const t = (values: number[], dims = [1, values.length]) => ({
  probs: { data: new Float32Array(values), dims },
});

describe('agreement', () => {
  it('gives top-1 agreement and mean absolute difference', () => {
    expect(agreement(t([0.1, 0.7, 0.2]), t([0.2, 0.6, 0.2]))).toEqual({
      top1Agree: 1,
      meanAbsDiff: expect.closeTo(0.2 / 3, 6),
    });
    expect(agreement(t([0.9, 0.1]), t([0.1, 0.9]))?.top1Agree).toBe(0);
  });

  it('counts rows of a batch', () => {
    const a = t([1, 0, 0, 1], [2, 2]);
    const b = t([1, 0, 1, 0], [2, 2]);
    expect(agreement(a, b)?.top1Agree).toBe(0.5);
  });

  it('is undefined when the outputs cannot be compared', () => {
    expect(agreement(t([1, 2]), t([1, 2, 3]))).toBeUndefined();
    expect(
      agreement(
        { x: { data: new Int32Array([1]), dims: [1] } },
        { x: { data: new Int32Array([1]), dims: [1] } },
      ),
    ).toBeUndefined();
  });

  it('agrees fully with itself and is symmetric', () => {
    const vec = fc.array(fc.float({ noNaN: true, min: -1e3, max: 1e3 }), { minLength: 1, maxLength: 20 });
    fc.assert(
      fc.property(vec, vec, (x, y) => {
        expect(agreement(t(x), t(x))).toEqual({ top1Agree: 1, meanAbsDiff: 0 });
        const n = Math.min(x.length, y.length);
        const ab = agreement(t(x.slice(0, n)), t(y.slice(0, n)));
        const ba = agreement(t(y.slice(0, n)), t(x.slice(0, n)));
        expect(ab?.meanAbsDiff).toBeCloseTo(ba?.meanAbsDiff ?? Number.NaN, 3);
      }),
    );
  });
});
