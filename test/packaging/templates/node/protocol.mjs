// Plain Node ESM use of @driftline/protocol from its tarball: sketches, a profile, and a telemetry
// batch encoded and decoded as the runtime and the collector do. Prints one JSON line.
import assert from 'node:assert/strict';
import {
  buildProfile,
  createProfile,
  decodeProfile,
  encodeProfile,
  fromBase64,
  latencySketch,
  mergeProfiles,
  NumericSketch,
  numericFeature,
  PROTOCOL_VERSION,
  parseTelemetryBatch,
  toBase64,
} from '@driftline/protocol';

const values = [-3.5, -1, 0, 0, 0.25, 2, 8, 1e6, Number.NaN];
const sketch = new NumericSketch();
for (const x of values) sketch.add(x);
assert.equal(sketch.count, 8);
assert.equal(sketch.min, -3.5);
assert.equal(sketch.max, 1e6);

const a = createProfile();
a.inferences = 3;
latencySketch(a, 'total').add(1.5);
numericFeature(a, 'x').merge(sketch);
const b = buildProfile([{ input: { data: new Float32Array([0, 0.5, 1, 1]), dims: [1, 4] }, label: 'seven' }]);
const merged = mergeProfiles(a, b);

const batch = {
  v: 1,
  batchId: 'node-script-1',
  deviceId: 'device-1',
  sdkVersion: 'packaging',
  sentAt: Date.now(),
  windows: [
    {
      model: 'digits',
      version: '1.0.0',
      role: 'primary',
      backend: 'wasm',
      segment: 'node/linux/wasm/cores-2/gpu-none',
      start: Date.now() - 60_000,
      end: Date.now(),
      profile: toBase64(encodeProfile(merged)),
    },
  ],
};
const parsed = parseTelemetryBatch(JSON.parse(JSON.stringify(batch)));
const decoded = decodeProfile(fromBase64(parsed.windows[0].profile));
assert.deepEqual(encodeProfile(decoded), encodeProfile(merged), 'encode, decode, encode is the identity');
assert.equal(decoded.inferences, merged.inferences);
assert.equal(decoded.features.x.count, 8);
assert.ok(decoded.features['input.mean'], 'buildProfile summarised the input tensor');
assert.throws(
  () => parseTelemetryBatch({ ...batch, windows: [] }),
  (e) => e.code === 'INVALID_BATCH',
);

console.log(
  JSON.stringify({
    protocol: PROTOCOL_VERSION,
    inferences: decoded.inferences,
    features: Object.keys(decoded.features).length,
  }),
);
