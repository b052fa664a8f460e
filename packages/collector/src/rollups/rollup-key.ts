/** The key of a rollup row: one model version's windows of one kind of device in one time bucket. */
export interface RollupKey {
  model: string;
  version: string;
  role: string;
  segment: string;
  backend: string;
  /** Minutes since the epoch of the bucket's start. */
  bucket: number;
}

/** A window ready to store: its key, counts and encoded profile. */
export interface RollupPart extends RollupKey {
  inferences: number;
  errors: number;
  profile: Uint8Array;
}

export const MINUTE_MS = 60_000;

/** The 1-minute bucket (minutes since the epoch) that holds time `ms`. */
export const minuteBucket = (ms: number): number => Math.floor(ms / MINUTE_MS);

/** A string that orders and identifies rollup keys; locks are taken in this order. */
export const rollupKeyString = (k: RollupKey): string =>
  JSON.stringify([k.model, k.version, k.role, k.segment, k.backend, k.bucket]);
