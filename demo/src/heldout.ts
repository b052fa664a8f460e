import { MNIST_SIDE } from './mnist-preprocess.ts';

/** Bytes per record of `data/heldout.bin`: the label, then 784 pixels 0..255 row-major. */
export const HELDOUT_RECORD = 1 + MNIST_SIDE * MNIST_SIDE;

/** One held-out digit: its label and its pixels as the model takes them (0..1). */
export interface HeldoutDigit {
  label: number;
  pixels: Float32Array;
}

/** Parses `heldout.bin` (docs/models.md); a trailing partial record is an error. */
export function parseHeldout(bytes: Uint8Array): HeldoutDigit[] {
  if (bytes.length % HELDOUT_RECORD !== 0) {
    throw new Error(
      `heldout.bin has ${bytes.length} bytes, not a multiple of ${HELDOUT_RECORD}: re-run \`pnpm models\``,
    );
  }
  const digits: HeldoutDigit[] = [];
  for (let at = 0; at < bytes.length; at += HELDOUT_RECORD) {
    const pixels = new Float32Array(HELDOUT_RECORD - 1);
    for (let i = 0; i < pixels.length; i++) pixels[i] = bytes[at + 1 + i]! / 255;
    digits.push({ label: bytes[at]!, pixels });
  }
  return digits;
}
