/** What this browser context can do, probed once per worker before a backend is chosen. */
export interface Capabilities {
  webgpu: { available: boolean; reason?: string; vendor?: string; architecture?: string };
  webgl: { available: boolean; reason?: string };
  wasm: { available: boolean; reason?: string };
  /** True when SharedArrayBuffer may be used: the page is cross-origin isolated. */
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
}

interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string };
}
interface GpuLike {
  requestAdapter(): Promise<GpuAdapterLike | null>;
}

/**
 * Probes WebGPU (an adapter, not just `navigator.gpu`: `requestAdapter()` may resolve to null),
 * WebGL 2 (through OffscreenCanvas, so it works in a worker), WebAssembly and cross-origin isolation.
 */
export async function probeCapabilities(scope: typeof globalThis = globalThis): Promise<Capabilities> {
  const nav = (scope as { navigator?: Navigator }).navigator;
  return {
    webgpu: await probeWebGpu((nav as { gpu?: GpuLike } | undefined)?.gpu),
    webgl: probeWebGl(scope),
    wasm:
      typeof WebAssembly === 'object'
        ? { available: true }
        : { available: false, reason: 'WebAssembly is not available in this context.' },
    crossOriginIsolated: Boolean((scope as { crossOriginIsolated?: boolean }).crossOriginIsolated),
    hardwareConcurrency: nav?.hardwareConcurrency ?? 1,
  };
}

async function probeWebGpu(gpu: GpuLike | undefined): Promise<Capabilities['webgpu']> {
  if (!gpu)
    return { available: false, reason: 'navigator.gpu is missing (WebGPU not supported or disabled).' };
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter)
      return { available: false, reason: 'navigator.gpu.requestAdapter() returned null: no usable GPU.' };
    return {
      available: true,
      ...(adapter.info?.vendor ? { vendor: adapter.info.vendor } : {}),
      ...(adapter.info?.architecture ? { architecture: adapter.info.architecture } : {}),
    };
  } catch (error) {
    return { available: false, reason: `navigator.gpu.requestAdapter() failed: ${String(error)}` };
  }
}

function probeWebGl(scope: typeof globalThis): Capabilities['webgl'] {
  const Canvas = (scope as { OffscreenCanvas?: typeof OffscreenCanvas }).OffscreenCanvas;
  if (!Canvas)
    return { available: false, reason: 'OffscreenCanvas is missing, so WebGL cannot run in a worker.' };
  try {
    const gl = new Canvas(1, 1).getContext('webgl2');
    if (!gl) return { available: false, reason: 'OffscreenCanvas.getContext("webgl2") returned null.' };
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return { available: true };
  } catch (error) {
    return { available: false, reason: `WebGL 2 probe failed: ${String(error)}` };
  }
}

/**
 * Threads for WASM: more than one only when SharedArrayBuffer is usable (the page sends
 * COOP/COEP headers); then half the cores, at most 4, unless `requested` says otherwise.
 */
export function chooseThreads(caps: Capabilities, requested?: number): { threads: number; reason: string } {
  if (!caps.crossOriginIsolated) {
    return { threads: 1, reason: 'page is not cross-origin isolated (no COOP/COEP headers): one thread' };
  }
  if (requested !== undefined && requested >= 1)
    return { threads: Math.floor(requested), reason: 'as requested' };
  const threads = Math.max(1, Math.min(4, Math.ceil(caps.hardwareConcurrency / 2)));
  return { threads, reason: `cross-origin isolated: ${threads} of ${caps.hardwareConcurrency} cores` };
}
