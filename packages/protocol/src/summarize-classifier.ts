import type { CategoricalSketch } from './categorical-sketch.ts';
import type { NumericSketch } from './numeric-sketch.ts';
import { categoricalFeature, numericFeature, type Profile } from './profile.ts';
import { readNumber, rowsOf, type TensorLike } from './tensor.ts';

/** Options of {@link summarizeClassifierOutput}. */
export interface ClassifierSummaryOptions {
  /** Class names by index; the argmax label is the index as a string when absent. */
  labels?: readonly string[];
  /** `true`: rows are logits (softmax first); `false`: rows are probabilities; default: detect per row. */
  logits?: boolean;
  /** Called once per row that has a winner, with the winning class index and its probability. */
  onRow?: (row: number, best: number, top1: number) => void;
}

/** Label recorded for a row that holds NaN, where no class wins. */
export const NAN_CLASS_LABEL = 'NaN';

/**
 * Records the features of a classifier's output, one value per row (per sample): `<name>.argmax`
 * (categorical: the winning class), `<name>.top1` (its probability) and `<name>.entropy` (of the
 * row's distribution, in nats). Rows that are not probabilities (a value outside [0, 1] or a sum off
 * by more than 1e-3) are read as logits and go through a softmax first, unless `logits` says. A
 * tensor with one value per row is a binary classifier: the probability (or logit, through a
 * sigmoid) of class `1` against class `0`.
 *
 * @example
 * summarizeClassifierOutput(profile, 'probs', { data: probs, dims: [1, 10] });
 */
export function summarizeClassifierOutput(
  profile: Profile,
  name: string,
  probs: TensorLike,
  opts: ClassifierSummaryOptions = {},
): void {
  const { rows, width } = rowsOf(probs);
  const argmax = categoricalFeature(profile, `${name}.argmax`);
  const top1 = numericFeature(profile, `${name}.top1`);
  const entropy = numericFeature(profile, `${name}.entropy`);
  if (width === 1) {
    summarizeBinary(argmax, top1, entropy, probs, rows, opts);
    return;
  }
  const row = new Float64Array(width);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    let bestValue = Number.NEGATIVE_INFINITY;
    let sum = 0;
    let probabilities = true;
    let hasNaN = false;
    for (let k = 0; k < width; k++) {
      const x = readNumber(probs.data, r * width + k);
      row[k] = x;
      if (Number.isNaN(x)) hasNaN = true;
      if (!(x >= 0 && x <= 1)) probabilities = false;
      sum += x;
      if (x > bestValue) {
        bestValue = x;
        best = k;
      }
    }
    if (hasNaN || width === 0) {
      argmax.add(NAN_CLASS_LABEL);
      top1.add(Number.NaN);
      entropy.add(Number.NaN);
      continue;
    }
    const asLogits = opts.logits ?? !(probabilities && Math.abs(sum - 1) <= 1e-3);
    let total = 0;
    if (asLogits) {
      for (let k = 0; k < width; k++) {
        row[k] = Math.exp(row[k]! - bestValue);
        total += row[k]!;
      }
    } else total = sum;
    let h = 0;
    for (let k = 0; k < width; k++) {
      const p = row[k]! / total;
      if (p > 0) h -= p * Math.log(p);
    }
    argmax.add(opts.labels?.[best] ?? String(best));
    top1.add(row[best]! / total);
    entropy.add(h);
    opts.onRow?.(r, best, row[best]! / total);
  }
}

/** One output per row: the probability (or, outside [0, 1], the logit) of class 1 against class 0. */
function summarizeBinary(
  argmax: CategoricalSketch,
  top1: NumericSketch,
  entropy: NumericSketch,
  probs: TensorLike,
  rows: number,
  opts: ClassifierSummaryOptions,
): void {
  for (let r = 0; r < rows; r++) {
    const x = readNumber(probs.data, r);
    if (Number.isNaN(x)) {
      argmax.add(NAN_CLASS_LABEL);
      top1.add(Number.NaN);
      entropy.add(Number.NaN);
      continue;
    }
    const p = (opts.logits ?? !(x >= 0 && x <= 1)) ? 1 / (1 + Math.exp(-x)) : x;
    const best = p >= 0.5 ? 1 : 0;
    argmax.add(opts.labels?.[best] ?? String(best));
    top1.add(Math.max(p, 1 - p));
    opts.onRow?.(r, best, Math.max(p, 1 - p));
    entropy.add((p > 0 ? -p * Math.log(p) : 0) + (p < 1 ? -(1 - p) * Math.log(1 - p) : 0));
  }
}

/**
 * Whether a tensor looks like a classifier's probabilities: a last dim of 2 to 4096 and, in the
 * first 16 rows, every value in [0, 1] with each row summing to 1 within 1e-3.
 */
export function isProbabilityTensor(t: TensorLike): boolean {
  const { rows, width } = rowsOf(t);
  if (rows === 0 || width < 2 || width > 4096) return false;
  for (let r = 0; r < Math.min(rows, 16); r++) {
    let sum = 0;
    for (let k = 0; k < width; k++) {
      const x = readNumber(t.data, r * width + k);
      if (!(x >= 0 && x <= 1)) return false;
      sum += x;
    }
    if (Math.abs(sum - 1) > 1e-3) return false;
  }
  return true;
}
