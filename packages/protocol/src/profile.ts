import { CategoricalSketch } from './categorical-sketch.ts';
import { ProtocolError } from './errors.ts';
import { NumericSketch } from './numeric-sketch.ts';

/** A feature of a profile: a numeric or a categorical sketch. */
export type FeatureSketch = NumericSketch | CategoricalSketch;

/**
 * The summary of one window of inferences of one model version. Profiles merge exactly (see
 * {@link mergeProfiles}); the collector keeps nothing else about a window.
 */
export interface Profile {
  /** Inferences run in the window. */
  inferences: number;
  /** Inferences that failed. */
  errors: number;
  /** Latency in milliseconds per stage (`load`, `run`, `total`, …). */
  latency: Record<string, NumericSketch>;
  /** Named features (`input.mean`, `probs.argmax`, …). */
  features: Record<string, FeatureSketch>;
}

/** A new empty profile. Its records have no prototype, so any feature name is a plain key. */
export function createProfile(): Profile {
  return { inferences: 0, errors: 0, latency: Object.create(null), features: Object.create(null) };
}

/** The numeric feature `name`, created with `opts` when absent; throws when it is categorical. */
export function numericFeature(
  profile: Profile,
  name: string,
  opts?: ConstructorParameters<typeof NumericSketch>[0],
): NumericSketch {
  const f = profile.features[name];
  if (f instanceof NumericSketch) return f;
  if (f === undefined) {
    const created = new NumericSketch(opts);
    profile.features[name] = created;
    return created;
  }
  throw kindMismatch(name);
}

/** The categorical feature `name`, created with `opts` when absent; throws when it is numeric. */
export function categoricalFeature(
  profile: Profile,
  name: string,
  opts?: ConstructorParameters<typeof CategoricalSketch>[0],
): CategoricalSketch {
  const f = profile.features[name];
  if (f instanceof CategoricalSketch) return f;
  if (f === undefined) {
    const created = new CategoricalSketch(opts);
    profile.features[name] = created;
    return created;
  }
  throw kindMismatch(name);
}

/** The latency sketch of `stage` (milliseconds), created when absent. */
export function latencySketch(profile: Profile, stage: string): NumericSketch {
  const s = profile.latency[stage];
  if (s !== undefined) return s;
  const created = new NumericSketch();
  profile.latency[stage] = created;
  return created;
}

function kindMismatch(name: string): ProtocolError {
  return new ProtocolError(
    'FEATURE_KIND_MISMATCH',
    `Feature "${name}" is numeric on one side and categorical on the other; give the two kinds different names.`,
  );
}

/** A deep copy of a profile. */
export function cloneProfile(p: Profile): Profile {
  const out = createProfile();
  out.inferences = p.inferences;
  out.errors = p.errors;
  for (const [k, s] of Object.entries(p.latency)) out.latency[k] = s.clone();
  for (const [k, s] of Object.entries(p.features)) out.features[k] = s.clone();
  return out;
}

function sameKind(a: FeatureSketch | undefined, b: FeatureSketch): boolean {
  return a === undefined || a instanceof NumericSketch === b instanceof NumericSketch;
}

/**
 * Merges `source` into `target` in place and returns `target` (the cheap way to fold many windows
 * into one). Checks every feature's kind before changing anything, so a `FEATURE_KIND_MISMATCH`
 * leaves `target` as it was.
 */
export function mergeProfileInto(target: Profile, source: Profile): Profile {
  for (const [k, s] of Object.entries(source.features))
    if (!sameKind(target.features[k], s)) throw kindMismatch(k);
  target.inferences += source.inferences;
  target.errors += source.errors;
  for (const [k, s] of Object.entries(source.latency)) {
    const t = target.latency[k];
    if (t === undefined) target.latency[k] = s.clone();
    else t.merge(s);
  }
  for (const [k, s] of Object.entries(source.features)) {
    const t = target.features[k];
    if (t === undefined) target.features[k] = s.clone();
    else if (t instanceof NumericSketch) t.merge(s as NumericSketch);
    else t.merge(s as CategoricalSketch);
  }
  return target;
}

/**
 * The profile of the union of two windows: counts added, sketches merged per name. Returns a new
 * profile and leaves both inputs untouched. Associative and commutative, bin for bin.
 */
export function mergeProfiles(a: Profile, b: Profile): Profile {
  return mergeProfileInto(cloneProfile(a), b);
}
