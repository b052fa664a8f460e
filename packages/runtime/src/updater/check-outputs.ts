import type { NamedTensors } from '../tensor.ts';

/** Whether any floating-point output holds a NaN: a new version that answers NaN is not activated. */
export function hasNaN(outputs: NamedTensors): boolean {
  for (const t of Object.values(outputs)) {
    if (!(t.data instanceof Float32Array)) continue;
    for (let i = 0; i < t.data.length; i++) if (Number.isNaN(t.data[i])) return true;
  }
  return false;
}
