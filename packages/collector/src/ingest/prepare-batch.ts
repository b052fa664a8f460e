import {
  decodeProfile,
  encodeProfile,
  mergeProfiles,
  type Profile,
  parseTelemetryBatch,
  type TelemetryBatch,
} from '@driftline/protocol';
import { invalidBatch } from '../errors.ts';
import { minuteBucket, type RollupPart, rollupKeyString } from '../rollups/rollup-key.ts';
import { canonicalBase64 } from './canonical-base64.ts';
import type { PreparedBatch } from './store-batch.ts';

/** Limits on a batch beyond its wire schema. */
export interface BatchLimits {
  /** How far in the future (ms, against this server's clock) a window may end. */
  maxFutureSkewMs: number;
  /** How far in the past (ms) a window may start. */
  maxAgeMs: number;
}

export const DEFAULT_BATCH_LIMITS: BatchLimits = {
  maxFutureSkewMs: 10 * 60_000,
  maxAgeMs: 30 * 24 * 3_600_000,
};

/**
 * Validates a telemetry batch body (wire schema, then timestamps, then every profile decodes and
 * its counts are sane) and reduces it to rows to store. Throws `invalid_batch` on any problem,
 * before anything is written.
 */
export function prepareBatch(
  body: unknown,
  keyId: string | null,
  now = Date.now(),
  limits: BatchLimits = DEFAULT_BATCH_LIMITS,
): { batch: TelemetryBatch; prepared: PreparedBatch } {
  let batch: TelemetryBatch;
  try {
    batch = parseTelemetryBatch(body);
  } catch (err) {
    const why = err instanceof Error ? err.message : 'The batch does not match the wire schema.';
    throw invalidBatch(why.length > 500 ? `${why.slice(0, 500)}…` : why, err);
  }
  const merged = new Map<string, { part: RollupPart; profile: Profile; n: number }>();
  let inferences = 0;
  batch.windows.forEach((w, i) => {
    if (!(w.start <= w.end)) throw invalidBatch(`windows[${i}] ends before it starts.`);
    if (w.end > now + limits.maxFutureSkewMs) {
      throw invalidBatch(
        `windows[${i}] ends in the future (${new Date(w.end).toISOString()}); check the device clock.`,
      );
    }
    if (w.start < now - limits.maxAgeMs) {
      throw invalidBatch(
        `windows[${i}] starts more than ${limits.maxAgeMs / 86_400_000} days ago; it is too old to count.`,
      );
    }
    let profile: Profile;
    let bytes: Uint8Array;
    try {
      bytes = canonicalBase64(w.profile);
      profile = decodeProfile(bytes);
    } catch (err) {
      const why = err instanceof Error ? err.message : 'undecodable';
      throw invalidBatch(`windows[${i}].profile does not decode: ${why}`, err);
    }
    if (!Number.isSafeInteger(profile.inferences) || profile.inferences < 0) {
      throw invalidBatch(`windows[${i}].profile.inferences must be a non-negative integer.`);
    }
    if (!Number.isSafeInteger(profile.errors) || profile.errors < 0) {
      throw invalidBatch(`windows[${i}].profile.errors must be a non-negative integer.`);
    }
    inferences += profile.inferences;
    const part: RollupPart = {
      model: w.model,
      version: w.version,
      role: w.role,
      segment: w.segment,
      backend: w.backend,
      bucket: minuteBucket(w.start),
      inferences: profile.inferences,
      errors: profile.errors,
      profile: bytes,
    };
    const key = rollupKeyString(part);
    const prev = merged.get(key);
    if (prev) {
      prev.profile = mergeProfiles(prev.profile, profile);
      prev.part.inferences += part.inferences;
      prev.part.errors += part.errors;
      prev.n += 1;
    } else {
      merged.set(key, { part, profile, n: 1 });
    }
  });
  const parts = [...merged.values()].map(({ part, profile, n }) =>
    n === 1 ? { ...part, decoded: profile } : { ...part, profile: encodeProfile(profile), decoded: profile },
  );
  const firstStart = Math.min(...batch.windows.map((w) => w.start));
  return {
    batch,
    prepared: {
      batchId: batch.batchId,
      deviceId: batch.deviceId,
      keyId,
      windows: batch.windows.length,
      inferences,
      parts,
      day: Math.floor(firstStart / 86_400_000),
    },
  };
}
