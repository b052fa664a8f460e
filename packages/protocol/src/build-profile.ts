import { ProtocolError } from './errors.ts';
import { categoricalFeature, createProfile, numericFeature, type Profile } from './profile.ts';
import { isProbabilityTensor, summarizeClassifierOutput } from './summarize-classifier.ts';
import { summarizeTensor } from './summarize-tensor.ts';
import type { TensorData, TensorLike } from './tensor.ts';

/** One named value of a sample: a tensor, a flat array (one row), a number or a category. */
export type SampleValue = TensorLike | TensorData | number | string;

/** Options of {@link buildProfile}. */
export interface BuildProfileOptions {
  /**
   * Which tensors also get classifier features (`.argmax`, `.top1`, `.entropy`): a list of names,
   * or `'auto'` (default) for every tensor that {@link isProbabilityTensor} accepts.
   */
  classifierOutputs?: readonly string[] | 'auto';
  /** Class names per classifier output name. */
  labels?: Record<string, readonly string[]>;
}

function isTensor(v: SampleValue): v is TensorLike {
  return typeof v === 'object' && v !== null && 'dims' in v && 'data' in v;
}

/**
 * Builds a reference profile from samples (one per inference, e.g. the training or validation set)
 * with the same summarizers the runtime uses, so the collector can compare the fleet with it. This
 * is the `driftline-profile` library function; it runs in Node and in the browser.
 *
 * Strings become categorical features, numbers numeric features, tensors and arrays the
 * {@link summarizeTensor} features (plus the classifier features where asked or detected).
 *
 * @example
 * const ref = buildProfile(validation.map((x, i) => ({ input: { data: x, dims: [1, 784] }, label: String(y[i]) })));
 * writeFileSync('reference.bin', encodeProfile(ref));
 */
export function buildProfile(
  samples: Iterable<Record<string, SampleValue>>,
  opts: BuildProfileOptions = {},
): Profile {
  const profile = createProfile();
  const classifiers = opts.classifierOutputs ?? 'auto';
  const decided = new Map<string, boolean>();
  for (const sample of samples) {
    profile.inferences++;
    for (const [name, value] of Object.entries(sample)) {
      if (typeof value === 'string') categoricalFeature(profile, name).add(value);
      else if (typeof value === 'number') numericFeature(profile, name).add(value);
      else if (typeof value === 'object' && value !== null) {
        const tensor = isTensor(value) ? value : { data: value, dims: [value.length] };
        summarizeTensor(profile, name, tensor);
        let wanted = decided.get(name);
        if (wanted === undefined) {
          // Decided once per name, so every sample records the same features.
          wanted = classifiers === 'auto' ? isProbabilityTensor(tensor) : classifiers.includes(name);
          decided.set(name, wanted);
        }
        if (wanted) {
          const labels = opts.labels?.[name];
          summarizeClassifierOutput(profile, name, tensor, labels ? { labels } : {});
        }
      } else {
        throw new ProtocolError(
          'INVALID_ARGUMENT',
          `Sample value "${name}" is ${typeof value}; give a tensor, an array, a number or a string.`,
        );
      }
    }
  }
  return profile;
}
