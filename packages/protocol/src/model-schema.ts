import * as v from 'valibot';
import { DEFAULT_MAX_LABEL_LENGTH } from './categorical-sketch.ts';
import { ProtocolError } from './errors.ts';
import { LIMITS } from './limits.ts';
import { describeIssues } from './schema-issues.ts';
import { TENSOR_FEATURES } from './summarize-tensor.ts';
import { utf8Encode } from './utf8.ts';

const name = v.pipe(v.string(), v.minLength(1), v.maxLength(64));
const label = v.pipe(v.string(), v.minLength(1), v.maxLength(DEFAULT_MAX_LABEL_LENGTH));
const labels = v.pipe(
  v.array(label),
  v.minLength(1),
  v.maxLength(LIMITS.maxLabels - 2),
  v.check((ls) => new Set(ls).size === ls.length, 'labels must be unique'),
);

const ColumnSchema = v.object({ name, labels: v.optional(labels) });

/** One named column of a `columns` tensor; a column with `labels` holds label indexes. */
export type ColumnSpec = v.InferOutput<typeof ColumnSchema>;

const ColumnsInputSchema = v.object({
  kind: v.literal('columns'),
  columns: v.pipe(
    v.array(ColumnSchema),
    v.minLength(1),
    v.maxLength(LIMITS.maxFeatures),
    v.check((cs) => new Set(cs.map((c) => c.name)).size === cs.length, 'column names must be unique'),
  ),
});

const count = (min: number, max: number) =>
  v.pipe(v.number(), v.safeInteger(), v.minValue(min), v.maxValue(max));

const EmbeddingInputSchema = v.object({
  kind: v.literal('embedding'),
  /** Random projections recorded as `<t>.proj<k>`. Default 16; at most the embedding's size. */
  projections: v.optional(count(1, 256), 16),
  /** Seed of the projections and Fourier frequencies; one seed gives the same features on every device. */
  seed: v.optional(count(0, 0xffff_ffff), 0),
  /** Random Fourier frequencies for the MMD summary (2 features each, `<t>.rff<j>`). Default 8; 0 turns MMD off. */
  rff: v.optional(count(0, 128), 8),
  /** Gaussian kernel bandwidth of the MMD, on the L2-normalised vector. Default 1. */
  bandwidth: v.optional(v.pipe(v.number(), v.minValue(1e-3), v.maxValue(1e3)), 1),
});

const ImageInputSchema = v.object({
  kind: v.literal('image'),
  layout: v.picklist(['NHWC', 'NCHW']),
  /** Largest pixel value (white); default 255 for 8-bit tensors and 1 for every other type. */
  maxValue: v.optional(v.pipe(v.number(), v.minValue(Number.MIN_VALUE), v.maxValue(1e9))),
});

const InputSchema = v.variant('kind', [ColumnsInputSchema, EmbeddingInputSchema, ImageInputSchema]);
const OutputSchema = v.object({ kind: v.literal('classes'), labels: v.optional(labels) });

const tensorMap = <T extends v.GenericSchema>(s: T) =>
  v.optional(
    v.pipe(
      v.record(v.pipe(v.string(), v.minLength(1), v.maxLength(64)), s),
      v.check((r) => Object.keys(r).length <= 64, 'at most 64 tensors'),
    ),
    {},
  );

/**
 * How each named tensor of a model version is summarized. A tensor the schema does not name keeps
 * the whole-tensor features of `summarizeTensor`.
 */
export const ModelSchemaSchema = v.object({
  inputs: tensorMap(InputSchema),
  outputs: tensorMap(OutputSchema),
});

/** A model schema (see {@link ModelSchemaSchema} and {@link parseModelSchema}). */
export type ModelSchema = v.InferOutput<typeof ModelSchemaSchema>;
export type InputSpec = v.InferOutput<typeof InputSchema>;
export type ColumnsSpec = v.InferOutput<typeof ColumnsInputSchema>;
export type EmbeddingSpec = v.InferOutput<typeof EmbeddingInputSchema>;
export type ImageSpec = v.InferOutput<typeof ImageInputSchema>;
export type ClassesSpec = v.InferOutput<typeof OutputSchema>;

