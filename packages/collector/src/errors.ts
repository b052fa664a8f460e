/**
 * Every error the collector can answer with. The `code` strings are stable: clients and dashboards
 * may switch on them. The table in docs/collector.md lists each one with its HTTP status.
 */
export class CollectorError extends Error {
  override readonly name: string = 'CollectorError';
  /** Seconds to wait before retrying (sent as Retry-After), for `rate_limited`. */
  retryAfterS?: number;
  constructor(
    /** Stable machine-readable code, e.g. `invalid_batch`. */
    readonly code: string,
    /** HTTP status to answer with. */
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The JSON body every error response carries. */
  toJSON(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

/** The batch failed schema validation or a semantic check (window order, timestamps, sizes). */
export const invalidBatch = (message: string, cause?: unknown) =>
  new CollectorError('invalid_batch', 400, message, { cause });
/** The request (query string, params, body) is malformed for a route other than ingest. */
export const badRequest = (message: string, cause?: unknown) =>
  new CollectorError('bad_request', 400, message, { cause });
/** Missing, unknown or revoked key. */
export const unauthorized = (message = 'Send a valid key as "Authorization: Bearer <key>".') =>
  new CollectorError('unauthorized', 401, message);
/** A key that an admin revoked. */
export const keyRevoked = () =>
  new CollectorError(
    'key_revoked',
    401,
    'This key was revoked; ask an admin for a new one (driftline keys create).',
  );
/** A key past its expiry (or past the grace period of a rotation). */
export const keyExpired = () =>
  new CollectorError(
    'key_expired',
    401,
    'This key has expired; switch to the key that replaced it, or ask an admin for a new one (driftline keys rotate).',
  );
/** No active key with this id (admin key routes). */
export const unknownKey = (id: string) =>
  new CollectorError('unknown_key', 404, `No active key with id "${id}"; list keys with GET /v1/keys.`);
/** A key change that would lock every admin out. */
export const keyConflict = (message: string) => new CollectorError('key_conflict', 409, message);
/** A valid key whose role may not use this route. */
export const forbidden = (message: string) => new CollectorError('forbidden', 403, message);
/** A browser origin that the ingest key (or, for a preflight, every ingest key) does not allow. */
export const originNotAllowed = (message: string) => new CollectorError('origin_not_allowed', 403, message);
/** No data for this model (in the requested range). */
export const unknownModel = (model: string) =>
  new CollectorError(
    'unknown_model',
    404,
    `No telemetry for model "${model}". Check the name with GET /v1/models.`,
  );
/** Drift was asked against a reference that does not exist. */
export const noReference = (message: string) => new CollectorError('no_reference', 404, message);
/** Accuracy was asked of a version whose reference profile holds no calibration (no `classes` output recorded with labels). */
export const noCalibration = (message: string) => new CollectorError('no_calibration', 409, message);
/** Body larger than the limit, before or after decompression. */
export const payloadTooLarge = (limit: number) =>
  new CollectorError(
    'payload_too_large',
    413,
    `The body exceeds ${limit} bytes (after decompression). Send fewer windows per batch.`,
  );
/** Content type is not JSON or the encoding is not identity/gzip. */
export const unsupportedMediaType = (message: string) =>
  new CollectorError('unsupported_media_type', 415, message);
/** Too many requests for this key or device. */
export const rateLimited = (retryAfterS: number) => {
  const e = new CollectorError('rate_limited', 429, `Too many requests; retry after ${retryAfterS} s.`);
  e.retryAfterS = retryAfterS;
  return e;
};
/** Storage is not reachable or failed; the request can be retried. */
export const storageUnavailable = (cause: unknown) =>
  new CollectorError('storage_unavailable', 503, 'Storage failed; retry the request later.', { cause });
/** A route that does not exist. */
export const notFound = (method: string, url: string) =>
  new CollectorError('not_found', 404, `No route ${method} ${url}. See GET /openapi.json.`);
/** A model name or version that the registry does not accept. */
export const invalidName = (message: string) => new CollectorError('invalid_name', 400, message);
/** The files of a version do not form a model of its format. */
export const invalidModelFiles = (message: string) => new CollectorError('invalid_model_files', 400, message);
/** A publish's model schema does not match its shape (see "Schema summaries" in docs/protocol.md). */
export const invalidSchema = (message: string) => new CollectorError('invalid_schema', 400, message);
/** A publish's model schema does not fit the model's tensors (names, column count, labels, dims). */
export const schemaMismatch = (message: string) => new CollectorError('schema_mismatch', 400, message);
/** A file given by hash only whose bytes were never uploaded. */
export const missingArtifact = (sha256: string) =>
  new CollectorError(
    'missing_artifact',
    400,
    `No artifact ${sha256} is stored; PUT its bytes to /v1/artifacts/${sha256} first or send them inline as "data".`,
  );
/** Uploaded bytes whose SHA-256 or size differ from what the request claims. */
export const artifactMismatch = (message: string) => new CollectorError('artifact_mismatch', 400, message);
/** A version that exists already with other files, schema or reference (versions are immutable). */
export const versionExists = (model: string, version: string, what = 'other files') =>
  new CollectorError(
    'version_exists',
    409,
    `${model}@${version} is already published with ${what}; versions are immutable, publish a new version.`,
  );
/** A model or version that is not in the registry. */
export const unknownVersion = (model: string, version?: string) =>
  new CollectorError(
    'unknown_version',
    404,
    version
      ? `${model}@${version} is not published; list versions with GET /v1/models/${model}/versions.`
      : `Model "${model}" has no published version; publish one with \`driftline publish\`.`,
  );
/** No artifact with this hash. */
export const unknownArtifact = (sha256: string) =>
  new CollectorError(
    'unknown_artifact',
    404,
    `No artifact ${sha256}; take file URLs from the model's manifest.`,
  );
/** A Range header that does not fit the artifact. */
export const rangeNotSatisfiable = (size: number) =>
  new CollectorError(
    'range_not_satisfiable',
    416,
    `The requested range is outside the artifact (${size} bytes); ask for bytes=start-end within it.`,
  );
/** A rollout change that does not fit the current policy (promote without a candidate, …). */
export const rolloutConflict = (message: string) => new CollectorError('rollout_conflict', 409, message);
