import { createRuntime, type NamedTensors, type Runtime } from '@driftline/runtime';
import { digitFeatures } from './digit-features.ts';
import type { TelemetryTarget } from './telemetry-target.ts';

/** The digit model versions `pnpm models` publishes under `models/digits/`, newest first. */
export const DIGIT_VERSIONS = ['1.1.0', '1.0.0'] as const;
export type DigitVersion = (typeof DIGIT_VERSIONS)[number];

/** What the version select offers: the collector's rollout decides, or one local version. */
export type DigitChoice = 'rollout' | DigitVersion;

/**
 * Starts @driftline/runtime on the ONNX digit model. `rollout`: the model by name, the version
 * the collector's manifest assigns to this device (stable, candidate or pin), polled every few
 * seconds so a ramp or a rollback shows within seconds. A version: the file under
 * `models/digits/<version>/`, its bytes verified against the SHA-256 in its meta.json. Either way
 * the bytes are kept in Cache Storage (so it runs offline), WebGPU when the browser has an
 * adapter, else WASM, and the drift features ink / thickness on every input.
 */
export async function startDigitRuntime(choice: DigitChoice, target: TelemetryTarget): Promise<Runtime> {
  const common = {
    features: (inputs: NamedTensors) => ({ ...digitFeatures(inputs.input!.data as Float32Array) }),
    // Short windows, so a run shows up in the dashboard within seconds.
    window: { seconds: 5, maxInferences: 5000 },
    retry: { baseMs: 1000, maxMs: 15_000 },
  };
  if (choice === 'rollout') {
    if (!target.collector || !target.appKey) {
      throw new Error('the rollout needs a collector: start with `pnpm start`, or pick a version');
    }
    return createRuntime({
      model: 'digits',
      collector: target.collector,
      appKey: target.appKey,
      updates: { intervalMs: 3000 },
      ...common,
    });
  }
  const folder = `${import.meta.env.BASE_URL}models/digits/${choice}/`;
  // meta.json (precached by the service worker) names the SHA-256 the model's bytes must have.
  const res = await fetch(`${folder}meta.json`);
  if (!res.ok) throw new Error(`${folder}meta.json answered HTTP ${res.status}: run \`pnpm models\``);
  const meta = (await res.json()) as { files: Record<string, { sha256: string }> };
  return createRuntime({
    model: {
      url: `${folder}model.onnx`,
      format: 'onnx',
      sha256: meta.files['model.onnx']?.sha256,
      name: 'digits',
      version: choice,
    },
    ...(target.collector ? { collector: target.collector, appKey: target.appKey } : { telemetry: false }),
    ...common,
  });
}

/** Classes sorted by probability, highest first. */
export function topClasses(probs: Float32Array, k: number): { digit: number; p: number }[] {
  return Array.from(probs, (p, digit) => ({ digit, p }))
    .sort((a, b) => b.p - a.p)
    .slice(0, k);
}
