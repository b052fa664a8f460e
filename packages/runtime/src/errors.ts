/**
 * Every error the runtime throws is a {@link DriftlineError} with a stable `code`. The table of
 * codes, with what to do about each, is in docs/runtime.md.
 */
export class DriftlineError extends Error {
  /** Stable machine-readable code, e.g. `MODEL_INTEGRITY`. */
  readonly code: string = 'DRIFTLINE_ERROR';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
  override name = 'DriftlineError';
}

/** The options given to `createRuntime` are invalid. */
export class InvalidOptionsError extends DriftlineError {
  override readonly code = 'INVALID_OPTIONS';
  override name = 'InvalidOptionsError';
}

/** A tensor passed to `run` is malformed (unsupported type, dims that do not match the data). */
export class InvalidTensorError extends DriftlineError {
  override readonly code = 'INVALID_TENSOR';
  override name = 'InvalidTensorError';
}

/** The model file could not be downloaded. */
export class ModelFetchError extends DriftlineError {
  override readonly code = 'MODEL_FETCH';
  override name = 'ModelFetchError';
}

/** The model bytes do not match the expected SHA-256: the file was corrupted or tampered with. */
export class ModelIntegrityError extends DriftlineError {
  override readonly code = 'MODEL_INTEGRITY';
  override name = 'ModelIntegrityError';
}

/**
 * A validly signed manifest that is not fresh: older than one this device already accepted (a
 * replay, e.g. a stale CDN or a hostile proxy) or past its `expiresAt` (a frozen answer). The
 * device keeps running its last known good version.
 */
export class StaleManifestError extends DriftlineError {
  override readonly code = 'MANIFEST_STALE';
  override name = 'StaleManifestError';
}

/** The model was downloaded and verified but no backend could load it. */
export class ModelLoadError extends DriftlineError {
  override readonly code = 'MODEL_LOAD';
  override name = 'ModelLoadError';
}

/** None of the requested backends is available in this browser. */
export class NoBackendError extends DriftlineError {
  override readonly code = 'NO_BACKEND';
  override name = 'NoBackendError';
}

/** The backend raised an error while running the model (wrong input name, shape or type…). */
export class InferenceError extends DriftlineError {
  override readonly code = 'INFERENCE_FAILED';
  override name = 'InferenceError';
}

/** The worker died (uncaught error, out of memory); the next call starts a fresh one. */
export class WorkerCrashedError extends DriftlineError {
  override readonly code = 'WORKER_CRASHED';
  override name = 'WorkerCrashedError';
}

/**
 * The worker script could not be loaded (not found, or served as something else): with esbuild or
 * without a bundler, run `npx driftline-runtime copy-assets <dir>` and pass `assetBase`.
 */
export class WorkerLoadError extends DriftlineError {
  override readonly code = 'WORKER_LOAD';
  override name = 'WorkerLoadError';
}

/** The runtime was disposed; create a new one. */
export class DisposedError extends DriftlineError {
  override readonly code = 'DISPOSED';
  override name = 'DisposedError';
}

/** `feedback` was called with an id that no recent run carried. */
export class UnknownRunError extends DriftlineError {
  override readonly code = 'UNKNOWN_RUN';
  override name = 'UnknownRunError';
}

/**
 * The `schema` option (or a manifest's schema) does not have the shape of a model schema, or would
 * record more features than a window holds; the message names the first problem by path.
 */
export class InvalidSchemaError extends DriftlineError {
  override readonly code = 'INVALID_SCHEMA';
  override name = 'InvalidSchemaError';
}

/**
 * A valid schema does not fit the loaded model (a tensor it names is not the model's, a column
 * count differs from the tensor's last dim, labels on a float column, …): refused before any run.
 */
export class SchemaMismatchError extends DriftlineError {
  override readonly code = 'SCHEMA_MISMATCH';
  override name = 'SchemaMismatchError';
}

/** An error as it crosses the worker boundary. */
export interface SerializedError {
  name: string;
  code: string;
  message: string;
}

const errorClasses: Record<string, new (message: string) => DriftlineError> = {
  INVALID_OPTIONS: InvalidOptionsError,
  INVALID_TENSOR: InvalidTensorError,
  MODEL_FETCH: ModelFetchError,
  MODEL_INTEGRITY: ModelIntegrityError,
  MODEL_LOAD: ModelLoadError,
  MANIFEST_STALE: StaleManifestError,
  NO_BACKEND: NoBackendError,
  INFERENCE_FAILED: InferenceError,
  WORKER_CRASHED: WorkerCrashedError,
  WORKER_LOAD: WorkerLoadError,
  DISPOSED: DisposedError,
  UNKNOWN_RUN: UnknownRunError,
  INVALID_SCHEMA: InvalidSchemaError,
  SCHEMA_MISMATCH: SchemaMismatchError,
};

/** Turns any thrown value into the plain `{ name, code, message }` that crosses postMessage. */
export function serializeError(error: unknown, fallbackCode = 'INFERENCE_FAILED'): SerializedError {
  if (error instanceof DriftlineError) return { name: error.name, code: error.code, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  const Class = errorClasses[fallbackCode] ?? InferenceError;
  return { name: new Class('').name, code: fallbackCode, message };
}

/** Rebuilds the typed error on the page side of the worker boundary. */
export function deserializeError(error: SerializedError): DriftlineError {
  const Class = errorClasses[error.code];
  if (Class) return new Class(error.message);
  const generic = new DriftlineError(error.message);
  Object.defineProperty(generic, 'code', { value: error.code });
  return generic;
}
