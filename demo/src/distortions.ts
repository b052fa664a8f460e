import { rng } from '@driftline/protocol/testing';
import { MNIST_SIDE } from './mnist-preprocess.ts';

/** The drift lab's ways of changing the input stream, as the real world does. */
export const DISTORTIONS = ['none', 'thick', 'noise', 'rotate', 'invert'] as const;
export type Distortion = (typeof DISTORTIONS)[number];

/** Labels for the drift lab's buttons. */
export const DISTORTION_LABELS: Record<Distortion, string> = {
  none: 'as drawn',
  thick: 'thicker strokes',
  noise: 'noise',
  rotate: 'rotated 35°',
  invert: 'inverted colours',
};

/** A small seeded generator (mulberry32), so a replay is the same every time. */
export const seededRandom: (seed: number) => () => number = rng;

const N = MNIST_SIDE;

/** Grey-level dilation with a 3 × 3 square: every stroke grows by a pixel on each side. */
function thicken(src: Float32Array): Float32Array {
  const out = new Float32Array(src.length);
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      let m = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy >= 0 && yy < N && xx >= 0 && xx < N) m = Math.max(m, src[yy * N + xx]!);
        }
      }
      out[y * N + x] = m;
    }
  }
  return out;
}

/** Rotation about the image centre with bilinear sampling; outside the image is background. */
function rotate(src: Float32Array, degrees: number): Float32Array {
  const out = new Float32Array(src.length);
  const r = (degrees * Math.PI) / 180;
  const cos = Math.cos(r);
  const sin = Math.sin(r);
  const c = (N - 1) / 2;
  const at = (x: number, y: number) => (x >= 0 && x < N && y >= 0 && y < N ? src[y * N + x]! : 0);
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      // Inverse mapping: where in the source this output pixel comes from.
      const sx = cos * (x - c) + sin * (y - c) + c;
      const sy = -sin * (x - c) + cos * (y - c) + c;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      out[y * N + x] =
        at(x0, y0) * (1 - fx) * (1 - fy) +
        at(x0 + 1, y0) * fx * (1 - fy) +
        at(x0, y0 + 1) * (1 - fx) * fy +
        at(x0 + 1, y0 + 1) * fx * fy;
    }
  }
  return out;
}

/**
 * Returns a distorted copy of a `[784]` input (pixels 0..1); `none` returns a copy. `random`
 * drives the noise (uniform ±0.4 on every pixel, clamped to 0..1).
 */
export function distort(
  pixels: Float32Array,
  kind: Distortion,
  random: () => number = Math.random,
): Float32Array {
  switch (kind) {
    case 'none':
      return pixels.slice();
    case 'thick':
      return thicken(pixels);
    case 'noise':
      return pixels.map((v) => Math.min(1, Math.max(0, v + (random() - 0.5) * 0.8)));
    case 'rotate':
      return rotate(pixels, 35);
    case 'invert':
      return pixels.map((v) => 1 - v);
  }
}
