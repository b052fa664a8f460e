/** The outcome of one guard check or of the whole verdict. */
export type CheckResult = 'pass' | 'fail' | 'insufficient';

/** One comparison of candidate against stable, with its numbers. */
export interface GuardCheck {
  name: 'error_rate' | 'p95_latency' | 'drift' | 'accuracy' | 'shadow_disagreement';
  /** For per-backend checks. */
  backend?: string;
  candidate: number | string | null;
  stable: number | string | null;
  /** The limit the candidate was held to (absolute value, after applying the threshold to stable). */
  limit: number | string;
  samples: { candidate: number; stable: number };
  result: CheckResult;
}

/** A guarded rollout verdict: recorded on the policy, and in the history when it acts. */
export interface Verdict {
  at: number;
  candidate: string;
  stable: string;
  /** `fail` when any check fails; `insufficient` when a side lacks `minSamples` inferences. */
  result: CheckResult;
  window: { from: number; to: number };
  inferences: { candidate: number; stable: number };
  checks: GuardCheck[];
}
