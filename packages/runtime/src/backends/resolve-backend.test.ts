import { describe, expect, it } from 'vitest';
import type { Backend, BackendEnv, BackendFactory, Device } from './backend.ts';
import type { Capabilities } from './capabilities.ts';
import { chooseThreads } from './capabilities.ts';
import { resolveBackend } from './resolve-backend.ts';

const caps = (over: Partial<Capabilities> = {}): Capabilities => ({
  webgpu: { available: false, reason: 'navigator.gpu.requestAdapter() returned null: no usable GPU.' },
  webgl: { available: true },
  wasm: { available: true },
  crossOriginIsolated: false,
  hardwareConcurrency: 8,
  ...over,
});

/** A factory whose `create` fails on the devices in `broken`; the resolver's logic is under test. */
function factory(broken: Device[] = []): BackendFactory {
  return {
    format: 'tfjs',
    devices: ['webgpu', 'webgl', 'wasm', 'cpu'],
    async create(_model, device) {
      if (broken.includes(device)) throw new Error(`${device} init failed`);
      return { device, format: 'tfjs', inputNames: [], outputNames: [] } as unknown as Backend;
    },
  };
}
const model = {
  format: 'tfjs' as const,
  modelJson: { modelTopology: {}, weightsManifest: [] },
  weights: new ArrayBuffer(0),
};
const env = (c: Capabilities): BackendEnv => ({ capabilities: c, threads: 1, wasmPaths: {} });

describe('resolveBackend', () => {
  it('skips an unavailable device and records why', async () => {
    const { backend, fallbacks } = await resolveBackend(factory(), model, env(caps()));
    expect(backend.device).toBe('webgl');
    expect(fallbacks).toEqual([{ device: 'webgpu', reason: expect.stringContaining('returned null') }]);
  });

  it('falls through devices that fail to start, in the preferred order', async () => {
    const { backend, fallbacks } = await resolveBackend(factory(['webgl']), model, env(caps()), [
      'webgl',
      'cpu',
    ]);
    expect(backend.device).toBe('cpu');
    expect(fallbacks).toEqual([{ device: 'webgl', reason: 'webgl init failed' }]);
  });

  it('says why each device failed when none works', async () => {
    const error = await resolveBackend(factory(['wasm']), model, env(caps()), ['webgpu', 'wasm']).catch(
      (e) => e,
    );
    expect(error).toMatchObject({ code: 'NO_BACKEND' });
    expect(error.message).toContain('webgpu: navigator.gpu.requestAdapter() returned null');
    expect(error.message).toContain('wasm: wasm init failed');
  });
});

describe('chooseThreads', () => {
  it('uses one thread unless the page is cross-origin isolated', () => {
    expect(chooseThreads(caps(), 4)).toMatchObject({ threads: 1 });
    expect(chooseThreads(caps({ crossOriginIsolated: true }))).toMatchObject({ threads: 4 });
    expect(chooseThreads(caps({ crossOriginIsolated: true, hardwareConcurrency: 2 }))).toMatchObject({
      threads: 1,
    });
    expect(chooseThreads(caps({ crossOriginIsolated: true }), 2)).toEqual({
      threads: 2,
      reason: 'as requested',
    });
  });
});
