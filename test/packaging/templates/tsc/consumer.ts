// A strict TypeScript consumer of the public API of the three packages, checked without skipLibCheck.
import {
  type Collector,
  type CollectorOptions,
  createKey,
  DEV_KEYS,
  type KeyRole,
  startCollector,
} from '@driftline/collector';
import {
  createProfile,
  decodeProfile,
  encodeProfile,
  latencySketch,
  NumericSketch,
  numericFeature,
  type Profile,
  parseTelemetryBatch,
  type TelemetryBatch,
  toBase64,
} from '@driftline/protocol';
import {
  createRuntime,
  type DeliveryStatus,
  DriftlineError,
  type NamedTensors,
  type Runtime,
  type RuntimeInfo,
  type RuntimeOptions,
  type Tensor,
  WorkerLoadError,
} from '@driftline/runtime';
import driftline from '@driftline/runtime/vite';

export async function browserSide(
  collector: string,
): Promise<{ info: RuntimeInfo; status?: DeliveryStatus }> {
  const options: RuntimeOptions = {
    model: { url: '/models/digits/1.0.0/model.onnx', format: 'onnx', outputNames: ['probs'] },
    collector,
    appKey: DEV_KEYS.ingest,
    backends: ['webgpu', 'wasm'],
    assetBase: '/driftline/',
    window: { seconds: 30 },
    features: (inputs: NamedTensors) => ({ first: Number(inputs.input?.data[0] ?? 0) }),
  };
  const rt: Runtime = await createRuntime(options);
  const input: Tensor = { data: new Float32Array(784), dims: [1, 784] };
  try {
    const out = await rt.run({ input });
    const probs: Tensor | undefined = out.probs;
    if (probs && probs.dims.length !== 2) throw new Error('unexpected dims');
  } catch (error) {
    if (error instanceof WorkerLoadError) throw error;
    if (error instanceof DriftlineError) console.error(error.code);
  }
  rt.on('status', (s: DeliveryStatus) => s.waiting.inferences);
  await rt.flush();
  const status = await rt.status();
  return { info: rt.info(), ...(status ? { status } : {}) };
}

export function viteConfig(): { plugins: Array<{ name: string }> } {
  return { plugins: [driftline()] };
}

export function protocolSide(): TelemetryBatch {
  const sketch = new NumericSketch({ alpha: 0.01 });
  for (const x of [-2, 0, 1.5, 1e6]) sketch.add(x);
  const profile: Profile = createProfile();
  profile.inferences = 4;
  latencySketch(profile, 'total').add(1.25);
  numericFeature(profile, 'x').merge(sketch);
  const bytes: Uint8Array = encodeProfile(profile);
  const back: Profile = decodeProfile(bytes);
  return parseTelemetryBatch({
    v: 1,
    batchId: 'b1',
    deviceId: 'd1',
    sdkVersion: 'tsc',
    sentAt: Date.now(),
    windows: [
      {
        model: 'm',
        version: '1',
        role: 'primary',
        backend: 'wasm',
        segment: 's',
        start: 0,
        end: 1,
        profile: toBase64(encodeProfile(back)),
      },
    ],
  });
}

export async function collectorSide(dataDir: string): Promise<string> {
  const options: CollectorOptions = { port: 0, dataDir, dev: true, logLevel: 'silent' };
  const collector: Collector = await startCollector(options);
  const role: KeyRole = 'read';
  const key = await createKey(collector.storage, role, { label: 'tsc' });
  await collector.close();
  return `${collector.url} ${key.id}`;
}
