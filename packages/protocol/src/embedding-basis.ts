import { seededNormal } from './seeded-random.ts';

/** The seeded directions and frequencies an embedding summary uses (see {@link embeddingBasis}). */
export interface EmbeddingBasis {
  dims: number;
  /** `projections × dims`, row-major: orthonormal rows scaled by √(dims / projections). */
  projections: Float64Array;
  /** `rff × dims`, row-major: Fourier frequencies, N(0, 1 / bandwidth²) per entry. */
  frequencies: Float64Array;
}

const cache = new Map<string, EmbeddingBasis>();
const CACHE_SIZE = 16;

/**
 * The projection directions and Fourier frequencies for an embedding of `dims` values, drawn from
 * `seed` with {@link seededNormal} and orthonormalised by Gram–Schmidt (only +, −, ×, ÷ and √, so
 * every engine builds the same basis bit for bit). Projections are scaled by √(dims / k), so that
 * the sum of squares of the k projections estimates the squared norm (Johnson–Lindenstrauss) and
 * projected mean differences are in the embedding's own units. Cached per settings.
 */
export function embeddingBasis(
  dims: number,
  projections: number,
  rff: number,
  seed: number,
  bandwidth: number,
): EmbeddingBasis {
  const key = `${dims}/${projections}/${rff}/${seed}/${bandwidth}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const k = Math.min(projections, dims);
  const z = seededNormal(seed);
  const p = new Float64Array(k * dims);
  for (let i = 0; i < k; i++) {
    const row = p.subarray(i * dims, (i + 1) * dims);
    for (let j = 0; j < dims; j++) row[j] = z();
    // Modified Gram–Schmidt against the rows before, twice for stability.
    for (let pass = 0; pass < 2; pass++) {
      for (let q = 0; q < i; q++) {
        const prev = p.subarray(q * dims, (q + 1) * dims);
        let dot = 0;
        for (let j = 0; j < dims; j++) dot += row[j]! * prev[j]!;
        for (let j = 0; j < dims; j++) row[j]! -= dot * prev[j]!;
      }
    }
    let norm = 0;
    for (let j = 0; j < dims; j++) norm += row[j]! * row[j]!;
    norm = Math.sqrt(norm);
    for (let j = 0; j < dims; j++) row[j] = row[j]! / norm;
  }
  const scale = Math.sqrt(dims / Math.max(k, 1));
  for (let i = 0; i < p.length; i++) p[i] = p[i]! * scale;
  const w = seededNormal((seed ^ 0x9e3779b9) >>> 0);
  const f = new Float64Array(rff * dims);
  for (let i = 0; i < f.length; i++) f[i] = w() / bandwidth;
  const basis = { dims, projections: p, frequencies: f };
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(key, basis);
  return basis;
}
