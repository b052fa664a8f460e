import { ProtocolError } from './errors.ts';

/** The plain data of a numeric sketch, as encoded on the wire. Bins are `[index, count]`. */
export interface NumericSketchState {
  alpha: number;
  maxBins: number;
  zeroCount: number;
  nanCount: number;
  posInfCount: number;
  negInfCount: number;
  sum: number;
  min: number;
  max: number;
  mean: number;
  m2: number;
  positive: Array<[number, number]>;
  negative: Array<[number, number]>;
}

function invalid(why: string): never {
  throw new ProtocolError('DECODE_INVALID', `Numeric sketch is inconsistent: ${why}.`);
}

function isCount(c: number): boolean {
  return Number.isSafeInteger(c) && c >= 0;
}

/**
 * Checks the counts and bins of plain sketch data: counts are non-negative safe integers, bins
 * strictly ascending with positive counts and within `maxBins` (count and span). Throws
 * `DECODE_INVALID` or `DECODE_TOO_LARGE`. The total and min/max are checked by
 * {@link checkNumericTotals}, which decoded sketches also pass through.
 */
export function checkNumericState(state: NumericSketchState): void {
  for (const c of [state.zeroCount, state.nanCount, state.posInfCount, state.negInfCount]) {
    if (!isCount(c)) invalid(`count ${c} is not a non-negative integer`);
  }
  for (const bins of [state.positive, state.negative]) {
    if (bins.length > state.maxBins) {
      throw new ProtocolError('DECODE_TOO_LARGE', 'A numeric sketch has more than maxBins bins.');
    }
    let prev = Number.NEGATIVE_INFINITY;
    for (const [i, c] of bins) {
      if (!Number.isSafeInteger(i) || i <= prev) invalid('bin indexes are not strictly increasing integers');
      if (!isCount(c) || c === 0) invalid('a bin count is not a positive integer');
      prev = i;
    }
    const first = bins[0];
    const last = bins[bins.length - 1];
    if (first && last && last[0] - first[0] + 1 > state.maxBins) invalid('bins span more than maxBins');
  }
}

/**
 * Checks that `n` finite values (zeros and bins) is a safe integer and that min and max are ordered
 * finite values when there are any. (sum, mean and m2 may legitimately overflow to ±Infinity on
 * extreme data.) Throws `DECODE_INVALID`.
 */
export function checkNumericTotals(n: number, min: number, max: number): void {
  if (!Number.isSafeInteger(n)) invalid('total count overflows');
  if (n > 0 && (!Number.isFinite(min) || !Number.isFinite(max) || !(min <= max))) {
    invalid('min and max are not ordered finite values');
  }
}
