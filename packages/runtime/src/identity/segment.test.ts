import { describe, expect, it } from 'vitest';
import { browserAndOs, coarseSegment, coresBucket } from './segment.ts';

describe('coarse segment', () => {
  it('buckets cores and names the GPU vendor only', () => {
    expect([1, 2, 3, 6, 8, 12, 64].map(coresBucket)).toEqual([
      'cores-1',
      'cores-2',
      'cores-2',
      'cores-4',
      'cores-8',
      'cores-8',
      'cores-16+',
    ]);
    expect(
      coarseSegment({
        browser: 'chrome',
        os: 'linux',
        backend: 'webgpu',
        cores: 4,
        gpuVendor: 'Google Inc.',
      }),
    ).toBe('chrome/linux/webgpu/cores-4/gpu-google-inc.');
    expect(coarseSegment({ browser: 'chrome', os: 'linux', backend: 'wasm', cores: 2 })).toBe(
      'chrome/linux/wasm/cores-2/gpu-none',
    );
  });

  it('reads browser family and OS without versions', () => {
    const ua =
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
    expect(browserAndOs(ua)).toEqual({ browser: 'chrome', os: 'linux' });
    expect(browserAndOs('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1')).toEqual({
      browser: 'safari',
      os: 'ios',
    });
  });
});
