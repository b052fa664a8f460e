import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { BUCKETS, bucketOf, inPercent } from './bucket.ts';
import vectors from './bucket-vectors.json' with { type: 'json' };

describe('rollout buckets', () => {
  test.each(vectors.vectors)('vector $model / $salt / $deviceId -> $bucket', (v) => {
    expect(bucketOf(v.model, v.salt, v.deviceId)).toBe(v.bucket);
  });

  test('10,000 device ids at 5 % put 5 % ± 0.5 % in the candidate', () => {
    let inside = 0;
    for (let i = 0; i < 10_000; i++) if (inPercent(bucketOf('digits', 'salt-1', `device-${i}`), 5)) inside++;
    expect(Math.abs(inside / 10_000 - 0.05)).toBeLessThanOrEqual(0.005);
  });

  test('buckets cover 0..9999 roughly evenly (every tenth of the range within 10 % ± 1 %)', () => {
    const tenths = new Array(10).fill(0);
    for (let i = 0; i < 10_000; i++) tenths[Math.floor(bucketOf('m', 's', `id-${i}`) / 1_000)]++;
    for (const n of tenths) expect(Math.abs(n / 10_000 - 0.1)).toBeLessThanOrEqual(0.01);
  });

  test('raising the percentage only adds devices (monotone ramp-up), and a device keeps its bucket', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.string({ maxLength: 16 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        (device, salt, a, b) => {
          const [lo, hi] = a <= b ? [a / 100, b / 100] : [b / 100, a / 100];
          const bucket = bucketOf('digits', salt, device);
          expect(bucket).toBeGreaterThanOrEqual(0);
          expect(bucket).toBeLessThan(BUCKETS);
          expect(bucketOf('digits', salt, device)).toBe(bucket);
          if (inPercent(bucket, lo)) expect(inPercent(bucket, hi)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('0 % holds no device and 100 % holds every device', () => {
    for (let b = 0; b < BUCKETS; b += 97) {
      expect(inPercent(b, 0)).toBe(false);
      expect(inPercent(b, 100)).toBe(true);
    }
  });
});
