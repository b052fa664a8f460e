import { NoBackendError } from '../errors.ts';
import type { Backend, BackendEnv, BackendFactory, Device, ModelArtifact } from './backend.ts';
import type { Capabilities } from './capabilities.ts';

/** A backend that was skipped or failed, and why. */
export interface Fallback {
  device: Device;
  reason: string;
}

function unavailable(device: Device, caps: Capabilities): string | undefined {
  if (device === 'webgpu' && !caps.webgpu.available) return caps.webgpu.reason;
  if (device === 'webgl' && !caps.webgl.available) return caps.webgl.reason;
  if (device === 'wasm' && !caps.wasm.available) return caps.wasm.reason;
  return undefined;
}

/**
 * Tries `preferred` devices in order (the factory's own order when none are given) and returns the
 * first backend that loads the model, with every device it passed over and why.
 * @throws NoBackendError naming each device and the reason it was not used.
 */
export async function resolveBackend(
  factory: BackendFactory,
  model: ModelArtifact,
  env: BackendEnv,
  preferred?: readonly Device[],
): Promise<{ backend: Backend; fallbacks: Fallback[] }> {
  const fallbacks: Fallback[] = [];
  const order = preferred?.length ? preferred : factory.devices;
  for (const device of order) {
    if (!factory.devices.includes(device)) {
      fallbacks.push({ device, reason: `${factory.format} models do not run on ${device}` });
      continue;
    }
    const missing = unavailable(device, env.capabilities);
    if (missing) {
      fallbacks.push({ device, reason: missing });
      continue;
    }
    try {
      return { backend: await factory.create(model, device, env), fallbacks };
    } catch (error) {
      fallbacks.push({ device, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  const why = fallbacks.map((f) => `${f.device}: ${f.reason}`).join('; ');
  throw new NoBackendError(`No backend could load this ${factory.format} model (${why}).`);
}
