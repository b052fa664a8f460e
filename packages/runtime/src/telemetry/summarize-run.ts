import {
  type ClassesSpec,
  categoricalFeature,
  isProbabilityTensor,
  LIMITS,
  type ModelSchema,
  numericFeature,
  type Profile,
  summarizeClasses,
  summarizeClassifierOutput,
  summarizeTensor,
  summarizeWithSchema,
} from '@driftline/protocol';
import type { NamedTensors, Tensor } from '../tensor.ts';

/** The class a run predicted, for feedback: the label when the schema gives labels, else the index. */
export interface Prediction {
  predicted: string;
  /** The labels of the `classes` output it came from, if the schema gives them. */
  labels?: readonly string[];
}

/** Features `feedback` may add to a window (`feedback.accepted`, `.label`, `.correct`), kept free. */
const FEEDBACK_FEATURES = 3;

/**
 * Adds one run's features to `profile` and returns the predicted class of the first row, if a
 * classifier output gave one (for feedback).
 *
 * Without a schema: the tensor features of every input and output, and for outputs that hold
 * probabilities the class features (`<name>.argmax`, `.top1`, `.entropy`). With one, the tensors it
 * names are recorded by their kind (`summarizeWithSchema`: `x.<column>`, `probs.argmax` with the
 * labels, …) and only so; the others as without. The prediction is then that of the first
 * `classes` output the schema names, else of the first probability output.
 */
export function summarizeRun(
  profile: Profile,
  inputs: NamedTensors,
  outputs: NamedTensors,
  schema?: ModelSchema,
): Prediction | undefined {
  if (schema) summarizeWithSchema(profile, schema, inputs);
  else for (const [name, t] of Object.entries(inputs)) summarizeTensor(profile, name, t);
  let named: Prediction | undefined;
  let detected: Prediction | undefined;
  for (const [name, t] of Object.entries(outputs)) {
    const spec = schema && Object.hasOwn(schema.outputs, name) ? schema.outputs[name] : undefined;
    if (spec) {
      summarizeClasses(profile, name, t, spec);
      named ??= predictionOf(t, spec);
      continue;
    }
    summarizeTensor(profile, name, t);
    if (t.type !== 'float32' || !isProbabilityTensor(t)) continue;
    summarizeClassifierOutput(profile, name, t);
    detected ??= predictionOf(t);
  }
  return named ?? detected;
}

/** The first row's winning class, as `summarizeClassifierOutput` records it; none for NaN. */
function predictionOf(t: Tensor, spec?: ClassesSpec): Prediction | undefined {
  const data = t.data;
  const read = (k: number) => Number(data[k]);
  const width = t.dims.length >= 2 ? data.length / (t.dims[0] || 1) : data.length;
  let best = 0;
  if (!(width >= 1)) return undefined;
  if (width === 1) {
    const x = read(0);
    if (Number.isNaN(x)) return undefined;
    // A probability of class 1, or outside [0, 1] a logit: class 1 from 0.5 (logit 0) up.
    best = (x >= 0 && x <= 1 ? x >= 0.5 : x >= 0) ? 1 : 0;
  } else {
    for (let k = 0; k < width; k++) {
      if (Number.isNaN(read(k))) return undefined;
      if (read(k) > read(best)) best = k;
    }
  }
  const labels = spec?.labels;
  return labels ? { predicted: labels[best] ?? String(best), labels } : { predicted: String(best) };
}

/**
 * Adds app-defined features: numbers to numeric sketches, strings to categorical ones. A name new
 * to the window is skipped once the window holds `LIMITS.maxFeatures` features (less the feedback
 * ones), so that the window still encodes.
 */
export function addAppFeatures(profile: Profile, features: Record<string, number | string>): void {
  for (const [name, value] of Object.entries(features)) {
    if (profile.features[name] === undefined && !hasRoom(profile, FEEDBACK_FEATURES)) continue;
    try {
      if (typeof value === 'number') numericFeature(profile, name).add(value);
      else if (typeof value === 'string') categoricalFeature(profile, name).add(value);
    } catch {
      // A name used as numeric before and categorical now is skipped, not fatal.
    }
  }
}

/** Whether `profile` can take a new feature and still leave `reserve` free under the cap. */
export function hasRoom(profile: Profile, reserve = 0): boolean {
  return Object.keys(profile.features).length < LIMITS.maxFeatures - reserve;
}
