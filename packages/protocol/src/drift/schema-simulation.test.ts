import { describe, expect, test } from 'vitest';
import { embeddingBasis } from '../embedding-basis.ts';
import type { NumericSketch } from '../numeric-sketch.ts';
import { createProfile, numericFeature, type Profile } from '../profile.ts';
import { summarizeClasses } from '../summarize-classes.ts';
import { summarizeColumns } from '../summarize-columns.ts';
import { summarizeEmbedding } from '../summarize-embedding.ts';
import { normal, rng } from '../testing/random.ts';
import { estimateAccuracy } from './cbpe.ts';
import { compareEmbedding } from './embedding-drift.ts';
import { compareProfiles } from './profile-drift.ts';

// Seeded simulations of the detection targets, with the default thresholds. Trial counts
// are in the test names; docs/protocol.md ("Schema summaries") quotes the rates these runs give.

describe('columns: one of 30 columns shifted by 0.3σ at n = 5000', () => {
  const COLS = 30;
  const N = 5000;
  const TRIALS = 60;
  const spec = { columns: Array.from({ length: COLS }, (_, c) => ({ name: `c${c}` })) };
  const z = normal(rng(314));
  const windowOf = (shifted: number, shift: number) => {
    const data = new Float64Array(N * COLS);
    for (let i = 0; i < data.length; i++)
      data[i] = z() * (1 + (i % COLS)) + (i % COLS === shifted ? shift * (1 + shifted) : 0);
    const p = createProfile();
    p.inferences = N;
    summarizeColumns(p, 'x', { data, dims: [N, COLS] }, spec);
    return p;
  };

  test(`the shifted column is flagged in >= 95% and the other 29 stay ok in >= 99% of ${TRIALS} trials`, () => {
    let flagged = 0;
    let othersOk = 0;
    for (let t = 0; t < TRIALS; t++) {
      const shifted = t % COLS;
      const d = compareProfiles(windowOf(-1, 0), windowOf(shifted, 0.3));
      if (d[`x.c${shifted}`]!.status !== 'ok') flagged++;
      for (let c = 0; c < COLS; c++) if (c !== shifted && d[`x.c${c}`]!.status === 'ok') othersOk++;
    }
    expect(flagged / TRIALS).toBeGreaterThanOrEqual(0.95);
    expect(othersOk / (TRIALS * (COLS - 1))).toBeGreaterThanOrEqual(0.99);
  });
});

describe('embedding, d = 64', () => {
  const D = 64;
  const u = rng(2718);
  const z = normal(u);

  function embeddingWindow(
    n: number,
    shift: number,
    spec = { projections: 16, seed: 5, rff: 8, bandwidth: 1 },
  ) {
    const data = new Float32Array(n * D);
    for (let i = 0; i < data.length; i++) data[i] = z() + (i % D === 0 ? shift : 0);
    const p = createProfile();
    p.inferences = n;
    summarizeEmbedding(p, 'e', { data, dims: [n, D] }, spec);
    return p;
  }

  test("pure noise at n = 1500 per side (Evidently's setting): flagged in < 1% of 100 trials, while the uncorrected distance passes Evidently's 0.2", () => {
    let flagged = 0;
    let rawAbove = 0;
    for (let t = 0; t < 100; t++) {
      const d = compareEmbedding(embeddingWindow(1500, 0), embeddingWindow(1500, 0), 'e');
      if (d.status !== 'ok') flagged++;
      if (d.rawMeanDistance > 0.2) rawAbove++;
    }
    expect(flagged).toBe(0);
    expect(rawAbove).toBeGreaterThanOrEqual(95);
  });

  // A shift of δ along one unit direction in d dims is a non-centrality of n·δ²/2 for the mean test
  // over all d directions: 25 at n = 5000, which no test that does not know the direction detects
  // 95% of the time in 64 dims (chi-square, 64 df: about 40%). So this runs at n = 20000 with
  // projections = d. Projections of isotropic N(μ, I) data on an orthonormal basis are N(Rμ, I):
  // the trials below draw them directly (the full summarizer runs once, in the last test).
  const N = 20_000;
  const R = embeddingBasis(D, D, 0, 5, 1).projections;
  function projectedWindow(shift: number): Profile {
    const p = createProfile();
    p.inferences = N;
    const sketches = Array.from({ length: D }, (_, k) => numericFeature(p, `e.proj${k}`));
    for (let k = 0; k < D; k++) {
      const mean = shift * R[k * D]!; // the shift is along axis 0
      const s = sketches[k]!;
      for (let i = 0; i < N; i++) s.add(mean + z());
    }
    return p;
  }

  test(`a 0.1σ mean shift along one direction at n = ${N}, projections = 64: flagged in >= 95% of 40 trials, pure noise in none of 40`, () => {
    const ref = projectedWindow(0);
    let flagged = 0;
    for (let t = 0; t < 40; t++)
      if (compareEmbedding(ref, projectedWindow(0.1), 'e').status !== 'ok') flagged++;
    let noise = 0;
    for (let t = 0; t < 40; t++) if (compareEmbedding(ref, projectedWindow(0), 'e').status !== 'ok') noise++;
    expect(flagged / 40).toBeGreaterThanOrEqual(0.95);
    expect(noise).toBe(0);
  }, 60_000);

  test('through the summarizer: a 0.1σ shift at n = 20000 is flagged and its mean distance is about 0.1', () => {
    const spec = { projections: D, seed: 5, rff: 8, bandwidth: 1 };
    const d = compareEmbedding(embeddingWindow(N, 0, spec), embeddingWindow(N, 0.1, spec), 'e');
    expect(d.status).not.toBe('ok');
    expect(d.meanDistance).toBeGreaterThan(0.05);
    expect(d.meanDistance).toBeLessThan(0.15);
  });

  test('MMD on its own fires on a 3σ shift along one axis at n = 2000', () => {
    const spec = { projections: 16, seed: 5, rff: 8, bandwidth: 1 };
    const ref = embeddingWindow(2000, 0, spec);
    const cur = embeddingWindow(2000, 3, spec);
    const d = compareEmbedding(ref, cur, 'e');
    expect(d.mmdZ).toBeGreaterThan(12);
    expect(d.status).toBe('alert');
  });
});

