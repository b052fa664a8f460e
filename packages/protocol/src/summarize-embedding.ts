import { embeddingBasis } from './embedding-basis.ts';
import { ProtocolError } from './errors.ts';
import type { EmbeddingSpec } from './model-schema.ts';
import type { NumericSketch } from './numeric-sketch.ts';
import { numericFeature, type Profile } from './profile.ts';
import { readNumber, rowsOf, type TensorLike } from './tensor.ts';

/**
 * Sketch settings of the `<t>.rff<j>` features: only their sum and count are read (the mean of a
 * Fourier feature), so one bin per sign keeps them at a few dozen bytes each.
 */
export const RFF_SKETCH = { maxBins: 1 } as const;

/** Sketch settings of `<t>.proj<k>` and `<t>.norm`: 5 % relative accuracy, as for columns. */
export const EMBEDDING_SKETCH = { alpha: 0.05 } as const;

const namesCache = new Map<string, { proj: string[]; norm: string; rff: string[] }>();

function featureNames(name: string, k: number, f: number) {
  const key = `${name}/${k}/${f}`;
  let names = namesCache.get(key);
  if (!names) {
    names = {
      proj: Array.from({ length: k }, (_, i) => `${name}.proj${i}`),
      norm: `${name}.norm`,
      rff: Array.from({ length: 2 * f }, (_, j) => `${name}.rff${j}`),
    };
    if (namesCache.size > 64) namesCache.clear();
    namesCache.set(key, names);
  }
  return names;
}

/** Σ a[o + i]·x[i] for i < n, four accumulators. */
function dot(a: Float64Array, o: number, x: Float64Array, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += a[o + i]! * x[i]!;
    s1 += a[o + i + 1]! * x[i + 1]!;
    s2 += a[o + i + 2]! * x[i + 2]!;
    s3 += a[o + i + 3]! * x[i + 3]!;
  }
  for (; i < n; i++) s0 += a[o + i]! * x[i]!;
  return s0 + s1 + s2 + s3;
}

/**
 * Records an embedding's features into `profile`, one value per row:
 *
 * | feature | value per row |
 * | --- | --- |
 * | `<t>.proj<k>` | projection on seeded orthonormal direction k, scaled by √(d / projections) |
 * | `<t>.norm` | L2 norm of the vector |
 * | `<t>.rff<j>` | random Fourier feature j of the L2-normalised vector: cos (even j) and sin (odd j) of ω·x̂, ÷ √rff |
 *
 * Values are rounded to float32. The Fourier features have unit total square per row (to float32
 * rounding), so their sums (kept exactly by the numeric
 * sketches, and added by merge) give an unbiased MMD² with a Gaussian kernel of width `bandwidth`
 * between two windows (see `compareEmbedding`). A row holding NaN or ±Infinity records NaN in
 * every feature (counted apart from the values by each sketch). The basis depends only on the
 * seed, the counts and the embedding size, so every device records the same features.
 *
 * @example
 * summarizeEmbedding(profile, 'emb', { data: vec, dims: [1, 512] }, parseModelSchema(json).inputs.emb);
 */
export function summarizeEmbedding(
  profile: Profile,
  name: string,
  tensor: TensorLike,
  spec: Pick<EmbeddingSpec, 'projections' | 'seed' | 'rff' | 'bandwidth'>,
): void {
  const { rows, width } = rowsOf(tensor);
  if (rows === 0) return;
  if (width < spec.projections) {
    throw new ProtocolError(
      'SCHEMA_MISMATCH',
      `Embedding "${name}" has ${width} values per row but its schema asks for ${spec.projections} projections; use at most ${width}.`,
    );
  }
  const basis = embeddingBasis(width, spec.projections, spec.rff, spec.seed, spec.bandwidth);
  const k = spec.projections;
  const f = spec.rff;
  const names = featureNames(name, k, f);
  const proj: NumericSketch[] = names.proj.map((n) => numericFeature(profile, n, EMBEDDING_SKETCH));
  const norm = numericFeature(profile, names.norm, EMBEDDING_SKETCH);
  const rff: NumericSketch[] = names.rff.map((n) => numericFeature(profile, n, RFF_SKETCH));
  const x = new Float64Array(width);
  const plain = typeof tensor.data[0] !== 'bigint';
  const arr = tensor.data as ArrayLike<number>;
  const p = basis.projections;
  const w = basis.frequencies;
  const unit = 1 / Math.sqrt(f);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let i = 0; i < width; i++) {
      const v = plain ? arr[r * width + i]! : readNumber(tensor.data, r * width + i);
      x[i] = v;
      ss += v * v;
    }
    if (!Number.isFinite(ss)) {
      for (const s of proj) s.add(Number.NaN);
      norm.add(Number.NaN);
      for (const s of rff) s.add(Number.NaN);
      continue;
    }
    // Values are rounded to float32: the sketches then store min and max in 4 bytes each.
    for (let q = 0; q < k; q++) proj[q]!.add(Math.fround(dot(p, q * width, x, width)));
    const n = Math.sqrt(ss);
    norm.add(Math.fround(n));
    const inv = n > 0 ? 1 / n : 0;
    for (let q = 0; q < f; q++) {
      const t = dot(w, q * width, x, width) * inv;
      rff[2 * q]!.add(Math.fround(Math.cos(t) * unit));
      rff[2 * q + 1]!.add(Math.fround(Math.sin(t) * unit));
    }
  }
}
