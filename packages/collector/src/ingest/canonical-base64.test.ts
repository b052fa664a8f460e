import { fromBase64, toBase64 } from '@driftline/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalBase64 } from './canonical-base64.ts';

/** What protocol's decoder answers for a text: its bytes, or the code and message it throws. */
function reference(text: string): { bytes: number[] } | { error: string } {
  try {
    return { bytes: [...fromBase64(text)] };
  } catch (err) {
    return { error: `${(err as { code?: string }).code}: ${(err as Error).message}` };
  }
}

function fast(text: string): { bytes: number[] } | { error: string } {
  try {
    return { bytes: [...canonicalBase64(text)] };
  } catch (err) {
    return { error: `${(err as { code?: string }).code}: ${(err as Error).message}` };
  }
}

describe('canonicalBase64', () => {
  it('decodes every canonical text to the bytes it encodes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect([...canonicalBase64(toBase64(bytes))]).toEqual([...bytes]);
      }),
    );
  });

  it('agrees with protocol fromBase64 on any text: same bytes or the same error', () => {
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \n'.split('');
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...chars), { maxLength: 16 }), (cs) => {
        const text = cs.join('');
        expect(fast(text)).toEqual(reference(text));
      }),
      { numRuns: 2_000 },
    );
  });

  it('refuses the near misses protocol refuses', () => {
    const good = toBase64(new Uint8Array([1, 2, 3, 4]));
    for (const bad of [good.replace(/=+$/, ''), ` ${good}`, `${good}\n`, 'AQ-_', 'AB==', 'AAB=']) {
      expect(fast(bad)).toEqual(reference(bad));
      expect('error' in fast(bad)).toBe(true);
    }
  });
});
