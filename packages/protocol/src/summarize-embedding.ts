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

/**
 * Records an embedding's features into `profile`, one value per row:
 *
 * | feature | value per row |
 * | --- | --- |
 * | `<t>.proj<k>` | projection on seeded orthonormal direction k, scaled by √(d / projections) |
 * | `<t>.norm` | L2 norm of the vector |
 * | `<t>.rff<j>` | random Fourier feature j of the L2-normalised vector: cos (even j) and sin (odd j) of ω·x̂, ÷ √rff |
 *
 * The Fourier features have unit total square per row, so their sums (kept exactly by the numeric
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
  if (width < spec.projections) {
    throw new ProtocolError(
      'SCHEMA_MISMATCH',
      `Embedding "${name}" has ${width} values per row but its schema asks for ${spec.projections} projections; use at most ${width}.`,
    );
  }
  const basis = embeddingBasis(width, spec.projections, spec.rff, spec.seed, spec.bandwidth);
  const k = spec.projections;
  const f = spec.rff;
  const proj: NumericSketch[] = [];
  for (let i = 0; i < k; i++) proj.push(numericFeature(profile, `${name}.proj${i}`));
  const norm = numericFeature(profile, `${name}.norm`);
  const rff: NumericSketch[] = [];
  for (let j = 0; j < 2 * f; j++) rff.push(numericFeature(profile, `${name}.rff${j}`, RFF_SKETCH));
  const x = new Float64Array(width);
  const p = basis.projections;
  const w = basis.frequencies;
  const unit = 1 / Math.sqrt(f);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let i = 0; i < width; i++) {
      const v = readNumber(tensor.data, r * width + i);
      x[i] = v;
      ss += v * v;
    }
    if (!Number.isFinite(ss)) {
      for (const s of proj) s.add(Number.NaN);
      norm.add(Number.NaN);
      for (const s of rff) s.add(Number.NaN);
      continue;
    }
    for (let q = 0; q < k; q++) {
      let dot = 0;
      const o = q * width;
      for (let i = 0; i < width; i++) dot += p[o + i]! * x[i]!;
      proj[q]!.add(dot);
    }
    const n = Math.sqrt(ss);
    norm.add(n);
    const inv = n > 0 ? 1 / n : 0;
    for (let q = 0; q < f; q++) {
      let dot = 0;
      const o = q * width;
      for (let i = 0; i < width; i++) dot += w[o + i]! * x[i]!;
      dot *= inv;
      rff[2 * q]!.add(Math.cos(dot) * unit);
      rff[2 * q + 1]!.add(Math.sin(dot) * unit);
    }
  }
}
