import type { NamedTensors, Tensor } from '../tensor.ts';

/** How a shadow's answer compares with the primary's on one input. */
export interface Agreement {
  /** 1 when both argmaxes are equal, else 0. */
  top1Agree: number;
  /** Mean |shadow − primary| over the output's elements. */
  meanAbsDiff: number;
}

/** The output compared: the first float output present in both answers (by the primary's order). */
function firstShared(primary: NamedTensors, shadow: NamedTensors): [Tensor, Tensor] | undefined {
  for (const [name, t] of Object.entries(primary)) {
    const s = shadow[name];
    if (s && t.data instanceof Float32Array && s.data instanceof Float32Array) return [t, s];
  }
  const p = Object.values(primary)[0];
  const s = Object.values(shadow)[0];
  return p && s && p.data instanceof Float32Array && s.data instanceof Float32Array ? [p, s] : undefined;
}

function argmax(data: Float32Array, from: number, to: number): number {
  let best = from;
  for (let i = from + 1; i < to; i++) if (data[i]! > data[best]!) best = i;
  return best - from;
}

/**
 * Top-1 agreement and mean absolute difference of a shadow's output against the primary's, or
 * undefined when they cannot be compared (no float output, different sizes). For a batch, top-1
 * agreement is the share of rows (last dimension = classes) whose argmaxes agree.
 */
export function agreement(primary: NamedTensors, shadow: NamedTensors): Agreement | undefined {
  const pair = firstShared(primary, shadow);
  if (!pair) return undefined;
  const [p, s] = pair;
  const a = p.data as Float32Array;
  const b = s.data as Float32Array;
  if (a.length !== b.length || a.length === 0) return undefined;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff += Math.abs(a[i]! - b[i]!);
  const classes = p.dims.at(-1) ?? a.length;
  const width = classes > 0 && a.length % classes === 0 ? classes : a.length;
  let agree = 0;
  const rows = a.length / width;
  for (let r = 0; r < rows; r++) {
    if (argmax(a, r * width, (r + 1) * width) === argmax(b, r * width, (r + 1) * width)) agree++;
  }
  return { top1Agree: agree / rows, meanAbsDiff: diff / a.length };
}
