import {
  categoricalFeature,
  isProbabilityTensor,
  numericFeature,
  type Profile,
  summarizeClassifierOutput,
  summarizeTensor,
} from '@driftline/protocol';
import type { NamedTensors, Tensor } from '../tensor.ts';

/**
 * Adds one run's default features to `profile`: the tensor features of every input and output,
 * and for outputs that hold probabilities the class features (`<name>.argmax`, `.top1`,
 * `.entropy`). Returns the predicted class of the first classifier output's first row (for
 * feedback), if there is one.
 */
export function summarizeRun(
  profile: Profile,
  inputs: NamedTensors,
  outputs: NamedTensors,
): string | undefined {
  for (const [name, t] of Object.entries(inputs)) summarizeTensor(profile, name, t);
  let predicted: string | undefined;
  for (const [name, t] of Object.entries(outputs)) {
    summarizeTensor(profile, name, t);
    if (t.type !== 'float32' || !isProbabilityTensor(t)) continue;
    summarizeClassifierOutput(profile, name, t);
    predicted ??= firstRowArgmax(t);
  }
  return predicted;
}

function firstRowArgmax(t: Tensor): string {
  const data = t.data as Float32Array;
  const width = t.dims.length >= 2 ? data.length / (t.dims[0] || 1) : data.length;
  let best = 0;
  for (let k = 1; k < width; k++) if (data[k]! > data[best]!) best = k;
  return String(best);
}

/** Adds app-defined features: numbers to numeric sketches, strings to categorical ones. */
export function addAppFeatures(profile: Profile, features: Record<string, number | string>): void {
  for (const [name, value] of Object.entries(features)) {
    try {
      if (typeof value === 'number') numericFeature(profile, name).add(value);
      else if (typeof value === 'string') categoricalFeature(profile, name).add(value);
    } catch {
      // A name used as numeric before and categorical now is skipped, not fatal.
    }
  }
}
