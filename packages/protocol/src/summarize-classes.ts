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

const NO_LABELS: readonly string[] = [];
const namesCache = new WeakMap<readonly string[], Map<string, { conf: string[]; hit: string[] }>>();

/** Feature names per class, built once per labels array, tensor name and class count. */
function namesOf(name: string, labels: readonly string[] | undefined, classes: number) {
  const owner = labels ?? NO_LABELS;
  let byName = namesCache.get(owner);
  if (!byName) {
    byName = new Map();
    namesCache.set(owner, byName);
  }
  const key = `${classes}/${name}`;
  let names = byName.get(key);
  if (!names) {
    const label = (k: number) => labels?.[k] ?? String(k);
    names = {
      conf: Array.from({ length: classes }, (_, k) => `${name}.conf.${label(k)}`),
      hit: Array.from({ length: classes }, (_, k) => `${name}.hit.${label(k)}`),
    };
    if (byName.size > 64) byName.clear();
    byName.set(key, names);
  }
  return names;
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
  const names = namesOf(name, spec.labels, classes);
  // Looked up when a row first predicts the class: one lookup per row, not one per class.
  const conf: Array<NumericSketch | undefined> = [];
  const hit: Array<NumericSketch | undefined> = [];
  const truth = opts.truth;
  if (profile.features[names.conf[0]!] === undefined) {
    // First call for this profile: create every class's sketches, so all windows hold the same features.
    for (const n of names.conf) numericFeature(profile, n);
    if (truth) for (const n of names.hit) numericFeature(profile, n);
  }
  const truthAt = (r: number): number | undefined => {
    const t = truth?.[r];
    if (typeof t !== 'string') return t;
    const k = spec.labels?.indexOf(t) ?? -1;
    return k >= 0 ? k : /^\d+$/.test(t) ? Number(t) : undefined;
  };
  const classifier: ClassifierSummaryOptions = {
    onRow: (r, best, top1) => {
      if (best >= classes) return;
      let c = conf[best];
      if (c === undefined) {
        c = numericFeature(profile, names.conf[best]!);
        conf[best] = c;
      }
      c.add(top1);
      if (!truth || truthAt(r) !== best) return;
      let h = hit[best];
      if (h === undefined) {
        h = numericFeature(profile, names.hit[best]!);
        hit[best] = h;
      }
      h.add(top1);
    },
  };
  if (spec.labels) classifier.labels = spec.labels;
  if (opts.logits !== undefined) classifier.logits = opts.logits;
  summarizeClassifierOutput(profile, name, tensor, classifier);
}
