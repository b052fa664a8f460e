import { ProtocolError } from './errors.ts';
import type { ImageSpec } from './model-schema.ts';
import { numericFeature, type Profile } from './profile.ts';
import { readNumber, type TensorLike } from './tensor.ts';

// Luma weights sum to 1 only up to rounding; far below one 8-bit step (1/255).
const CLIP_EPS = 1e-6;

/** The white level of a tensor when the schema gives none: 255 for 8-bit data, 1 otherwise. */
export function defaultMaxValue(t: TensorLike): number {
  return t.data instanceof Uint8Array || t.data instanceof Uint8ClampedArray || t.data instanceof Int8Array
    ? 255
    : 1;
}

/**
 * Records per image (per `dims[0]`) of a 4-D `NHWC` or `NCHW` tensor, all on a [0, 1] scale
 * (pixel ÷ `maxValue`, so 8-bit and float inputs give comparable profiles):
 *
 * | feature | value per image |
 * | --- | --- |
 * | `<t>.brightness` | mean luma (Rec. 601: 0.299 R + 0.587 G + 0.114 B; the one channel when grey) |
 * | `<t>.contrast` | population standard deviation of luma |
 * | `<t>.saturation` | mean HSV saturation (max − min) / max of R, G, B (0 for black); 3 or 4 channels only |
 * | `<t>.sharpness` | variance of the 4-neighbour Laplacian of luma over interior pixels (0 below 3 × 3) |
 * | `<t>.clipped` | share of pixels whose luma is ≤ 0 or ≥ 1 (within 1e-6) |
 *
 * A fourth channel is alpha and ignored. NaN pixels make every feature of that image NaN.
 *
 * @example
 * summarizeImage(profile, 'img', { data: rgba, dims: [1, 224, 224, 4] }, { layout: 'NHWC' });
 */
export function summarizeImage(
  profile: Profile,
  name: string,
  tensor: TensorLike,
  spec: Pick<ImageSpec, 'layout' | 'maxValue'>,
): void {
  const d = tensor.dims;
  const nhwc = spec.layout === 'NHWC';
  const [n, h, w, c] = nhwc ? [d[0], d[1], d[2], d[3]] : [d[0], d[2], d[3], d[1]];
  if (
    d.length !== 4 ||
    !(c === 1 || c === 3 || c === 4) ||
    !(n! >= 0 && h! >= 1 && w! >= 1) ||
    n! * h! * w! * c !== tensor.data.length
  ) {
    throw new ProtocolError(
      'SCHEMA_MISMATCH',
      `Image "${name}" has dims [${d.join(', ')}] for ${tensor.data.length} values; an ${spec.layout} image is 4-D with 1, 3 or 4 channels.`,
    );
  }
  const H = h!;
  const W = w!;
  const scale = 1 / (spec.maxValue ?? defaultMaxValue(tensor));
  const brightness = numericFeature(profile, `${name}.brightness`);
  const contrast = numericFeature(profile, `${name}.contrast`);
  const saturation = c >= 3 ? numericFeature(profile, `${name}.saturation`) : undefined;
  const sharpness = numericFeature(profile, `${name}.sharpness`);
  const clipped = numericFeature(profile, `${name}.clipped`);
  const pixels = H * W;
  const luma = new Float64Array(pixels);
  const data = tensor.data;
  const plain = typeof data[0] !== 'bigint';
  const arr = data as ArrayLike<number>;
  const at = (i: number) => (plain ? arr[i]! : readNumber(data, i)) * scale;
  // Offsets of a pixel's channels: NHWC interleaves them, NCHW keeps one plane per channel.
  const step = nhwc ? c : 1;
  const plane = nhwc ? 1 : pixels;
  for (let img = 0; img < n!; img++) {
    const base = img * pixels * c;
    let sum = 0;
    let sumSq = 0;
    let sat = 0;
    let clip = 0;
    for (let p = 0; p < pixels; p++) {
      const o = base + p * step;
      let y: number;
      if (c === 1) y = at(o);
      else {
        const r = at(o);
        const g = at(o + plane);
        const b = at(o + 2 * plane);
        y = 0.299 * r + 0.587 * g + 0.114 * b;
        const hi = Math.max(r, g, b);
        if (hi > 0) sat += (hi - Math.min(r, g, b)) / hi;
      }
      luma[p] = y;
      sum += y;
      sumSq += y * y;
      if (y <= CLIP_EPS || y >= 1 - CLIP_EPS) clip++;
    }
    if (Number.isNaN(sum)) {
      for (const s of [brightness, contrast, saturation, sharpness, clipped]) s?.add(Number.NaN);
      continue;
    }
    const mean = sum / pixels;
    brightness.add(mean);
    contrast.add(Math.sqrt(Math.max(0, sumSq / pixels - mean * mean)));
    saturation?.add(sat / pixels);
    sharpness.add(laplacianVariance(luma, H, W));
    clipped.add(clip / pixels);
  }
}

/** Variance of the 4-neighbour Laplacian [0 1 0; 1 −4 1; 0 1 0] over the interior; 0 below 3 × 3. */
function laplacianVariance(y: Float64Array, h: number, w: number): number {
  if (h < 3 || w < 3) return 0;
  let s = 0;
  let s2 = 0;
  for (let i = 1; i < h - 1; i++) {
    for (let j = 1; j < w - 1; j++) {
      const p = i * w + j;
      const l = y[p - w]! + y[p + w]! + y[p - 1]! + y[p + 1]! - 4 * y[p]!;
      s += l;
      s2 += l * l;
    }
  }
  const m = (h - 2) * (w - 2);
  const mean = s / m;
  return Math.max(0, s2 / m - mean * mean);
}
