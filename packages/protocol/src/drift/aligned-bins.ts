import { ProtocolError } from '../errors.ts';
import type { NumericSketch } from '../numeric-sketch.ts';

/**
 * The bins of two sketches with the same alpha, merged into one ascending list: for each bin, its
 * representative value and the count on each side. Two sketches with one alpha share bin
 * boundaries, so counts up to any bin are exact on both sides.
 */
export interface AlignedBins {
  values: Float64Array;
  ref: Float64Array;
  cur: Float64Array;
}

const OFFSET = 2 ** 26; // above any decodable bin index (|index| <= 1e7)

/** Ascending order key of a bin: negatives (largest magnitude first), zero, positives. */
function keysOf(s: NumericSketch): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  const neg = s.negativeBins();
  for (let k = neg.length - 1; k >= 0; k--) {
    const [i, c] = neg[k]!;
    out.push([-(i + OFFSET), -s.binValue(i), c]);
  }
  if (s.zeroCount > 0) out.push([0, 0, s.zeroCount]);
  for (const [i, c] of s.positiveBins()) out.push([i + OFFSET, s.binValue(i), c]);
  return out;
}

export function alignBins(ref: NumericSketch, cur: NumericSketch): AlignedBins {
  if (ref.alpha !== cur.alpha) {
    throw new ProtocolError(
      'SKETCH_MISMATCH',
      `Cannot compare numeric sketches with different alpha (${ref.alpha} vs ${cur.alpha}); profile both sides with the same options.`,
    );
  }
  const a = keysOf(ref);
  const b = keysOf(cur);
  const values: number[] = [];
  const rc: number[] = [];
  const cc: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const ka = i < a.length ? a[i]![0] : Number.POSITIVE_INFINITY;
    const kb = j < b.length ? b[j]![0] : Number.POSITIVE_INFINITY;
    if (ka <= kb) {
      values.push(a[i]![1]);
      rc.push(a[i]![2]);
      cc.push(ka === kb ? b[j++]![2] : 0);
      i++;
    } else {
      values.push(b[j]![1]);
      rc.push(0);
      cc.push(b[j]![2]);
      j++;
    }
  }
  return { values: Float64Array.from(values), ref: Float64Array.from(rc), cur: Float64Array.from(cc) };
}
