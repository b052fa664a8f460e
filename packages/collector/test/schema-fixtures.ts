import {
  createProfile,
  numericFeature,
  type Profile,
  parseModelSchema,
  summarizeWithSchema,
} from '@driftline/protocol';
import { normal, rng } from '@driftline/protocol/testing';

/** A tabular model's schema: two numeric columns, one categorical column, a 16-d embedding, a two-class output. */
export const TAB_SCHEMA_JSON = {
  inputs: {
    x: { kind: 'columns', columns: [{ name: 'age' }, { name: 'income' }] },
    c: { kind: 'columns', columns: [{ name: 'plan', labels: ['free', 'pro'] }] },
    emb: { kind: 'embedding', projections: 8, rff: 4 },
  },
  outputs: { probs: { kind: 'classes', labels: ['no', 'yes'] } },
} as const;
export const TAB_SCHEMA = parseModelSchema(TAB_SCHEMA_JSON);
/** Tensors of the model, as a publish request lists them. */
export const TAB_TENSORS = {
  inputs: [
    { name: 'x', dtype: 'float32', shape: ['N', 2] },
    { name: 'c', dtype: 'int32', shape: ['N', 1] },
    { name: 'emb', dtype: 'float32', shape: ['N', 16] },
  ],
  outputs: [{ name: 'probs', dtype: 'float32', shape: ['N', 2] }],
};
const DIM = 16;

export interface TabOptions {
  seed?: number;
  /** Added to column `income`, in its standard deviations. */
  incomeShift?: number;
  /** Added to every component of the embedding. */
  embeddingShift?: number;
  /** Range of the winning probability; a calibrated classifier is right with that probability. */
  confidence?: [number, number];
  /** Record the realized labels (a reference profile built with labels). */
  truth?: boolean;
  /** Record `feedback.correct` for this share of rows (what devices send with rt.feedback). */
  feedbackShare?: number;
}

/**
 * `n` inferences of a calibrated two-class model summarized by the protocol's own code path
 * (summarizeWithSchema), with the realized labels for a reference and `feedback.correct` for a window.
 * Returns the profile and the true accuracy of the rows.
 */
export function tabProfile(n: number, o: TabOptions = {}): { profile: Profile; accuracy: number } {
  const u = rng(o.seed ?? 1);
  const z = normal(u);
  const [lo, hi] = o.confidence ?? [0.6, 1];
  const x = new Float32Array(n * 2);
  const plan = new Int32Array(n);
  const emb = new Float32Array(n * DIM);
  const probs = new Float32Array(n * 2);
  const truth: number[] = [];
  const correct: boolean[] = [];
  for (let i = 0; i < n; i++) {
    x[i * 2] = 40 + 10 * z();
    x[i * 2 + 1] = 50 + 10 * z() + 10 * (o.incomeShift ?? 0);
    plan[i] = u() < 0.3 ? 1 : 0;
    for (let k = 0; k < DIM; k++) emb[i * DIM + k] = z() + (o.embeddingShift ?? 0);
    const c = lo + (hi - lo) * u();
    const predicted = u() < 0.5 ? 0 : 1;
    probs[i * 2 + predicted] = c;
    probs[i * 2 + 1 - predicted] = 1 - c;
    const right = u() < c;
    correct.push(right);
    truth.push(right ? predicted : 1 - predicted);
  }
  const profile = createProfile();
  profile.inferences = n;
  summarizeWithSchema(
    profile,
    TAB_SCHEMA,
    {
      x: { data: x, dims: [n, 2] },
      c: { data: plan, dims: [n, 1] },
      emb: { data: emb, dims: [n, DIM] },
      probs: { data: probs, dims: [n, 2] },
    },
    o.truth ? { probs: truth } : undefined,
  );
  const share = o.feedbackShare ?? 0;
  if (share > 0) {
    const fb = numericFeature(profile, 'feedback.correct');
    for (let i = 0; i < n; i++) if (u() < share) fb.add(correct[i] ? 1 : 0);
  }
  return { profile, accuracy: correct.filter(Boolean).length / n };
}
