import { createHash } from 'node:crypto';

/** Devices are spread over this many buckets; percentages resolve to 0.01 %. */
export const BUCKETS = 10_000;

/**
 * The rollout bucket (0..9999) of a device for a model: the first 4 bytes of
 * SHA-256(`${model}\n${salt}\n${deviceId}`) as a big-endian uint32, modulo 10,000. The same
 * inputs always give the same bucket (on every replica and release); a new salt reshuffles the fleet.
 */
export function bucketOf(model: string, salt: string, deviceId: string): number {
  const h = createHash('sha256').update(`${model}\n${salt}\n${deviceId}`).digest();
  return h.readUInt32BE(0) % BUCKETS;
}

/**
 * Whether a bucket is inside a percentage (0..100, in steps of 0.01): buckets `0 .. percent·100 − 1`.
 * Raising the percentage only adds buckets, so a ramp-up never moves a device out of the candidate.
 */
export function inPercent(bucket: number, percent: number): boolean {
  return bucket < Math.round(percent * 100);
}
