import { MNIST_SIDE } from './mnist-preprocess.ts';

/** App-defined drift features of one `[784]` model input (pixels 0..1), sent as numeric sketches. */
export interface DigitFeatures {
  /** Fraction of the 28 × 28 pixels that carry ink (> 0.2): grows with thick strokes and noise. */
  ink: number;
  /** Mean length of the horizontal runs of solid ink (> 0.5), in pixels: a stroke-width estimate. */
  thickness: number;
}

/** Computes {@link DigitFeatures}; the same function builds the reference profile in Node. */
export function digitFeatures(pixels: Float32Array): DigitFeatures {
  let inked = 0;
  let runs = 0;
  let runPixels = 0;
  for (let y = 0; y < MNIST_SIDE; y++) {
    let inRun = false;
    for (let x = 0; x < MNIST_SIDE; x++) {
      const v = pixels[y * MNIST_SIDE + x]!;
      if (v > 0.2) inked++;
      const solid = v > 0.5;
      if (solid) {
        runPixels++;
        if (!inRun) runs++;
      }
      inRun = solid;
    }
  }
  return { ink: inked / pixels.length, thickness: runs === 0 ? 0 : runPixels / runs };
}
