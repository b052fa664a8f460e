import { SIDE } from './digits-data.ts';
import type { Rng } from './rng.ts';

/**
 * Writes `src` (784 bytes) shifted by (dx, dy) pixels into `dst` as floats 0..1, filling with 0.
 * Small seeded shifts stand in for dropout and make the models tolerate off-centre drawings.
 */
export function shiftInto(src: Uint8Array, dst: Float32Array, offset: number, dx: number, dy: number): void {
  for (let y = 0; y < SIDE; y++) {
    const sy = y - dy;
    for (let x = 0; x < SIDE; x++) {
      const sx = x - dx;
      const inside = sx >= 0 && sx < SIDE && sy >= 0 && sy < SIDE;
      dst[offset + y * SIDE + x] = inside ? src[sy * SIDE + sx]! / 255 : 0;
    }
  }
}

/** A random shift in [-maxShift, maxShift]² drawn from `rng`. */
export function randomShift(rng: Rng, maxShift: number): { dx: number; dy: number } {
  const span = 2 * maxShift + 1;
  return { dx: rng.int(span) - maxShift, dy: rng.int(span) - maxShift };
}
