import { describe, expect, test } from 'vitest';
import { embeddingBasis } from './embedding-basis.ts';
import { ProtocolError } from './errors.ts';
import type { NumericSketch } from './numeric-sketch.ts';
import { createProfile, mergeProfiles } from './profile.ts';
import { decodeProfile, encodeProfile } from './profile-codec.ts';
import { seededNormal } from './seeded-random.ts';
import { summarizeEmbedding } from './summarize-embedding.ts';

const spec = { projections: 4, seed: 7, rff: 3, bandwidth: 1 };

describe('embeddingBasis', () => {
  test('is the same for one seed and differs for another; the first draws are pinned', () => {
    const a = embeddingBasis(8, 4, 3, 7, 1);
    const b = embeddingBasis(8, 4, 3, 7, 1);
    expect(Array.from(a.projections)).toEqual(Array.from(b.projections));
    expect(Array.from(embeddingBasis(8, 4, 3, 8, 1).projections)).not.toEqual(Array.from(a.projections));
    // Pinned values: integer-only PRNG and Irwin–Hall sums, so every engine draws these exactly.
    const z = seededNormal(7);
    expect([z(), z(), z()]).toEqual([-0.9203642569482327, -0.5903862128034234, 1.109830865636468]);
    expect(Array.from(a.projections.subarray(0, 3))).toEqual([
      -0.3406156994345244, -0.21849480930227927, 0.4107350037758495,
    ]);
  });

  test('projection rows are orthogonal with squared norm d / k', () => {
    const d = 32;
    const k = 8;
    const { projections: p } = embeddingBasis(d, k, 0, 1, 1);
    for (let i = 0; i < k; i++) {
      for (let j = 0; j <= i; j++) {
        let dot = 0;
        for (let c = 0; c < d; c++) dot += p[i * d + c]! * p[j * d + c]!;
        expect(dot).toBeCloseTo(i === j ? d / k : 0, 10);
      }
    }
  });
});

describe('summarizeEmbedding', () => {
  test('records projections, the norm and unit-square Fourier features per row', () => {
    const p = createProfile();
    const data = new Float32Array([3, 4, 0, 0, 0, 0, 1, 0, 0, 0]);
    summarizeEmbedding(p, 'emb', { data, dims: [2, 5] }, spec);
    const names = Object.keys(p.features).sort();
    expect(names).toEqual(
      [
        'emb.norm',
        'emb.proj0',
        'emb.proj1',
        'emb.proj2',
        'emb.proj3',
        ...[0, 1, 2, 3, 4, 5].map((j) => `emb.rff${j}`),
      ].sort(),
    );
    const norm = p.features['emb.norm'] as NumericSketch;
    expect(norm.min).toBe(1);
    expect(norm.max).toBe(5);
    let square = 0;
    for (let j = 0; j < 6; j++) {
      const s = p.features[`emb.rff${j}`] as NumericSketch;
      square += s.m2 + (s.sum * s.sum) / s.count;
    }
    expect(square).toBeCloseTo(2, 6); // Σ over 2 rows of ‖z‖² = 1
  });

  test('a full set of projections preserves squared norms (a scaled rotation)', () => {
    const p = createProfile();
    const z = seededNormal(3);
    const data = Float64Array.from({ length: 6 }, () => z());
    summarizeEmbedding(p, 'e', { data, dims: [1, 6] }, { ...spec, projections: 6 });
    let ss = 0;
    for (let k = 0; k < 6; k++) ss += (p.features[`e.proj${k}`] as NumericSketch).sum ** 2;
    expect(ss).toBeCloseTo(
      data.reduce((a, x) => a + x * x, 0),
      5,
    );
  });

  test('NaN rows are counted apart; too many projections is SCHEMA_MISMATCH', () => {
    const p = createProfile();
    summarizeEmbedding(
      p,
      'e',
      { data: new Float32Array([1, Number.NaN, 1, 1, 1, 1]), dims: [2, 3] },
      { ...spec, projections: 2 },
    );
    expect((p.features['e.proj0'] as NumericSketch).nanCount).toBe(1);
    expect((p.features['e.rff0'] as NumericSketch).count).toBe(1);
    expect(() => summarizeEmbedding(p, 'e', { data: new Float32Array(3), dims: [1, 3] }, spec)).toThrow(
      ProtocolError,
    );
  });

  test('Fourier sums survive merge and the wire exactly', () => {
    const z = seededNormal(11);
    const window = () => {
      const p = createProfile();
      summarizeEmbedding(
        p,
        'e',
        { data: Float32Array.from({ length: 400 }, () => z()), dims: [50, 8] },
        spec,
      );
      return p;
    };
    const a = window();
    const b = window();
    const m = decodeProfile(encodeProfile(mergeProfiles(a, b)));
    for (let j = 0; j < 6; j++) {
      const sum =
        (a.features[`e.rff${j}`] as NumericSketch).sum + (b.features[`e.rff${j}`] as NumericSketch).sum;
      expect((m.features[`e.rff${j}`] as NumericSketch).sum).toBe(sum);
      expect((m.features[`e.rff${j}`] as NumericSketch).count).toBe(100);
    }
  });
});
