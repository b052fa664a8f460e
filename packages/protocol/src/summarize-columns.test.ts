import fc from 'fast-check';
import { expect, test } from 'vitest';
import { type CategoricalSketch, OTHER_LABEL } from './categorical-sketch.ts';
import { ProtocolError } from './errors.ts';
import type { NumericSketch } from './numeric-sketch.ts';
import { createProfile, mergeProfiles } from './profile.ts';
import { encodeProfile } from './profile-codec.ts';
import { summarizeColumns } from './summarize-columns.ts';

const spec = { columns: [{ name: 'age' }, { name: 'plan', labels: ['free', 'pro'] }] };

test('records one numeric or categorical feature per column, one value per row', () => {
  const p = createProfile();
  summarizeColumns(p, 'x', { data: new Float32Array([30, 0, 40, 1, Number.NaN, 1]), dims: [3, 2] }, spec);
  const age = p.features['x.age'] as NumericSketch;
  expect(age.count).toBe(2);
  expect(age.mean).toBe(35);
  expect(age.nanCount).toBe(1);
  expect([...(p.features['x.plan'] as CategoricalSketch).counts()]).toEqual([
    ['free', 1],
    ['pro', 2],
  ]);
});

test('a label column counts out-of-range, negative, fractional and NaN indexes apart, never throwing', () => {
  const p = createProfile();
  const data = new Float64Array([0, 2, 0, -1, 0, 0.5, 0, Number.NaN, 0, Number.POSITIVE_INFINITY]);
  summarizeColumns(p, 'x', { data, dims: [5, 2] }, spec);
  expect([...(p.features['x.plan'] as CategoricalSketch).counts()]).toEqual([
    ['NaN', 1],
    [OTHER_LABEL, 4],
  ]);
});

test('reads 64-bit integer label columns', () => {
  const p = createProfile();
  summarizeColumns(p, 'x', { data: new BigInt64Array([5n, 1n, 7n, 9n]), dims: [2, 2] }, spec);
  expect((p.features['x.plan'] as CategoricalSketch).counts().get('pro')).toBe(1);
  expect((p.features['x.plan'] as CategoricalSketch).counts().get(OTHER_LABEL)).toBe(1);
});

test('a row width that is not the column count is SCHEMA_MISMATCH', () => {
  expect(() =>
    summarizeColumns(createProfile(), 'x', { data: new Float32Array(3), dims: [1, 3] }, spec),
  ).toThrow(ProtocolError);
});

test('summaries of two batches merge to the summary of both (property)', () => {
  const row = fc.tuple(fc.double({ min: -1e3, max: 1e3 }), fc.integer({ min: -2, max: 3 }));
  fc.assert(
    fc.property(fc.array(row, { maxLength: 30 }), fc.array(row, { maxLength: 30 }), (a, b) => {
      const of = (rows: Array<[number, number]>) => {
        const p = createProfile();
        summarizeColumns(p, 'x', { data: Float64Array.from(rows.flat()), dims: [rows.length, 2] }, spec);
        return p;
      };
      const both = of([...a, ...b]);
      const merged = mergeProfiles(of(a), of(b));
      expect((merged.features['x.plan'] as CategoricalSketch).toState()).toEqual(
        (both.features['x.plan'] as CategoricalSketch).toState(),
      );
      expect((merged.features['x.age'] as NumericSketch).positiveBins()).toEqual(
        (both.features['x.age'] as NumericSketch).positiveBins(),
      );
      expect(encodeProfile(merged).length).toBeGreaterThan(0);
    }),
    { numRuns: 50 },
  );
});
