import { expect, test } from 'vitest';
import { compareProfiles } from './drift/profile-drift.ts';
import { parseModelSchema, summaryOnlyFeature } from './model-schema.ts';
import { createProfile } from './profile.ts';
import { summarizeWithSchema } from './summarize-with-schema.ts';

test('named tensors get their kind, unnamed ones the whole-tensor features', () => {
  const schema = parseModelSchema({
    inputs: {
      x: { kind: 'columns', columns: [{ name: 'age' }, { name: 'plan', labels: ['free', 'pro'] }] },
      emb: { kind: 'embedding', projections: 2, rff: 1 },
      img: { kind: 'image', layout: 'NHWC' },
    },
    outputs: { probs: { kind: 'classes', labels: ['no', 'yes'] } },
  });
  const p = createProfile();
  summarizeWithSchema(
    p,
    schema,
    {
      x: { data: new Int32Array([40, 1]), dims: [1, 2] },
      emb: { data: new Float32Array([1, 2, 3]), dims: [1, 3] },
      img: { data: new Uint8Array(12), dims: [1, 2, 2, 3] },
      probs: { data: new Float32Array([0.2, 0.8]), dims: [1, 2] },
      toString: { data: new Float32Array([1]), dims: [1] },
    },
    { probs: ['yes'] },
  );
  expect(Object.keys(p.features).sort()).toEqual(
    [
      'x.age',
      'x.plan',
      'emb.proj0',
      'emb.proj1',
      'emb.norm',
      'emb.rff0',
      'emb.rff1',
      'img.brightness',
      'img.contrast',
      'img.saturation',
      'img.sharpness',
      'img.clipped',
      'probs.argmax',
      'probs.top1',
      'probs.entropy',
      'probs.conf.no',
      'probs.conf.yes',
      'probs.hit.no',
      'probs.hit.yes',
      ...['inf', 'max', 'mean', 'min', 'nan', 'std', 'zeros'].map((f) => `toString.${f}`),
    ].sort(),
  );
});

test('summaryOnlyFeature picks the Fourier sums and the hit calibration, nothing else', () => {
  const schema = parseModelSchema({
    inputs: { emb: { kind: 'embedding' }, x: { kind: 'columns', columns: [{ name: 'rff1' }] } },
    outputs: { y: { kind: 'classes' } },
  });
  const skip = summaryOnlyFeature(schema);
  expect(['emb.rff0', 'emb.rff15', 'y.hit.0', 'y.hit.cat'].every(skip)).toBe(true);
  expect(['emb.proj0', 'emb.norm', 'emb.rffx', 'x.rff1', 'y.conf.0', 'y.top1'].some(skip)).toBe(false);
  const p = createProfile();
  summarizeWithSchema(p, schema, { emb: { data: new Float32Array(32), dims: [1, 32] } });
  expect(Object.keys(compareProfiles(p, p, { skip })).some((n) => n.includes('rff'))).toBe(false);
});
