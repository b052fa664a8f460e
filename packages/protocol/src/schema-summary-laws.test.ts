import fc from 'fast-check';
import { expect, test } from 'vitest';
import { estimateAccuracy } from './drift/cbpe.ts';
import { compareEmbedding } from './drift/embedding-drift.ts';
import { NumericSketch } from './numeric-sketch.ts';
import { createProfile, mergeProfiles, type Profile } from './profile.ts';
import { decodeProfile, encodeProfile } from './profile-codec.ts';
import { summarizeClasses } from './summarize-classes.ts';
import { summarizeEmbedding } from './summarize-embedding.ts';
import { summarizeImage } from './summarize-image.ts';

// Laws of the schema summaries: a window's profile is the merge of its parts (bins exactly, sums
// up to rounding), the wire keeps it, and the statistics built on sums behave linearly.

const spec = { projections: 3, seed: 9, rff: 2, bandwidth: 1 };
const vec = fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 4, maxLength: 4 });

function embedding(rows: number[][]): Profile {
  const p = createProfile();
  p.inferences = rows.length;
  summarizeEmbedding(p, 'e', { data: Float64Array.from(rows.flat()), dims: [rows.length, 4] }, spec);
  return p;
}

function expectSameSketches(a: Profile, b: Profile): void {
  expect(Object.keys(a.features).sort()).toEqual(Object.keys(b.features).sort());
  for (const [k, s] of Object.entries(a.features)) {
    const t = b.features[k] as NumericSketch;
    expect(s).toBeInstanceOf(NumericSketch);
    const x = s as NumericSketch;
    expect(x.positiveBins()).toEqual(t.positiveBins());
    expect(x.negativeBins()).toEqual(t.negativeBins());
    expect(x.count).toBe(t.count);
    expect(x.sum).toBeCloseTo(t.sum, 6);
  }
}

test('embedding: summary of a concatenation = merge of the summaries, in either order, through the wire', () => {
  fc.assert(
    fc.property(fc.array(vec, { maxLength: 12 }), fc.array(vec, { maxLength: 12 }), (a, b) => {
      const whole = embedding([...a, ...b]);
      expectSameSketches(decodeProfile(encodeProfile(mergeProfiles(embedding(a), embedding(b)))), whole);
      expectSameSketches(mergeProfiles(embedding(b), embedding(a)), whole);
    }),
    { numRuns: 40 },
  );
});

test('embedding drift: MMD² is symmetric in the two windows', () => {
  fc.assert(
    fc.property(
      fc.array(vec, { minLength: 2, maxLength: 12 }),
      fc.array(vec, { minLength: 2, maxLength: 12 }),
      (a, b) => {
        const x = embedding(a);
        const y = embedding(b);
        const d1 = compareEmbedding(x, y, 'e', { minCount: 0 }).mmd2;
        const d2 = compareEmbedding(y, x, 'e', { minCount: 0 }).mmd2;
        expect(Math.abs(d1 - d2)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(d1)));
      },
    ),
    { numRuns: 40 },
  );
});

test('image: summary of a batch = merge of per-image summaries', () => {
  const pixel = fc.integer({ min: 0, max: 255 });
  fc.assert(
    fc.property(
      fc.array(fc.array(pixel, { minLength: 27, maxLength: 27 }), { minLength: 1, maxLength: 6 }),
      (imgs) => {
        const batch = createProfile();
        summarizeImage(
          batch,
          'i',
          { data: Uint8Array.from(imgs.flat()), dims: [imgs.length, 3, 3, 3] },
          { layout: 'NHWC' },
        );
        let merged = createProfile();
        for (const img of imgs) {
          const one = createProfile();
          summarizeImage(one, 'i', { data: Uint8Array.from(img), dims: [1, 3, 3, 3] }, { layout: 'NHWC' });
          merged = mergeProfiles(merged, one);
        }
        expectSameSketches(merged, batch);
      },
    ),
    { numRuns: 40 },
  );
});

test('CBPE is linear in the current window: the estimate of a merge is the count-weighted mean', () => {
  const row = fc.tuple(
    fc.double({ min: 0.34, max: 1, noNaN: true }),
    fc.integer({ min: 0, max: 2 }),
    fc.boolean(),
  );
  const classesOf = (rows: Array<[number, number, boolean]>, truth: boolean) => {
    const p = createProfile();
    const data = new Float32Array(rows.length * 3);
    rows.forEach(([c, k], i) => {
      for (let j = 0; j < 3; j++) data[i * 3 + j] = j === k ? c : (1 - c) / 2;
    });
    const labels = rows.map(([, k, ok]) => (ok ? k : (k + 1) % 3));
    summarizeClasses(p, 'y', { data, dims: [rows.length, 3] }, {}, truth ? { truth: labels } : {});
    return p;
  };
  fc.assert(
    fc.property(
      fc.array(row, { minLength: 1, maxLength: 40 }),
      fc.array(row, { minLength: 1, maxLength: 20 }),
      fc.array(row, { minLength: 1, maxLength: 20 }),
      (r, a, b) => {
        const ref = classesOf(r, true);
        const ea = estimateAccuracy(ref, classesOf(a, false), 'y');
        const eb = estimateAccuracy(ref, classesOf(b, false), 'y');
        const em = estimateAccuracy(ref, mergeProfiles(classesOf(a, false), classesOf(b, false)), 'y');
        const mean =
          (ea.estimated * ea.currentCount + eb.estimated * eb.currentCount) /
          (ea.currentCount + eb.currentCount);
        expect(em.estimated).toBeCloseTo(mean, 9);
        expect(em.estimated).toBeGreaterThanOrEqual(0);
        expect(em.estimated).toBeLessThanOrEqual(1);
      },
    ),
    { numRuns: 60 },
  );
});
