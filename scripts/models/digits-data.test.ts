import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DigitSet, decodeDigitRecords, encodeDigitRecords, PIXELS, splitDigits } from './digits-data.ts';
import { createRng, shuffleInPlace } from './rng.ts';

const setArb = fc.integer({ min: 0, max: 6 }).chain((count) =>
  fc.record({
    count: fc.constant(count),
    labels: fc.uint8Array({ minLength: count, maxLength: count, max: 9 }),
    pixels: fc.uint8Array({ minLength: count * PIXELS, maxLength: count * PIXELS }),
  }),
);

describe('heldout.bin records', () => {
  it('decode(encode(set)) is the set', () => {
    fc.assert(
      fc.property(setArb, (set: DigitSet) => {
        expect(decodeDigitRecords(encodeDigitRecords(set))).toEqual(set);
      }),
      { numRuns: 30 },
    );
  });

  it('rejects a file that is not a whole number of records, saying how to fix it', () => {
    expect(() => decodeDigitRecords(new Uint8Array(786))).toThrow(
      expect.objectContaining({ code: 'HELDOUT_FORMAT', message: expect.stringMatching(/pnpm models/) }),
    );
  });
});

describe('seeded split and shuffle', () => {
  it('the same seed gives the same permutation, another seed another one', () => {
    const perm = (seed: number) => {
      const items = Array.from({ length: 50 }, (_, i) => i);
      shuffleInPlace(items, createRng(seed));
      return items;
    };
    expect(perm(1)).toEqual(perm(1));
    expect(perm(1)).not.toEqual(perm(2));
    expect([...perm(3)].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('splits into disjoint parts that together hold every digit', () => {
    const count = 20;
    const set: DigitSet = {
      count,
      labels: Uint8Array.from({ length: count }, (_, i) => i % 10),
      pixels: Uint8Array.from({ length: count * PIXELS }, (_, i) => Math.floor(i / PIXELS)),
    };
    const { train, heldout } = splitDigits(set, 5, 9);
    expect(heldout.count).toBe(5);
    expect(train.count).toBe(15);
    const ids = (s: DigitSet) => Array.from({ length: s.count }, (_, i) => s.pixels[i * PIXELS]!);
    expect([...ids(heldout), ...ids(train)].sort((a, b) => a - b)).toEqual(
      Array.from({ length: count }, (_, i) => i),
    );
    expect(splitDigits(set, 5, 9)).toEqual({ train, heldout });
  });
});
