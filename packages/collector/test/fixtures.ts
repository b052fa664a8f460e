import { randomUUID } from 'node:crypto';
import {
  categoricalFeature,
  createProfile,
  encodeProfile,
  latencySketch,
  numericFeature,
  type Profile,
  toBase64,
} from '@driftline/protocol';

import { rng } from '@driftline/protocol/testing';

export { rng };

/** A realistic window profile: `n` inferences, 16 numeric features (shifted by `shift`), one label feature. */
export function makeProfile(
  n: number,
  opts: { seed?: number; shift?: number; latencyMs?: number; errors?: number } = {},
): Profile {
  const r = rng(opts.seed ?? 1);
  const p = createProfile();
  p.inferences = n;
  p.errors = opts.errors ?? 0;
  const total = latencySketch(p, 'total');
  const run = latencySketch(p, 'run');
  for (let i = 0; i < n; i++) {
    const l = (opts.latencyMs ?? 5) * (0.5 + r());
    total.add(l);
    run.add(l * 0.8);
    for (let f = 0; f < 16; f++) numericFeature(p, `f${f}`).add((opts.shift ?? 0) + f * 0.1 + r() - 0.5);
    categoricalFeature(p, 'argmax').add(String(Math.floor(r() * 10)));
  }
  return p;
}

export interface BatchOptions {
  model?: string;
  version?: string;
  backend?: string;
  segment?: string;
  deviceId?: string;
  batchId?: string;
  start?: number;
  profile?: Profile;
  windows?: number;
}

/** A telemetry batch (JSON object) with `windows` copies of one window. */
export function makeBatch(o: BatchOptions = {}) {
  const start = o.start ?? Date.now() - 60_000;
  const profile = toBase64(encodeProfile(o.profile ?? makeProfile(10)));
  return {
    v: 1 as const,
    batchId: o.batchId ?? randomUUID(),
    deviceId: o.deviceId ?? 'device-1',
    sdkVersion: '0.1.0',
    sentAt: start + 30_000,
    windows: Array.from({ length: o.windows ?? 1 }, () => ({
      model: o.model ?? 'digits',
      version: o.version ?? '1.0.0',
      role: 'primary' as const,
      backend: o.backend ?? 'wasm',
      segment: o.segment ?? 'chrome/linux/wasm/cores-2/gpu-none',
      start,
      end: start + 10_000,
      profile,
    })),
  };
}
