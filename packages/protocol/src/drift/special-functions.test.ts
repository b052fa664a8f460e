import { expect, test } from 'vitest';
import { chiSquareSurvival, gammaQ, logGamma } from './special-functions.ts';

test('logGamma matches factorials', () => {
  expect(logGamma(1)).toBeCloseTo(0, 12);
  expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
  expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
  expect(logGamma(101)).toBeCloseTo(363.73937555556347, 9);
});

test('chi-square survival matches table values', () => {
  expect(chiSquareSurvival(2, 2)).toBeCloseTo(Math.exp(-1), 12);
  expect(chiSquareSurvival(3.841458820694124, 1)).toBeCloseTo(0.05, 9);
  expect(chiSquareSurvival(18.307038053275146, 10)).toBeCloseTo(0.05, 9);
  expect(chiSquareSurvival(0, 3)).toBe(1);
  expect(chiSquareSurvival(500, 9)).toBeLessThan(1e-90);
  expect(gammaQ(3, 100)).toBeGreaterThanOrEqual(0);
});
