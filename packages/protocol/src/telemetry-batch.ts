import * as v from 'valibot';
import { ProtocolError } from './errors.ts';
import { LIMITS } from './limits.ts';
import { describeIssues } from './schema-issues.ts';

/** Version of the telemetry batch JSON (`v` field). */
export const TELEMETRY_BATCH_VERSION = 1;
/** Most windows in one batch. */
export const MAX_WINDOWS_PER_BATCH = 100;

const id = (max: number) => v.pipe(v.string(), v.minLength(1), v.maxLength(max));
const timestamp = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
// base64 of an encoded profile: 4 characters per 3 bytes, padded.
const maxProfileChars = Math.ceil(LIMITS.maxProfileBytes / 3) * 4;

/** Schema of one window of a telemetry batch (valibot). */
export const TelemetryWindowSchema = v.pipe(
  v.object({
    model: id(128),
    version: id(64),
    role: v.picklist(['primary', 'shadow']),
    backend: id(64),
    segment: id(256),
    start: timestamp,
    end: timestamp,
    profile: v.pipe(
      v.string(),
      v.minLength(4),
      v.maxLength(maxProfileChars),
      v.regex(/^[A-Za-z0-9+/]*={0,2}$/),
    ),
  }),
  v.check((w) => w.start <= w.end, 'window start must not be after its end'),
);

/** Schema of a telemetry batch as POSTed to `/v1/telemetry` (valibot). */
export const TelemetryBatchSchema = v.object({
  v: v.literal(TELEMETRY_BATCH_VERSION),
  batchId: id(128),
  deviceId: id(128),
  sdkVersion: id(64),
  sentAt: timestamp,
  windows: v.pipe(v.array(TelemetryWindowSchema), v.minLength(1), v.maxLength(MAX_WINDOWS_PER_BATCH)),
});

/** One window of one model version on one device; `profile` is `toBase64(encodeProfile(p))`. */
export type TelemetryWindow = v.InferOutput<typeof TelemetryWindowSchema>;
/** What the runtime sends and the collector stores once per `batchId`. */
export type TelemetryBatch = v.InferOutput<typeof TelemetryBatchSchema>;

/**
 * Validates untrusted JSON as a telemetry batch and returns it typed (unknown keys dropped).
 * Throws `ProtocolError` code `INVALID_BATCH` naming the first problems. The profiles stay base64;
 * decode each with `decodeProfile(fromBase64(w.profile))`.
 *
 * @example
 * const batch = parseTelemetryBatch(JSON.parse(body));
 */
export function parseTelemetryBatch(json: unknown): TelemetryBatch {
  const result = v.safeParse(TelemetryBatchSchema, json);
  if (result.success) return result.output;
  throw new ProtocolError(
    'INVALID_BATCH',
    `Telemetry batch does not match the schema: ${describeIssues(result.issues)}. Build batches with the runtime's sender or follow docs/protocol.md.`,
  );
}
