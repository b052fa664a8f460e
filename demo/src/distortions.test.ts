import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { digitFeatures } from './digit-features.ts';
import { DISTORTIONS, distort, seededRandom } from './distortions.ts';
import { parseHeldout } from './heldout.ts';

const digits = parseHeldout(
  readFileSync(join(import.meta.dirname, '..', 'public', 'data', 'heldout.bin')),
).slice(0, 200);
const image = fc.float32Array({ minLength: 784, maxLength: 784, min: 0, max: 1, noNaN: true });
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

describe('distort', () => {
  it('keeps every pixel in 0..1 and never touches its input', () => {
    fc.assert(
      fc.property(image, fc.constantFrom(...DISTORTIONS), fc.integer(), (px, kind, seed) => {
        const before = px.slice();
        const out = distort(px, kind, seededRandom(seed));
        expect(out).toHaveLength(784);
        expect(out.every((v) => v >= 0 && v <= 1)).toBe(true);
        expect(px).toEqual(before);
      }),
      { numRuns: 50 },
    );
  });

  it('inverting twice gives the image back (to float32 rounding); "none" is a copy', () => {
    fc.assert(
      fc.property(image, (px) => {
        const back = distort(distort(px, 'invert'), 'invert');
        expect(back.every((v, i) => Math.abs(v - px[i]!) < 1e-7)).toBe(true);
        expect(distort(px, 'none')).toEqual(px);
      }),
      { numRuns: 50 },
    );
  });

  it('thicker strokes never darken a pixel (dilation is extensive)', () => {
    fc.assert(
      fc.property(image, (px) => {
        const out = distort(px, 'thick');
        expect(out.every((v, i) => v >= px[i]!)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('is the same for the same seed (a replay is repeatable)', () => {
    const px = digits[0]!.pixels;
    expect(distort(px, 'noise', seededRandom(3))).toEqual(distort(px, 'noise', seededRandom(3)));
  });

  it('moves the drift features the way the dashboard should see it', () => {
    const f = (kind: (typeof DISTORTIONS)[number]) =>
      digits.map((d) => digitFeatures(distort(d.pixels, kind, seededRandom(1))));
    const clean = f('none');
    const thick = f('thick');
    expect(mean(thick.map((x) => x.thickness))).toBeGreaterThan(1.5 * mean(clean.map((x) => x.thickness)));
    expect(mean(thick.map((x) => x.ink))).toBeGreaterThan(1.5 * mean(clean.map((x) => x.ink)));
    expect(mean(f('invert').map((x) => x.ink))).toBeGreaterThan(0.7);
    expect(mean(f('noise').map((x) => x.ink))).toBeGreaterThan(2 * mean(clean.map((x) => x.ink)));
    // Rotation keeps the amount of ink (up to resampling) but not its shape.
    expect(mean(f('rotate').map((x) => x.ink))).toBeCloseTo(mean(clean.map((x) => x.ink)), 1);
  });
});

describe('parseHeldout', () => {
  it('reads labelled 28 × 28 digits and refuses a truncated file', () => {
    expect(digits[0]!.pixels).toHaveLength(784);
    expect(new Set(digits.map((d) => d.label))).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expect(() => parseHeldout(new Uint8Array(786))).toThrow(/not a multiple of 785/);
  });
});
