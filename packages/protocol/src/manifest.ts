import * as v from 'valibot';
import { ProtocolError } from './errors.ts';
import { ModelSchemaSchema } from './model-schema.ts';
import { describeIssues } from './schema-issues.ts';

/** Version of the manifest JSON (`v` field; absent means 1). */
export const MANIFEST_VERSION = 1;

const text = (max: number) => v.pipe(v.string(), v.minLength(1), v.maxLength(max));

/** One file of a model version: where to fetch it and how to check it. */
export const ModelFileSchema = v.object({
  /** Path inside the model version, e.g. `model.onnx`, `tfjs/model.json`, `tfjs/group1-shard1of1.bin`. */
  path: v.pipe(
    text(256),
    v.regex(
      /^(?!\/)(?!.*(?:^|\/)\.\.?(?:\/|$))[A-Za-z0-9._\-/]+$/,
      'path must be relative, without "." or ".." segments',
    ),
  ),
  /** Absolute or collector-relative URL. */
  url: text(2048),
  /** Lower-case hex SHA-256 of the file's bytes. */
  sha256: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lower-case hex digits')),
  /** Size in bytes. */
  size: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
});

const files = v.pipe(v.array(ModelFileSchema), v.minLength(1), v.maxLength(64));

/** One input or output tensor of a model version, as described at publish time. */
export const TensorInfoSchema = v.object({
  name: text(128),
  /** Element type, e.g. `float32`, `int64`. */
  dtype: v.optional(text(32)),
  /** Dimensions; a string (or -1) names a free dimension such as the batch size. */
  shape: v.optional(v.pipe(v.array(v.union([v.number(), text(64)])), v.maxLength(16))),
});

const tensors = v.optional(v.pipe(v.array(TensorInfoSchema), v.maxLength(64)));

/**
 * The model manifest the collector serves at `GET /v1/models/:name/manifest`: which version this
 * device runs, its files, an optional shadow version run beside it, and the policy that chose them.
 */
export const ManifestSchema = v.object({
  v: v.optional(v.literal(MANIFEST_VERSION), MANIFEST_VERSION),
  model: text(128),
  version: text(64),
  format: v.picklist(['onnx', 'tfjs']),
  files,
  /** Inputs and outputs of `version` as published (absent when the publisher gave none). */
  inputs: tensors,
  outputs: tensors,
  /**
   * How the device summarizes `version`'s tensors (per column, embedding, image, classes), as
   * published with it; absent: every tensor gets the whole-tensor features.
   */
  schema: v.optional(ModelSchemaSchema),
  /**
   * Why this device runs `version`: `app` (the pin the runtime sent), `device` (an admin pinned this
   * device), `candidate` (its bucket is inside the candidate's percentage) or `stable`.
   */
  assignment: v.optional(v.picklist(['app', 'device', 'candidate', 'stable'])),
  /** The device's rollout bucket, 0..9999 (absent when no device id was sent). */
  bucket: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(9_999))),
  /** A version to run in the shadow of `version` on `percent` of inferences; its outputs are only profiled. */
  shadow: v.optional(
    v.object({
      version: text(64),
      format: v.optional(v.picklist(['onnx', 'tfjs'])),
      percent: v.pipe(v.number(), v.minValue(0), v.maxValue(100)),
      files,
      /** The shadow version's schema, as for `schema`. */
      schema: v.optional(ModelSchemaSchema),
    }),
  ),
  /** ETag of the rollout policy that produced this manifest (changes whenever the answer may). */
  etag: text(128),
  /**
   * When the collector issued the manifest, ms since epoch. A runtime keeps the newest it accepted
   * per model and refuses an older one (a replayed manifest); a rollback is a new manifest.
   */
  issuedAt: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
  /** After this instant (ms since epoch) the manifest is stale: a frozen answer stops being accepted. */
  expiresAt: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(0))),
  /** Id of the key that signed it (`driftline keys signing`), so runtimes can hold several during a rotation. */
  keyId: v.optional(text(64)),
  /**
   * Signature where signing is configured: `ed25519:<base64>` over `canonicalManifestBytes`;
   * check it with `verifyManifestSignature`.
   */
  signature: v.optional(text(1024)),
});

/** A model manifest (see {@link ManifestSchema}). */
export type Manifest = v.InferOutput<typeof ManifestSchema>;
/** One file of a manifest. */
export type ModelFile = v.InferOutput<typeof ModelFileSchema>;
/** One input or output of a model version. */
export type TensorInfo = v.InferOutput<typeof TensorInfoSchema>;

/**
 * Validates untrusted JSON as a model manifest and returns it typed (unknown keys dropped, `v`
 * filled in). Throws `ProtocolError` code `INVALID_MANIFEST` naming the first problems.
 *
 * @example
 * const manifest = parseManifest(await (await fetch(url)).json());
 */
export function parseManifest(json: unknown): Manifest {
  const result = v.safeParse(ManifestSchema, json);
  if (result.success) return result.output;
  throw new ProtocolError(
    'INVALID_MANIFEST',
    `Model manifest does not match the schema: ${describeIssues(result.issues)}. Check the collector's registry entry for this model.`,
  );
}
