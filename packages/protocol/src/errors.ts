/**
 * Every error `@driftline/protocol` throws on purpose, by stable `code`. The message a user sees
 * says what went wrong and what to do; this table says when each code happens.
 *
 * | code | when |
 * | --- | --- |
 * | `INVALID_ARGUMENT` | an option or argument is out of its documented range (alpha, maxBins, q, …) |
 * | `SKETCH_MISMATCH` | two sketches with different settings (alpha, maxBins, label caps) are merged or compared |
 * | `FEATURE_KIND_MISMATCH` | a feature is numeric in one profile and categorical in the other |
 * | `DECODE_VERSION` | encoded bytes start with a format version this build does not read |
 * | `DECODE_TRUNCATED` | encoded bytes end before the structure they describe is complete |
 * | `DECODE_TOO_LARGE` | encoded bytes exceed a hard cap (total size, features, bins, labels, label length) |
 * | `DECODE_INVALID` | encoded bytes are complete but describe an impossible value |
 * | `INVALID_BASE64` | a string given to `fromBase64` is not canonical base64 |
 * | `INVALID_BATCH` | a telemetry batch does not match the wire schema |
 * | `INVALID_MANIFEST` | a model manifest does not match the wire schema |
 * | `INVALID_SCHEMA` | a model schema (per-tensor summary kinds) does not match its JSON shape, or would record too many features |
 * | `SCHEMA_MISMATCH` | a valid model schema does not fit the model's tensors (unknown tensor, column count, labels on a float column, image dims) |
 */
export const PROTOCOL_ERROR_CODES = [
  'INVALID_ARGUMENT',
  'SKETCH_MISMATCH',
  'FEATURE_KIND_MISMATCH',
  'DECODE_VERSION',
  'DECODE_TRUNCATED',
  'DECODE_TOO_LARGE',
  'DECODE_INVALID',
  'INVALID_BASE64',
  'INVALID_BATCH',
  'INVALID_MANIFEST',
  'INVALID_SCHEMA',
  'SCHEMA_MISMATCH',
] as const;

/** One of {@link PROTOCOL_ERROR_CODES}. */
export type ProtocolErrorCode = (typeof PROTOCOL_ERROR_CODES)[number];

/**
 * The only error type this package throws on purpose. Switch on `code`, never on `message`.
 *
 * @example
 * try { decodeProfile(bytes) } catch (e) { if (e instanceof ProtocolError && e.code === 'DECODE_VERSION') … }
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