/** Names of the image features, each `<tensor>.<name>`; `saturation` only with 3 or 4 channels. */
export const IMAGE_FEATURES = ['brightness', 'contrast', 'saturation', 'sharpness', 'clipped'] as const;
/** Features a `classes` output records besides one `conf.<label>` and one `hit.<label>` per class. */
export const CLASS_FEATURES = ['argmax', 'top1', 'entropy'] as const;

/** Feature names one input spec records (classes: see {@link classFeatureNames}). */
export function inputFeatureNames(tensor: string, spec: InputSpec): string[] {
  if (spec.kind === 'columns') return spec.columns.map((c) => `${tensor}.${c.name}`);
  if (spec.kind === 'image') return IMAGE_FEATURES.map((f) => `${tensor}.${f}`);
  const out = Array.from({ length: spec.projections }, (_, k) => `${tensor}.proj${k}`);
  out.push(`${tensor}.norm`);
  for (let j = 0; j < 2 * spec.rff; j++) out.push(`${tensor}.rff${j}`);
  return out;
}

/** Feature names a `classes` output of `classes` classes records (labels from the spec when given). */
export function classFeatureNames(
  tensor: string,
  spec: ClassesSpec,
  classes = spec.labels?.length ?? 0,
): string[] {
  const out = CLASS_FEATURES.map((f) => `${tensor}.${f}`);
  for (let k = 0; k < classes; k++) {
    const l = spec.labels?.[k] ?? String(k);
    out.push(`${tensor}.conf.${l}`, `${tensor}.hit.${l}`);
  }
  return out;
}

function tooMany(n: number): ProtocolError {
  return new ProtocolError(
    'INVALID_SCHEMA',
    `Model schema would record ${n} features per window, above the ${LIMITS.maxFeatures} cap; use fewer columns, projections, rff frequencies or classes.`,
  );
}

function checkNames(names: string[]): void {
  for (const n of names) {
    if (utf8Encode(n).length > LIMITS.maxNameBytes) {
      throw new ProtocolError(
        'INVALID_SCHEMA',
        `Feature name "${n.slice(0, 40)}…" would be longer than ${LIMITS.maxNameBytes} UTF-8 bytes; shorten the tensor, column or label name.`,
      );
    }
  }
}

/**
 * Validates untrusted JSON as a model schema and returns it typed, defaults filled in (`projections`
 * 16, `seed` 0, `rff` 8, `bandwidth` 1). Throws `ProtocolError` `INVALID_SCHEMA` naming the first
 * problems by path, when a feature name would be too long, or when the schema alone already records
 * more than `LIMITS.maxFeatures` features.
 *
 * @example
 * const schema = parseModelSchema({ inputs: { x: { kind: 'columns', columns: [{ name: 'age' }] } } });
 */
export function parseModelSchema(json: unknown): ModelSchema {
  const result = v.safeParse(ModelSchemaSchema, json);
  if (!result.success) {
    throw new ProtocolError(
      'INVALID_SCHEMA',
      `Model schema does not match its shape: ${describeIssues(result.issues)}. See "Schema summaries" in docs/protocol.md.`,
    );
  }
  const schema = result.output;
  const names: string[] = [];
  for (const [t, spec] of Object.entries(schema.inputs)) names.push(...inputFeatureNames(t, spec));
  for (const [t, spec] of Object.entries(schema.outputs)) names.push(...classFeatureNames(t, spec));
  if (names.length > LIMITS.maxFeatures) throw tooMany(names.length);
  checkNames(names);
  return schema;
}

/** A model tensor as the runtime or the registry knows it: name, dims (-1 for a free dim) and element type. */
export interface TensorShape {
  name: string;
  dims: readonly number[];
  /** Element type (`float32`, `int64`, `uint8`, …); unknown when absent. */
  type?: string;
}

function mismatch(message: string): never {
  throw new ProtocolError('SCHEMA_MISMATCH', message);
}

const isFloat = (type: string | undefined) => type !== undefined && /^(float|double|bfloat)/.test(type);

/**
 * Checks that `schema` fits the model's `tensors` (inputs and outputs together) before the first
 * run or at publish. Throws `SCHEMA_MISMATCH` when the schema names a tensor the model lacks, a
 * `columns` tensor's last dim is not its column count, a column with labels sits in a float tensor
 * (label columns hold integer label indexes), an image is not 4-D with 1, 3 or 4 channels where its
 * layout says, an embedding has more projections than values, or `classes` labels do not match the
 * last dim; `INVALID_SCHEMA` when all tensors together would record more than `LIMITS.maxFeatures`
 * features (unnamed tensors count their 7 whole-tensor features, and a float tensor that may hold
 * class probabilities, last dim not 1, also the 3 class features a runtime adds for one).
 */
