import { compareProfiles, overallStatus, type Profile } from '@driftline/protocol';
import type { GuardSettings } from './guard-settings.ts';
import type { CheckResult, GuardCheck, Verdict } from './verdict.ts';

/** The merged telemetry of one version on the compared window. */
export interface VersionWindow {
  /** All primary windows merged. */
  total: Profile;
  /** Primary windows merged per backend. */
  byBackend: Map<string, Profile>;
}

/** What the judge compares: candidate and stable on the same window, and the candidate's shadow runs. */
export interface JudgeInput {
  candidate: { version: string } & VersionWindow;
  stable: { version: string } & VersionWindow;
  /** The candidate's windows with role `shadow` (it ran beside stable), merged. */
  shadow: Profile | null;
  /** The candidate's uploaded reference profile, if any: drift is measured against it, else against stable. */
  reference: Profile | null;
  window: { from: number; to: number };
  at: number;
}

const RANK = { ok: 0, insufficient: 0, warn: 1, alert: 2 } as const;
const mean = (p: Profile, feature: string): { value: number; n: number } | null => {
  const s = p.features[feature];
  if (!s || !('mean' in s) || s.count === 0) return null;
  return { value: s.mean, n: s.count };
};

// Labels and shadow agreement have their own checks; drift is about inputs and outputs.
const OWN_CHECKS = /^(feedback|shadow)\./;
function driftStatus(ref: Profile, cur: Profile) {
  const all = compareProfiles(ref, cur);
  return overallStatus(Object.fromEntries(Object.entries(all).filter(([name]) => !OWN_CHECKS.test(name))));
}

/**
 * Compares a candidate with stable on one window and answers the verdict with its numbers. No
 * verdict (`insufficient`) until both sides have `minSamples` inferences; then a check fails when the
 * candidate is worse than stable by more than its threshold: error rate, p95 total latency per
 * backend (backends with `minSamples` latency samples on both sides), drift status of the inputs
 * and outputs (vs the candidate's reference profile, else vs stable), feedback accuracy (`feedback.correct`) and shadow
 * disagreement (`shadow.top1_agree`), each only where both sides have the data.
 */
export function judgeCandidate(input: JudgeInput, g: GuardSettings): Verdict {
  const c = input.candidate.total;
  const s = input.stable.total;
  const samples = { candidate: c.inferences, stable: s.inferences };
  const checks: GuardCheck[] = [];
  const verdict = (result: CheckResult): Verdict => ({
    at: input.at,
    candidate: input.candidate.version,
    stable: input.stable.version,
    result,
    window: input.window,
    inferences: samples,
    checks,
  });
  if (c.inferences < g.minSamples || s.inferences < g.minSamples) return verdict('insufficient');

  const rate = (p: Profile) => p.errors / Math.max(1, p.inferences);
  const errLimit = rate(s) + g.maxErrorRateIncrease;
  checks.push({
    name: 'error_rate',
    candidate: rate(c),
    stable: rate(s),
    limit: errLimit,
    samples,
    result: rate(c) > errLimit ? 'fail' : 'pass',
  });

  for (const [backend, cp] of input.candidate.byBackend) {
    const cl = cp.latency.total;
    const sl = input.stable.byBackend.get(backend)?.latency.total;
    const n = { candidate: cl?.count ?? 0, stable: sl?.count ?? 0 };
    if (!cl || !sl || n.candidate < g.minSamples || n.stable < g.minSamples) continue;
    const cp95 = cl.quantile(0.95);
    const sp95 = sl.quantile(0.95);
    const limit = sp95 * (1 + g.maxP95Increase);
    checks.push({
      name: 'p95_latency',
      backend,
      candidate: cp95,
      stable: sp95,
      limit,
      samples: n,
      result: cp95 > limit ? 'fail' : 'pass',
    });
  }

  if (g.driftStatus !== 'off') {
    const ref = input.reference ?? s;
    const status = driftStatus(ref, c);
    const stableStatus = input.reference ? driftStatus(ref, s) : 'ok';
    checks.push({
      name: 'drift',
      candidate: status,
      stable: stableStatus,
      limit: g.driftStatus,
      samples: { candidate: c.inferences, stable: input.reference ? s.inferences : ref.inferences },
      result:
        status === 'insufficient'
          ? 'insufficient'
          : RANK[status] >= RANK[g.driftStatus] && RANK[status] > RANK[stableStatus]
            ? 'fail'
            : 'pass',
    });
  }

  const ca = mean(c, 'feedback.correct');
  const sa = mean(s, 'feedback.correct');
  if (ca && sa) {
    const enough = ca.n >= g.minSamples && sa.n >= g.minSamples;
    const limit = sa.value - g.maxAccuracyDrop;
    checks.push({
      name: 'accuracy',
      candidate: ca.value,
      stable: sa.value,
      limit,
      samples: { candidate: ca.n, stable: sa.n },
      result: !enough ? 'insufficient' : ca.value < limit ? 'fail' : 'pass',
    });
  }

  const agree = input.shadow ? mean(input.shadow, 'shadow.top1_agree') : null;
  if (agree) {
    const disagreement = 1 - agree.value;
    checks.push({
      name: 'shadow_disagreement',
      candidate: disagreement,
      stable: null,
      limit: g.maxShadowDisagreement,
      samples: { candidate: agree.n, stable: 0 },
      result:
        agree.n < g.minSamples ? 'insufficient' : disagreement > g.maxShadowDisagreement ? 'fail' : 'pass',
    });
  }

  return verdict(checks.some((x) => x.result === 'fail') ? 'fail' : 'pass');
}
