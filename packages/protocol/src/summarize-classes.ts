import type { ClassesSpec } from './model-schema.ts';
import type { NumericSketch } from './numeric-sketch.ts';
import { numericFeature, type Profile } from './profile.ts';
import { type ClassifierSummaryOptions, summarizeClassifierOutput } from './summarize-classifier.ts';
import { rowsOf, type TensorLike } from './tensor.ts';

/** Options of {@link summarizeClasses}. */
export interface ClassesSummaryOptions extends Pick<ClassifierSummaryOptions, 'logits'> {
  /**
   * The realized class of each row (index, or label when the spec has labels), for a reference
   * profile built with labels: rows whose prediction was right also record `<t>.hit.<label>`.
   */
  truth?: ArrayLike<number | string>;
}

/**
 * Records a `classes` output: the `summarizeClassifierOutput` features (`<t>.argmax` with the
 * schema's labels, `<t>.top1`, `<t>.entropy`), and per predicted class `<t>.conf.<label>`, the
 * winning probability of each row predicted as that class. With `truth`, rows predicted right
 * also add their winning probability to `<t>.hit.<label>`, so per confidence bin (numeric sketches
 * of one alpha share bin edges) the reference's observed accuracy is `hit / conf` — the
 * calibration that `estimateAccuracy` (CBPE) applies to a window without labels.
 *
 * @example
 * summarizeClasses(reference, 'probs', probs, { kind: 'classes', labels: ['benign', 'malignant'] }, { truth: [0] });
 */
export function summarizeClasses(
  profile: Profile,
  name: string,
  tensor: TensorLike,
  spec: Pick<ClassesSpec, 'labels'>,
  opts: ClassesSummaryOptions = {},
): void {
  const { width } = rowsOf(tensor);
  const classes = width === 1 ? 2 : width;
  const labelOf = (k: number) => spec.labels?.[k] ?? String(k);
  const conf: NumericSketch[] = [];
  const hit: NumericSketch[] = [];
  for (let k = 0; k < classes; k++) {
    conf.push(numericFeature(profile, `${name}.conf.${labelOf(k)}`));
    if (opts.truth) hit.push(numericFeature(profile, `${name}.hit.${labelOf(k)}`));
  }
  const truth = opts.truth;
  const index = spec.labels ? new Map(spec.labels.map((l, k) => [l, k])) : undefined;
  const truthAt = (r: number): number | undefined => {
    const t = truth?.[r];
    if (typeof t === 'string') return index?.get(t) ?? (/^\d+$/.test(t) ? Number(t) : undefined);
    return t;
  };
  const onRow = (r: number, best: number, top1: number) => {
    conf[best]?.add(top1);
    if (truth && truthAt(r) === best) hit[best]?.add(top1);
  };
  summarizeClassifierOutput(profile, name, tensor, {
    ...(spec.labels ? { labels: spec.labels } : {}),
    ...(opts.logits !== undefined ? { logits: opts.logits } : {}),
    onRow,
  });
}
