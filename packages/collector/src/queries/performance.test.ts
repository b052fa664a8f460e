import { createProfile, numericFeature } from '@driftline/protocol';
import { describe, expect, it } from 'vitest';
import { TAB_SCHEMA, tabProfile } from '../../test/schema-fixtures.ts';
import { CollectorError } from '../errors.ts';
import { accuracyOf, calibratedOutput } from './performance.ts';

const reference = tabProfile(5_000, { seed: 1, truth: true }).profile;

describe('estimated and realized accuracy of a window', () => {
  it('a window like the reference is estimated at the reference accuracy', () => {
    const { profile, accuracy } = tabProfile(5_000, { seed: 2, feedbackShare: 1 });
    const a = accuracyOf(reference, profile, 'probs');
    expect(a.predictions).toBe(5_000);
    expect(a.uncalibrated).toBe(0);
    expect(Math.abs(a.estimated! - accuracy)).toBeLessThan(0.02);
    expect(a.realized).toBeCloseTo(accuracy, 12);
    expect(a.feedback).toBe(5_000);
  });

  it('shifted confidences: the estimate follows the true accuracy down, without any label', () => {
    const { profile, accuracy } = tabProfile(5_000, { seed: 3, confidence: [0.55, 0.75] });
    const a = accuracyOf(reference, profile, 'probs');
    expect(accuracy).toBeLessThan(0.7);
    expect(Math.abs(a.estimated! - accuracy)).toBeLessThan(0.03);
    expect(a.realized).toBeNull();
    expect(a.feedback).toBe(0);
  });

  it('realized accuracy is the mean of feedback.correct over the rows that got feedback', () => {
    const p = createProfile();
    const fb = numericFeature(p, 'feedback.correct');
    for (const v of [1, 1, 0, 1]) fb.add(v);
    const a = accuracyOf(reference, p, 'probs');
    expect(a).toMatchObject({ realized: 0.75, feedback: 4, estimated: null, predictions: 0 });
  });
});

describe('the output accuracy is estimated for', () => {
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      return err instanceof CollectorError ? `${err.status} ${err.code}` : String(err);
    }
    return 'no error';
  };

  it("is the schema's first classes output, or the one asked for", () => {
    expect(calibratedOutput(reference, TAB_SCHEMA)).toBe('probs');
    expect(calibratedOutput(reference, null, 'probs')).toBe('probs');
  });

  it('must have been calibrated with labels: else no_calibration (409)', () => {
    const unlabelled = tabProfile(500, { seed: 4 }).profile;
    expect(code(() => calibratedOutput(unlabelled, TAB_SCHEMA))).toBe('409 no_calibration');
    expect(code(() => calibratedOutput(reference, null))).toBe('409 no_calibration');
    expect(code(() => calibratedOutput(reference, TAB_SCHEMA, 'emb'))).toBe('409 no_calibration');
  });
});