export function checkSchemaFits(schema: ModelSchema, tensors: readonly TensorShape[]): void {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const known = () => [...byName.keys()].join(', ') || 'none';
  const names: string[] = [];
  for (const [t, spec] of Object.entries(schema.inputs)) {
    const info = byName.get(t);
    if (!info)
      mismatch(`Schema input "${t}" is not a tensor of the model (tensors: ${known()}); fix the name.`);
    const last = info.dims[info.dims.length - 1] ?? 1;
    if (spec.kind === 'columns') {
      if (last > 0 && last !== spec.columns.length) {
        mismatch(
          `Schema input "${t}" names ${spec.columns.length} columns but the tensor's last dim is ${last}; list one column per value.`,
        );
      }
      const labelled = spec.columns.find((c) => c.labels);
      if (labelled && isFloat(info.type)) {
        mismatch(
          `Column "${t}.${labelled.name}" has labels but "${t}" is ${info.type}; a labelled column holds integer label indexes, so feed it as an integer tensor or drop its labels.`,
        );
      }
    } else if (spec.kind === 'image') {
      const c = spec.layout === 'NHWC' ? info.dims[3] : info.dims[1];
      if (info.dims.length !== 4 || !(c === 1 || c === 3 || c === 4 || c === -1)) {
        mismatch(
          `Schema input "${t}" is an ${spec.layout} image but its dims are [${info.dims.join(', ')}]; an image is 4-D with 1, 3 or 4 channels at the ${spec.layout === 'NHWC' ? 'last' : 'second'} dim.`,
        );
      }
    } else if (last > 0 && spec.projections > last) {
      mismatch(
        `Schema input "${t}" asks for ${spec.projections} projections of a ${last}-value embedding; use at most ${last}.`,
      );
    }
    names.push(...inputFeatureNames(t, spec));
  }
  for (const [t, spec] of Object.entries(schema.outputs)) {
    const info = byName.get(t);
    if (!info)
      mismatch(`Schema output "${t}" is not a tensor of the model (tensors: ${known()}); fix the name.`);
    const last = info.dims[info.dims.length - 1] ?? 1;
    const classes = last === 1 ? 2 : last;
    if (spec.labels && last > 0 && spec.labels.length !== classes) {
      mismatch(
        `Schema output "${t}" has ${spec.labels.length} labels but ${classes} classes; give one label per class.`,
      );
    }
    names.push(...classFeatureNames(t, spec, spec.labels?.length ?? Math.max(classes, 0)));
  }
  let features = names.length;
  for (const info of tensors)
    if (!Object.hasOwn(schema.inputs, info.name) && !Object.hasOwn(schema.outputs, info.name))
      features +=
        TENSOR_FEATURES.length +
        (isFloat(info.type) && info.dims[info.dims.length - 1] !== 1 ? CLASS_FEATURES.length : 0);
  if (features > LIMITS.maxFeatures) throw tooMany(features);
  checkNames(names);
}

/**
 * A predicate for the features of `schema` that carry no drift verdict of their own: the Fourier
 * sums `<t>.rff<j>` of an embedding (read by `compareEmbedding`) and the `<t>.hit.<label>`
 * calibration of a `classes` output (read by `estimateAccuracy`). Pass it as
 * `compareProfiles(ref, cur, { skip })`.
 *
 * @example
 * const drifts = compareProfiles(reference, window, { skip: summaryOnlyFeature(schema) });
 */
export function summaryOnlyFeature(schema: ModelSchema): (name: string) => boolean {
  const prefixes: string[] = [];
  for (const [t, spec] of Object.entries(schema.inputs))
    if (spec.kind === 'embedding') prefixes.push(`${t}.rff`);
  const hits = Object.keys(schema.outputs).map((t) => `${t}.hit.`);
  return (name) =>
    hits.some((h) => name.startsWith(h)) ||
    prefixes.some((p) => name.startsWith(p) && /^\d+$/.test(name.slice(p.length)));
}
