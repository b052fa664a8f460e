import { describe, expect, test } from 'vitest';
import { ProtocolError } from './errors.ts';
import type { NumericSketch } from './numeric-sketch.ts';
import { createProfile, type Profile } from './profile.ts';
import { summarizeImage } from './summarize-image.ts';

const val = (p: Profile, f: string) => (p.features[`img.${f}`] as NumericSketch).mean;

describe('summarizeImage', () => {
  // 3 × 3 grey image, values in [0, 1]: a single bright centre pixel.
  const grey = new Float32Array([0, 0, 0, 0, 1, 0, 0, 0, 0]);

  test('grey statistics match hand-computed values', () => {
    const p = createProfile();
    summarizeImage(p, 'img', { data: grey, dims: [1, 3, 3, 1] }, { layout: 'NHWC' });
    expect(val(p, 'brightness')).toBeCloseTo(1 / 9, 12);
    expect(val(p, 'contrast')).toBeCloseTo(Math.sqrt(1 / 9 - 1 / 81), 12);
    // One interior pixel: Laplacian −4, so the variance over one value is 0.
    expect(val(p, 'sharpness')).toBe(0);
    expect(val(p, 'clipped')).toBe(1); // every pixel is at 0 or 1
    expect(p.features['img.saturation']).toBeUndefined();
  });

  test('sharpness is the variance of the Laplacian over the interior (4 × 4)', () => {
    // Interior pixels (1,1) (1,2) (2,1) (2,2); only (1,1) is 1.
    const data = new Float32Array(16);
    data[5] = 1;
    const p = createProfile();
    summarizeImage(p, 'img', { data, dims: [1, 1, 4, 4] }, { layout: 'NCHW' });
    // Laplacians: (1,1) = −4, (1,2) = 1, (2,1) = 1, (2,2) = 0 → mean −0.5, E[l²] = 18/4.
    expect(val(p, 'sharpness')).toBeCloseTo(18 / 4 - 0.25, 12);
  });

  test('8-bit RGB in NHWC and NCHW give the same values on a [0, 1] scale', () => {
    // 2 pixels (1 × 2): pure red and mid grey.
    const nhwc = new Uint8Array([255, 0, 0, 128, 128, 128]);
    const nchw = new Uint8Array([255, 128, 0, 128, 0, 128]);
    const a = createProfile();
    const b = createProfile();
    summarizeImage(a, 'img', { data: nhwc, dims: [1, 1, 2, 3] }, { layout: 'NHWC' });
    summarizeImage(b, 'img', { data: nchw, dims: [1, 3, 1, 2] }, { layout: 'NCHW' });
    const lumaRed = 0.299;
    const lumaGrey = 128 / 255;
    for (const p of [a, b]) {
      expect(val(p, 'brightness')).toBeCloseTo((lumaRed + lumaGrey) / 2, 12);
      expect(val(p, 'contrast')).toBeCloseTo(Math.abs(lumaRed - lumaGrey) / 2, 12);
      expect(val(p, 'saturation')).toBeCloseTo(0.5, 12); // red 1, grey 0
      expect(val(p, 'clipped')).toBe(0);
    }
  });

  test('one value per image of the batch; maxValue from the schema; alpha ignored', () => {
    const p = createProfile();
    const rgba = new Float32Array([100, 100, 100, 0, 100, 100, 100, 7]);
    summarizeImage(p, 'img', { data: rgba, dims: [2, 1, 1, 4] }, { layout: 'NHWC', maxValue: 100 });
    expect((p.features['img.brightness'] as NumericSketch).count).toBe(2);
    expect(val(p, 'brightness')).toBeCloseTo(1, 12);
    expect(val(p, 'clipped')).toBe(1);
    expect(val(p, 'saturation')).toBe(0);
  });

  test('NaN pixels make the image NaN; bad dims are SCHEMA_MISMATCH', () => {
    const p = createProfile();
    summarizeImage(
      p,
      'img',
      { data: new Float32Array([Number.NaN, 0, 0, 0]), dims: [1, 2, 2, 1] },
      { layout: 'NHWC' },
    );
    expect((p.features['img.brightness'] as NumericSketch).nanCount).toBe(1);
    expect(() =>
      summarizeImage(p, 'img', { data: new Float32Array(12), dims: [1, 2, 2, 2] }, { layout: 'NHWC' }),
    ).toThrow(ProtocolError);
    expect(() =>
      summarizeImage(p, 'img', { data: new Float32Array(5), dims: [1, 2, 2, 1] }, { layout: 'NHWC' }),
    ).toThrow(/dims/);
  });
});
