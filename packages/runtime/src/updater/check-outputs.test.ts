import { describe, expect, it } from 'vitest';
import { hasNaN } from './check-outputs.ts';

describe('hasNaN', () => {
  it('finds a NaN in any float output', () => {
    expect(hasNaN({ a: { data: new Float32Array([1, 2]), dims: [2] } })).toBe(false);
    expect(
      hasNaN({
        a: { data: new Float32Array([1]), dims: [1] },
        b: { data: new Float32Array([0, Number.NaN]), dims: [2] },
      }),
    ).toBe(true);
    expect(hasNaN({ a: { data: new Int32Array([1]), dims: [1] } })).toBe(false);
  });
});
