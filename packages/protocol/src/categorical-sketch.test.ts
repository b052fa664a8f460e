import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CategoricalSketch, OTHER_LABEL } from './categorical-sketch.ts';
import { ProtocolError } from './errors.ts';

const labels = fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'zz', OTHER_LABEL, 'é', '😀x'), {
  maxLength: 40,
});
const opts = fc.record({ maxLabels: fc.constantFrom(1, 3, 64), maxLabelLength: fc.constantFrom(2, 64) });

function sketchOf(xs: string[], o: { maxLabels: number; maxLabelLength: number }): CategoricalSketch {
  const s = new CategoricalSketch(o);
  for (const x of xs) s.add(x);
  return s;
}

describe('CategoricalSketch', () => {
  test('counts labels and totals', () => {
    const s = new CategoricalSketch();
    s.add('dog', 3);
    s.add('cat');
    expect([...s.counts()]).toEqual([
      ['cat', 1],
      ['dog', 3],
    ]);
    expect(s.total).toBe(4);
  });

  test('caps distinct labels: the first labels in sort order are kept, the rest go to "other"', () => {
    const s = new CategoricalSketch({ maxLabels: 2 });
    for (const l of ['d', 'c', 'b', 'a', 'd']) s.add(l);
    expect([...s.counts()]).toEqual([
      ['a', 1],
      ['b', 1],
      [OTHER_LABEL, 3],
    ]);
    expect(s.total).toBe(5);
  });

  test('cuts long labels, never inside a surrogate pair', () => {
    const s = new CategoricalSketch({ maxLabelLength: 4 });
    s.add('abcdefgh');
    s.add('abc😀');
    expect([...s.counts().keys()]).toEqual(['abc', 'abcd']);
  });

  test('rejects bad caps, counts and mismatched merges', () => {
    expect(() => new CategoricalSketch({ maxLabels: 0 })).toThrow(ProtocolError);
    expect(() => new CategoricalSketch().add('x', -1)).toThrow(/non-negative/);
    expect(() => new CategoricalSketch({ maxLabels: 2 }).merge(new CategoricalSketch())).toThrow(
      /different caps/,
    );
  });

  test('property: merge equals the sketch of the concatenation', () => {
    fc.assert(
      fc.property(opts, labels, labels, (o, xs, ys) => {
        expect(sketchOf(xs, o).merge(sketchOf(ys, o)).toState()).toEqual(
          sketchOf([...xs, ...ys], o).toState(),
        );
      }),
      { numRuns: 300 },
    );
  });

  test('property: merge is associative and commutative; total is conserved', () => {
    fc.assert(
      fc.property(opts, labels, labels, labels, (o, xs, ys, zs) => {
        const [a, b, c] = [sketchOf(xs, o), sketchOf(ys, o), sketchOf(zs, o)];
        const left = a.clone().merge(b).merge(c);
        expect(left.toState()).toEqual(a.clone().merge(b.clone().merge(c)).toState());
        expect(a.clone().merge(b).toState()).toEqual(b.clone().merge(a).toState());
        expect(left.total).toBe(xs.length + ys.length + zs.length);
        expect(left.counts().size).toBeLessThanOrEqual(o.maxLabels + 1);
      }),
      { numRuns: 200 },
    );
  });

  test('fromState rejects unordered or oversized state', () => {
    expect(() =>
      CategoricalSketch.fromState({
        maxLabels: 4,
        maxLabelLength: 8,
        labels: [
          ['b', 1],
          ['a', 1],
        ],
        other: 0,
      }),
    ).toThrow(/ascending/);
    expect(() =>
      CategoricalSketch.fromState({
        maxLabels: 1,
        maxLabelLength: 8,
        labels: [
          ['a', 1],
          ['b', 1],
        ],
        other: 0,
      }),
    ).toThrow(/more labels/);
  });
});
