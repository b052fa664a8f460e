/**
 * Thresholds of the guarded rollout, per model. The candidate is compared with stable on the same
 * time window; a check breaches when the candidate is worse than stable by more than its limit.
 */
export interface GuardSettings {
  /** Evaluate this model's candidates at all. */
  enabled: boolean;
  /** Roll a breaching candidate back by itself (otherwise only the verdict is recorded). */
  autoRollback: boolean;
  /** Promote a candidate whose verdicts passed for this long (ms); null never auto-promotes. */
  autoPromoteAfterMs: number | null;
  /** The compared window: the last `windowMs`, but never before the candidate started. */
  windowMs: number;
  /** Inferences each side needs before any verdict (and latency samples per backend). */
  minSamples: number;
  /** Largest allowed rise of the error rate (errors / inferences), absolute: 0.01 = 1 point. */
  maxErrorRateIncrease: number;
  /** Largest allowed relative rise of p95 total latency on any backend: 0.5 = 50 % slower. */
  maxP95Increase: number;
  /** Breach when the candidate's drift status reaches this level (`off` disables the check). */
  driftStatus: 'warn' | 'alert' | 'off';
  /** Largest allowed fall of feedback accuracy (mean of `feedback.correct`), absolute. */
  maxAccuracyDrop: number;
  /** Largest allowed shadow disagreement (1 − mean of `shadow.top1_agree`) of the candidate run as shadow. */
  maxShadowDisagreement: number;
}

/** Defaults of {@link GuardSettings}. */
export const DEFAULT_GUARD: GuardSettings = {
  enabled: true,
  autoRollback: true,
  autoPromoteAfterMs: null,
  windowMs: 15 * 60_000,
  minSamples: 200,
  maxErrorRateIncrease: 0.01,
  maxP95Increase: 0.5,
  driftStatus: 'alert',
  maxAccuracyDrop: 0.02,
  maxShadowDisagreement: 0.2,
};

/** JSON schema of a partial GuardSettings (route bodies). */
export const guardSettingsSchema = {
  type: 'object',
  properties: {
    enabled: { type: 'boolean' },
    autoRollback: { type: 'boolean' },
    autoPromoteAfterMs: { type: ['integer', 'null'], minimum: 0 },
    windowMs: { type: 'integer', minimum: 60_000 },
    minSamples: { type: 'integer', minimum: 1 },
    maxErrorRateIncrease: { type: 'number', minimum: 0, maximum: 1 },
    maxP95Increase: { type: 'number', minimum: 0 },
    driftStatus: { type: 'string', enum: ['warn', 'alert', 'off'] },
    maxAccuracyDrop: { type: 'number', minimum: 0, maximum: 1 },
    maxShadowDisagreement: { type: 'number', minimum: 0, maximum: 1 },
  },
  additionalProperties: false,
} as const;
