import { createProfile, latencySketch, numericFeature, type Profile } from '@driftline/protocol';
import { describe, expect, test } from 'vitest';
import { DEFAULT_GUARD } from './guard-settings.ts';
import { type JudgeInput, judgeCandidate } from './judge-candidate.ts';

/** A window of `n` inferences: latency around `ms`, `errors`, optional feedback and shadow agreement rates. */
function window(
  n: number,
  o: { ms?: number; errors?: number; correct?: number; agree?: number; shift?: number } = {},
): Profile {
  const p = createProfile();
  p.inferences = n;
  p.errors = o.errors ?? 0;
  const lat = latencySketch(p, 'total');
  const top1 = numericFeature(p, 'top1');
  for (let i = 0; i < n; i++) {
    lat.add((o.ms ?? 5) * (0.8 + ((i * 7919) % 400) / 1000));
    top1.add((o.shift ?? 0) + ((i * 104_729) % 1000) / 1000);
    if (o.correct !== undefined) numericFeature(p, 'feedback.correct').add(i < o.correct * n ? 1 : 0);
    if (o.agree !== undefined) numericFeature(p, 'shadow.top1_agree').add(i < o.agree * n ? 1 : 0);
  }
  return p;
}

const side = (version: string, p: Profile) => ({ version, total: p, byBackend: new Map([['wasm', p]]) });
const input = (c: Profile, s: Profile, extra: Partial<JudgeInput> = {}): JudgeInput => ({
  candidate: side('1.1.0', c),
  stable: side('1.0.0', s),
  shadow: null,
  reference: null,
  window: { from: 0, to: 60_000 },
  at: 60_000,
  ...extra,
});
const byName = (v: ReturnType<typeof judgeCandidate>) => Object.fromEntries(v.checks.map((c) => [c.name, c]));

describe('judgeCandidate', () => {
  test('no verdict below minSamples on either side', () => {
    const v = judgeCandidate(input(window(100), window(1000)), DEFAULT_GUARD);
    expect(v).toMatchObject({
      result: 'insufficient',
      checks: [],
      inferences: { candidate: 100, stable: 1000 },
    });
  });

  test('an equal candidate passes every check it has data for', () => {
    const v = judgeCandidate(
      input(window(1000, { correct: 0.9 }), window(1000, { correct: 0.9 })),
      DEFAULT_GUARD,
    );
    expect(v.result).toBe('pass');
    expect(v.checks.map((c) => [c.name, c.result])).toEqual([
      ['error_rate', 'pass'],
      ['p95_latency', 'pass'],
      ['drift', 'pass'],
      ['accuracy', 'pass'],
    ]);
  });

  test.each([
    ['error rate', { errors: 30 }, 'error_rate'],
    ['p95 latency', { ms: 12 }, 'p95_latency'],
    ['drifted outputs', { shift: 0.5 }, 'drift'],
    ['lower feedback accuracy', { correct: 0.8 }, 'accuracy'],
  ])('fails on %s, with the numbers', (_, worse, failed) => {
    const v = judgeCandidate(
      input(window(1000, { correct: 0.9, ...worse }), window(1000, { correct: 0.9 })),
      DEFAULT_GUARD,
    );
    expect(v.result).toBe('fail');
    expect(v.checks.filter((c) => c.result === 'fail').map((c) => c.name)).toEqual([failed]);
  });

  test('thresholds are per model: a looser limit lets the same candidate pass', () => {
    const slow = input(window(1000, { ms: 12 }), window(1000));
    expect(judgeCandidate(slow, DEFAULT_GUARD).result).toBe('fail');
    expect(judgeCandidate(slow, { ...DEFAULT_GUARD, maxP95Increase: 2 }).result).toBe('pass');
    const p95 = byName(judgeCandidate(slow, DEFAULT_GUARD)).p95_latency!;
    expect(p95.limit).toBeCloseTo((p95.stable as number) * 1.5);
  });

  test('shadow disagreement of the candidate counts; drift is measured against its reference when uploaded', () => {
    const shadowed = input(window(1000), window(1000), { shadow: window(1000, { agree: 0.6 }) });
    expect(byName(judgeCandidate(shadowed, DEFAULT_GUARD)).shadow_disagreement).toMatchObject({
      result: 'fail',
      candidate: expect.closeTo(0.4, 5),
    });
    // Both sides drifted from the reference the same way: not the candidate's fault.
    const ref = window(1000, { shift: -0.5 });
    const d = byName(judgeCandidate(input(window(1000), window(1000), { reference: ref }), DEFAULT_GUARD))
      .drift!;
    expect(d).toMatchObject({ candidate: 'alert', stable: 'alert', result: 'pass' });
  });
});
