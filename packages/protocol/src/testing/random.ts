import { seededUniform } from '../seeded-random.ts';

/** Seeded PRNG (mulberry32, the same generator the summaries draw from) for reproducible tests and benchmarks. */
export const rng = (seed: number): (() => number) => seededUniform(seed);

/** Standard normal sampler (Box–Muller) over a uniform source. */
export function normal(u: () => number): () => number {
  return () => {
    const a = 1 - u();
    const b = u();
    return Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * b);
  };
}
