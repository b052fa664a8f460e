/** The parts of a coarse device segment; nothing that could single out one device. */
export interface SegmentParts {
  browser: string;
  os: string;
  backend: string;
  cores: number;
  gpuVendor?: string | undefined;
}

/** Buckets core counts so that the segment stays coarse: 1, 2, 4, 8, 16+. */
export function coresBucket(cores: number): string {
  if (cores >= 16) return 'cores-16+';
  const bucket = [8, 4, 2, 1].find((b) => cores >= b) ?? 1;
  return `cores-${bucket}`;
}

const clean = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9.+-]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 24) || 'unknown';

/**
 * The segment the collector slices latency by, e.g. `chrome/linux/wasm/cores-2/gpu-none`.
 * @example coarseSegment({ browser: 'Chrome', os: 'Linux', backend: 'wasm', cores: 2 })
 */
export function coarseSegment(parts: SegmentParts): string {
  const gpu = parts.gpuVendor ? `gpu-${clean(parts.gpuVendor)}` : 'gpu-none';
  return [clean(parts.browser), clean(parts.os), clean(parts.backend), coresBucket(parts.cores), gpu].join(
    '/',
  );
}

/** Browser family and OS from the user agent, coarse on purpose (no versions). */
export function browserAndOs(userAgent: string): { browser: string; os: string } {
  const ua = userAgent.toLowerCase();
  const browser = ua.includes('edg/')
    ? 'edge'
    : ua.includes('firefox/')
      ? 'firefox'
      : ua.includes('chrome/') || ua.includes('chromium/')
        ? 'chrome'
        : ua.includes('safari/')
          ? 'safari'
          : 'other';
  const os = ua.includes('android')
    ? 'android'
    : /iphone|ipad|ios/.test(ua)
      ? 'ios'
      : ua.includes('windows')
        ? 'windows'
        : ua.includes('mac os')
          ? 'macos'
          : ua.includes('cros')
            ? 'chromeos'
            : ua.includes('linux')
              ? 'linux'
              : 'other';
  return { browser, os };
}
