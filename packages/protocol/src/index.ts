/** Version of the wire contracts this build speaks. */
export const PROTOCOL_VERSION = 1;

export { fromBase64, toBase64 } from './base64.ts';
export { type BuildProfileOptions, buildProfile, type SampleValue } from './build-profile.ts';
export {
  CategoricalSketch,
  type CategoricalSketchOptions,
  type CategoricalSketchState,
  DEFAULT_MAX_LABEL_LENGTH,
  DEFAULT_MAX_LABELS,
  OTHER_LABEL,
} from './categorical-sketch.ts';
export { type CategoricalDrift, compareCategorical } from './drift/categorical-drift.ts';
export {
  type AccuracyEstimate,
  type AccuracyEstimateOptions,
  estimateAccuracy,
} from './drift/cbpe.ts';
export {
  compareEmbedding,
  DEFAULT_EMBEDDING_DRIFT_OPTIONS,
  type EmbeddingDrift,
  type EmbeddingDriftOptions,
} from './drift/embedding-drift.ts';
export { compareNumeric, type NumericDrift, type NumericQuality } from './drift/numeric-drift.ts';
export { compareProfiles, type FeatureDrift, overallStatus } from './drift/profile-drift.ts';
export { chiSquareSurvival } from './drift/special-functions.ts';
export {
  DEFAULT_DRIFT_OPTIONS,
  type DriftOptions,
  type DriftStatus,
  type QualityDelta,
  type Threshold,
} from './drift/thresholds.ts';
export { type EmbeddingBasis, embeddingBasis } from './embedding-basis.ts';
export { PROTOCOL_ERROR_CODES, ProtocolError, type ProtocolErrorCode } from './errors.ts';
export { LIMITS } from './limits.ts';
export {
  MANIFEST_VERSION,
  type Manifest,
  ManifestSchema,
  type ModelFile,
  ModelFileSchema,
  parseManifest,
  type TensorInfo,
  TensorInfoSchema,
} from './manifest.ts';
export {
  canonicalManifestBytes,
  generateSigningKeyPair,
  importSigningKey,
  importVerifyKey,
  MANIFEST_SIGNATURE_ALGORITHM,
  signManifest,
  verifyManifestSignature,
  type WebCryptoKey,
} from './manifest-signature.ts';
export {
  CLASS_FEATURES,
  type ClassesSpec,
  type ColumnSpec,
  type ColumnsSpec,
  checkSchemaFits,
  classFeatureNames,
  type EmbeddingSpec,
  IMAGE_FEATURES,
  type ImageSpec,
  type InputSpec,
  inputFeatureNames,
  type ModelSchema,
  ModelSchemaSchema,
  parseModelSchema,
  summaryOnlyFeature,
  type TensorShape,
} from './model-schema.ts';
export {
  DEFAULT_ALPHA,
  DEFAULT_MAX_BINS,
  NumericSketch,
  type NumericSketchOptions,
  type NumericSketchState,
} from './numeric-sketch.ts';
export {
  categoricalFeature,
  cloneProfile,
  createProfile,
  type FeatureSketch,
  latencySketch,
  mergeProfileInto,
  mergeProfiles,
  numericFeature,
  type Profile,
} from './profile.ts';
export { decodeProfile, encodeProfile, PROFILE_FORMAT_VERSION } from './profile-codec.ts';
export { seededNormal, seededUniform } from './seeded-random.ts';
export { type ClassesSummaryOptions, summarizeClasses } from './summarize-classes.ts';
export {
  type ClassifierSummaryOptions,
  isProbabilityTensor,
  NAN_CLASS_LABEL,
  summarizeClassifierOutput,
} from './summarize-classifier.ts';
export { COLUMN_SKETCH, labelSketchOptions, summarizeColumns } from './summarize-columns.ts';
export { EMBEDDING_SKETCH, RFF_SKETCH, summarizeEmbedding } from './summarize-embedding.ts';
export { defaultMaxValue, summarizeImage } from './summarize-image.ts';
export { summarizeTensor, TENSOR_FEATURES } from './summarize-tensor.ts';
export { summarizeWithSchema } from './summarize-with-schema.ts';
export {
  MAX_WINDOWS_PER_BATCH,
  parseTelemetryBatch,
  TELEMETRY_BATCH_VERSION,
  type TelemetryBatch,
  TelemetryBatchSchema,
  type TelemetryWindow,
  TelemetryWindowSchema,
} from './telemetry-batch.ts';
export type { TensorData, TensorLike } from './tensor.ts';
