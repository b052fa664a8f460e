import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type GrayImage, inkBounds, MNIST_SIDE, resampleArea, toMnistInput } from './mnist-preprocess.ts';

const heldout = readFileSync(join(import.meta.dirname, '..', 'public', 'data', 'heldout.bin'));
const RECORD = 785;

/** Held-out digit `i` drawn ten times larger, as on the 280 × 280 pad. */
function upscaled(i: number): { label: number; original: Float32Array; drawn: GrayImage } {
  const pixels = heldout.subarray(i * RECORD + 1, (i + 1) * RECORD);
  const original = Float32Array.from(pixels, (v) => v / 255);
  const data = new Float32Array(280 * 280);
  for (let y = 0; y < 280; y++) {
    for (let x = 0; x < 280; x++) data[y * 280 + x] = original[Math.floor(y / 10) * 28 + Math.floor(x / 10)]!;
  }
  return { label: heldout[i * RECORD]!, original, drawn: { width: 280, height: 280, data } };
}

describe('toMnistInput', () => {
  it('is undefined for a blank pad', () => {
    expect(toMnistInput({ width: 280, height: 280, data: new Float32Array(280 * 280) })).toBeUndefined();
  });

  it('turns an MNIST digit drawn ten times larger back into (nearly) itself', () => {
    // MNIST digits are already fitted to 20 px and centred by mass, so this is the identity up to
    // the one-pixel rounding of box size and offset.
    let ratioSum = 0;
    for (let i = 0; i < 50; i++) {
      const { original, drawn } = upscaled(i);
      const input = toMnistInput(drawn)!;
      expect(input).toHaveLength(MNIST_SIDE * MNIST_SIDE);
      const before = inkBounds({ width: 28, height: 28, data: original })!;
      const after = inkBounds({ width: 28, height: 28, data: input })!;
      for (const key of ['x', 'y', 'width', 'height'] as const) {
        expect(Math.abs(after[key] - before[key])).toBeLessThanOrEqual(1);
      }
      let diff = 0;
      let ink = 0;
      for (let p = 0; p < input.length; p++) {
        diff += Math.abs(input[p]! - original[p]!);
        ink += original[p]!;
      }
      ratioSum += diff / ink;
    }
    // A one-pixel shift of the same digits costs ~0.54 of their ink; ours averages ~0.43.
    expect(ratioSum / 50).toBeLessThan(0.5);
  });

  it('places the ink in a 20-pixel box centred by mass, wherever and however large it was drawn', () => {
    const data = new Float32Array(280 * 280);
    for (let y = 10; y < 70; y++) for (let x = 200; x < 230; x++) data[y * 280 + x] = 1;
    const input = toMnistInput({ width: 280, height: 280, data })!;
    const bounds = inkBounds({ width: 28, height: 28, data: input })!;
    expect(bounds.height).toBe(20);
    expect(bounds.width).toBe(10);
    expect(bounds.x + bounds.width / 2).toBeCloseTo(14, 0);
    expect(bounds.y + bounds.height / 2).toBeCloseTo(14, 0);
  });
});

describe('resampleArea', () => {
  it('keeps the mean intensity', () => {
    const data = Float32Array.from({ length: 30 * 30 }, (_, i) => ((i * 7919) % 13) / 12);
    const img = { width: 30, height: 30, data };
    const out = resampleArea(img, { x: 0, y: 0, width: 30, height: 30 }, 7, 7);
    const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(out.data)).toBeCloseTo(mean(data), 5);
  });
});
