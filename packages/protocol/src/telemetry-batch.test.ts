import { describe, expect, test } from 'vitest';
import { fromBase64, toBase64 } from './base64.ts';
import { createProfile } from './profile.ts';
import { decodeProfile, encodeProfile } from './profile-codec.ts';
import { parseTelemetryBatch } from './telemetry-batch.ts';
import { goldenProfile } from './testing/golden-profile.ts';

const window = {
  model: 'digits',
  version: '1.0.0',
  role: 'primary',
  backend: 'wasm',
  segment: 'chrome/linux/wasm/cores-2/gpu-none',
  start: 1_700_000_000_000,
  end: 1_700_000_060_000,
  profile: toBase64(encodeProfile(createProfile())),
};
const batch = {
  v: 1,
  batchId: 'b-1',
  deviceId: 'd-1',
  sdkVersion: '0.1.0',
  sentAt: 1_700_000_061_000,
  windows: [window],
};

describe('parseTelemetryBatch', () => {
  test('accepts a valid batch and returns it typed, dropping unknown keys', () => {
    const parsed = parseTelemetryBatch({ ...batch, extra: true });
    expect(parsed).toEqual(batch);
    expect(parsed.windows[0]!.role).toBe('primary');
  });

  test.each([
    ['a wrong version', { ...batch, v: 2 }, /v/],
    ['no windows', { ...batch, windows: [] }, /windows/],
    ['101 windows', { ...batch, windows: Array(101).fill(window) }, /windows/],
    [
      'start after end',
      { ...batch, windows: [{ ...window, start: window.end + 1 }] },
      /start must not be after/,
    ],
    ['a bad role', { ...batch, windows: [{ ...window, role: 'canary' }] }, /windows\.0\.role/],
    ['a non-base64 profile', { ...batch, windows: [{ ...window, profile: '%%%%' }] }, /profile/],
    ['a fractional timestamp', { ...batch, sentAt: 1.5 }, /sentAt/],
    ['an empty batch id', { ...batch, batchId: '' }, /batchId/],
    ['not an object', 'hello', /schema/],
  ])('rejects %s with INVALID_BATCH', (_, input, message) => {
    expect(() => parseTelemetryBatch(input)).toThrow(expect.objectContaining({ code: 'INVALID_BATCH' }));
    expect(() => parseTelemetryBatch(input)).toThrow(message);
  });

  test('a profile survives the trip: encode, base64, JSON, parse, decode', () => {
    const bytes = encodeProfile(goldenProfile());
    const sent = JSON.stringify({ ...batch, windows: [{ ...window, profile: toBase64(bytes) }] });
    const received = parseTelemetryBatch(JSON.parse(sent));
    const profile = decodeProfile(fromBase64(received.windows[0]!.profile));
    expect(encodeProfile(profile)).toEqual(bytes);
  });
});
