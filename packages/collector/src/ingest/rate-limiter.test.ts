import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter.ts';

describe('RateLimiter', () => {
  it('allows a burst, then asks to wait, then refills at the rate', () => {
    const rl = new RateLimiter(2, 3);
    const t0 = 1_000_000;
    expect([rl.take('a', t0), rl.take('a', t0), rl.take('a', t0)]).toEqual([0, 0, 0]);
    expect(rl.take('a', t0)).toBeGreaterThanOrEqual(1);
    expect(rl.take('b', t0)).toBe(0);
    expect(rl.take('a', t0 + 500)).toBe(0);
  });

  it('is off when the rate is Infinity', () => {
    const rl = new RateLimiter(Number.POSITIVE_INFINITY, 1);
    for (let i = 0; i < 10; i++) expect(rl.take('a')).toBe(0);
  });
});