describe('CBPE at n = 5000', () => {
  const N = 5000;
  const u = rng(1618);
  // Three classes; the winner's probability c, the two others (1 − c)/2 each. P(correct | c) = acc(c).
  function window(conf: () => number, acc: (c: number) => number, truth: boolean) {
    const probs = new Float32Array(N * 3);
    const labels: number[] = [];
    let right = 0;
    let expected = 0;
    for (let i = 0; i < N; i++) {
      const c = conf();
      const k = Math.floor(u() * 3);
      for (let j = 0; j < 3; j++) probs[i * 3 + j] = j === k ? c : (1 - c) / 2;
      const ok = u() < acc(c);
      expected += acc(c);
      if (ok) right++;
      labels.push(ok ? k : (k + 1 + Math.floor(u() * 2)) % 3);
    }
    const p = createProfile();
    p.inferences = N;
    summarizeClasses(
      p,
      'y',
      { data: probs, dims: [N, 3] },
      { labels: ['a', 'b', 'c'] },
      truth ? { truth: labels } : {},
    );
    return { p, realized: right / N, expected: expected / N };
  }
  const wide = () => 0.4 + 0.6 * u();
  const unsure = () => 0.4 + 0.4 * u();
  const calibrated = (c: number) => c;
  const overconfident = (c: number) => c * c;

  test('calibrated: within 2 points of the true accuracy in each of 20 trials, under a confidence shift', () => {
    for (let t = 0; t < 20; t++) {
      const ref = window(wide, calibrated, true);
      const cur = window(unsure, calibrated, false);
      const e = estimateAccuracy(ref.p, cur.p, 'y');
      expect(Math.abs(e.estimated - cur.expected)).toBeLessThanOrEqual(0.02);
      expect(Math.abs(e.estimated - cur.realized)).toBeLessThanOrEqual(0.03);
      expect(Math.abs(e.referenceAccuracy - ref.realized)).toBeLessThan(1e-12);
      expect(e.uncalibrated).toBe(0);
    }
  });

  test('mis-calibrated (overconfident): the reference calibration tracks the shift, raw confidence does not', () => {
    const ref = window(wide, overconfident, true);
    const cur = window(unsure, overconfident, false);
    const e = estimateAccuracy(ref.p, cur.p, 'y');
    expect(Math.abs(e.estimated - cur.expected)).toBeLessThanOrEqual(0.02);
    let conf = 0;
    for (const l of ['a', 'b', 'c']) conf += (cur.p.features[`y.conf.${l}`] as NumericSketch).sum;
    expect(conf / N - cur.expected).toBeGreaterThan(0.1); // mean confidence overstates by > 10 points
  });

  test('limit: a change of P(correct | confidence) itself (concept drift) is invisible to CBPE', () => {
    const ref = window(wide, calibrated, true);
    const cur = window(wide, overconfident, false);
    const e = estimateAccuracy(ref.p, cur.p, 'y');
    expect(e.estimated - cur.expected).toBeGreaterThan(0.1);
  });
});
