import { expect, test } from 'vitest';
import { fromBase64 } from './base64.ts';
import type { CategoricalSketch } from './categorical-sketch.ts';
import type { NumericSketch } from './numeric-sketch.ts';
import { decodeProfile, encodeProfile } from './profile-codec.ts';
import { goldenProfile } from './testing/golden-profile.ts';
import { GOLDEN_PROFILE_V1 } from './testing/golden-profile-v1.ts';

const golden = fromBase64(GOLDEN_PROFILE_V1);

test('the golden v1 profile decodes to the window it was made from', () => {
  const p = decodeProfile(golden);
  expect(p.inferences).toBe(50);
  expect(p.errors).toBe(3);
  expect(Object.keys(p.features).sort()).toEqual([
    'input.inf',
    'input.max',
    'input.mean',
    'input.min',
    'input.nan',
    'input.std',
    'input.zeros',
    'probs.argmax',
    'probs.entropy',
    'probs.top1',
  ]);
  expect((p.features['input.nan'] as NumericSketch).sum).toBe(1);
  expect((p.features['probs.argmax'] as CategoricalSketch).total).toBe(50);
  expect((p.latency.run as NumericSketch).count).toBe(50);
});

test('encoding the same window today gives the golden bytes', () => {
  expect(encodeProfile(goldenProfile())).toEqual(golden);
  expect(encodeProfile(decodeProfile(golden))).toEqual(golden);
});
