import type { ClassesSpec } from './model-schema.ts';
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
const namesCache = new WeakMap<readonly string[], Map<string, ClassNames>>();

/** Feature names per class, built once per labels array, tensor name and class count. */
interface ClassNames {
  conf: string[];
  hit: string[];
}
// The last answer: a device summarizes one output tensor over and over.
let last:
  | { name: string; labels: readonly string[] | undefined; classes: number; names: ClassNames }
  | undefined;

function namesOf(name: string, labels: readonly string[] | undefined, classes: number): ClassNames {
  if (last && last.name === name && last.labels === labels && last.classes === classes) return last.names;
  const names = buildNames(name, labels, classes);
  last = { name, labels, classes, names };
  return names;
}

function buildNames(name: string, labels: readonly string[] | undefined, classes: number): ClassNames {
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
  const truth = opts.truth;
  if (profile.features[names.conf[0]!] === undefined) {
    // First call for this profile: create every class's sketches, so all windows hold the same features.
    for (const n of names.conf) numericFeature(profile, n);
    if (truth) for (const n of names.hit) numericFeature(profile, n);
  }
  // One module-level callback and options object: nothing is allocated per call.
  row.profile = profile;
  row.names = names;
  row.classes = classes;
  row.truth = truth;
  row.labels = spec.labels;
  classifier.labels = spec.labels;
  classifier.logits = opts.logits;
  try {
    summarizeClassifierOutput(profile, name, tensor, classifier);
  } finally {
    row.profile = undefined;
    row.truth = undefined;
  }
}

const row: {
  profile: Profile | undefined;
  names: ClassNames;
  classes: number;
  truth: ArrayLike<number | string> | undefined;
  labels: readonly string[] | undefined;
} = { profile: undefined, names: { conf: [], hit: [] }, classes: 0, truth: undefined, labels: undefined };

function truthAt(r: number): number | undefined {
  const t = row.truth?.[r];
  if (typeof t !== 'string') return t;
  const k = row.labels?.indexOf(t) ?? -1;
  return k >= 0 ? k : /^\d+$/.test(t) ? Number(t) : undefined;
}

function onRow(r: number, best: number, top1: number): void {
  const profile = row.profile;
  if (profile === undefined || best >= row.classes) return;
  numericFeature(profile, row.names.conf[best]!).add(top1);
  if (row.truth && truthAt(r) === best) numericFeature(profile, row.names.hit[best]!).add(top1);
}

const classifier: ClassifierSummaryOptions = { onRow };
