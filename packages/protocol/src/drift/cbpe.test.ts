import { expect, test } from 'vitest';
import { ProtocolError } from '../errors.ts';
import { createProfile } from '../profile.ts';
import { summarizeClasses } from '../summarize-classes.ts';
import { estimateAccuracy } from './cbpe.ts';

const probs = (rows: number[][]) => ({
  data: Float32Array.from(rows.flat()),
  dims: [rows.length, rows[0]!.length],
});

test('a reference against itself estimates its own realized accuracy', () => {
  const ref = createProfile();
  const rows = [
    [0.9, 0.1],
    [0.8, 0.2],
    [0.3, 0.7],
    [0.4, 0.6],
  ];
  summarizeClasses(ref, 'y', probs(rows), {}, { truth: [0, 1, 1, 1] });
  const e = estimateAccuracy(ref, ref, 'y', { bins: 1 });
  expect(e.referenceAccuracy).toBe(0.75);
  expect(e.currentAccuracy).toBe(0.75);
  expect(e.estimated).toBeCloseTo(0.75, 12);
  expect(e.currentCount).toBe(4);
});

test('a class the reference never predicted is taken at face value and reported', () => {
  const ref = createProfile();
  summarizeClasses(ref, 'y', probs([[0.9, 0.1, 0]]), {}, { truth: [0] });
  const cur = createProfile();
  summarizeClasses(cur, 'y', probs([[0.1, 0.6, 0.3]]), {});
  const e = estimateAccuracy(ref, cur, 'y');
  expect(e.estimated).toBeCloseTo(0.6, 6);
  expect(e.uncalibrated).toBe(1);
  expect(e.currentAccuracy).toBeNaN();
});

test('no predictions: NaN; bad bins: INVALID_ARGUMENT', () => {
  expect(estimateAccuracy(createProfile(), createProfile(), 'y').estimated).toBeNaN();
  expect(() => estimateAccuracy(createProfile(), createProfile(), 'y', { bins: 0 })).toThrow(ProtocolError);
});
