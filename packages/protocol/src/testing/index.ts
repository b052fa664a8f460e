/**
 * Helpers for tests, benchmarks and demos built on the protocol: a seeded PRNG and samplers, so
 * runs are reproducible. Not part of the wire contract; import from `@driftline/protocol/testing`.
 */
export { normal, rng } from './random.ts';
