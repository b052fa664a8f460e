export type { ModelSchema } from '@driftline/protocol';
export type { Device, ModelFormat, WasmPaths } from './backends/backend.ts';
export type { Fallback } from './backends/resolve-backend.ts';
export { createRuntime } from './create-runtime.ts';
export {
  DisposedError,
  DriftlineError,
  InferenceError,
  InvalidOptionsError,
  InvalidSchemaError,
  InvalidTensorError,
  ModelFetchError,
  ModelIntegrityError,
  ModelLoadError,
  NoBackendError,
  SchemaMismatchError,
  StaleManifestError,
  UnknownRunError,
  WorkerCrashedError,
  WorkerLoadError,
} from './errors.ts';
export type { FeaturesFn, ModelOptions, RuntimeOptions, UpdateOptions } from './options.ts';
export { type RunOptions, Runtime, type RuntimeEvents, type RuntimeInfo, type SwapInfo } from './runtime.ts';
export type { SchemaOption } from './schema/runtime-schema.ts';
export type { DeliveryStatus } from './telemetry/delivery-status.ts';
export type { NamedTensors, Tensor, TensorData, TensorType } from './tensor.ts';
export { ManagedRuntime, type RolloutState } from './updater/managed-runtime.ts';
export type { ManifestKeys } from './updater/manifest-client.ts';
export type { ActivationFailure, UpdateEvent } from './updater/update-event.ts';
export type { Feedback } from './worker/messages.ts';
