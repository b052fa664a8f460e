import { describe, expect, it } from 'vitest';
import { TAB_SCHEMA, tabProfile } from '../../test/schema-fixtures.ts';
import { driftWithSchema } from './schema-drift.ts';

const reference = tabProfile(3_000, { seed: 1, truth: true }).profile;

describe('drift with a schema', () => {
  it('names each column, leaves the calibration and Fourier sums out, and judges the embedding as a whole', () => {
    const d = driftWithSchema(reference, tabProfile(3_000, { seed: 2 }).profile, TAB_SCHEMA);
    const names = Object.keys(d.features);
    expect(names).toEqual(expect.arrayContaining(['x.age', 'x.income', 'c.plan', 'emb.proj0', 'emb.norm']));
    expect(names).toEqual(expect.arrayContaining(['probs.argmax', 'probs.top1', 'probs.conf.yes']));
    expect(names.filter((n) => n.startsWith('probs.hit.') || /^emb\.rff\d+$/.test(n))).toEqual([]);
    expect(Object.keys(d.embeddings)).toEqual(['emb']);
    expect(d.embeddings.emb!.status).toBe('ok');
    expect(d.status).toBe('ok');
  });

  it('one shifted column turns that column, and only it, to alert', () => {
    const d = driftWithSchema(
      reference,
      tabProfile(3_000, { seed: 3, incomeShift: 0.5 }).profile,
      TAB_SCHEMA,
    );
    expect(d.features['x.income']!.status).toBe('alert');
    expect(d.features['x.age']!.status).toBe('ok');
    expect(d.features['c.plan']!.status).toBe('ok');
    expect(d.embeddings.emb!.status).toBe('ok');
    expect(d.status).toBe('alert');
  });

  it('a shifted embedding is an embedding alert with a mean distance', () => {
    const d = driftWithSchema(
      reference,
      tabProfile(3_000, { seed: 4, embeddingShift: 0.3 }).profile,
      TAB_SCHEMA,
    );
    expect(d.embeddings.emb!.status).toBe('alert');
    expect(d.embeddings.emb!.meanDistance).toBeGreaterThan(0.3);
    expect(d.features['x.income']!.status).toBe('ok');
  });

  it('without a schema every feature is compared and there are no embeddings', () => {
    const d = driftWithSchema(reference, tabProfile(1_000, { seed: 5 }).profile, null);
    expect(Object.keys(d.features)).toContain('probs.hit.yes');
    expect(d.embeddings).toEqual({});
  });
});
