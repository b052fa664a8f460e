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

/**
 * Checks that plain sketch data could have come from real data: counts are non-negative safe
 * integers, bins strictly ascending with positive counts and within `maxBins` (count and span),
 * min and max finite and ordered when there are values. Throws `DECODE_INVALID` or
 * `DECODE_TOO_LARGE`. (sum, mean and m2 may legitimately overflow to ±Infinity on extreme data.)
 */
export function checkNumericState(state: NumericSketchState): void {
  const invalid = (why: string): never => {
    throw new ProtocolError('DECODE_INVALID', `Numeric sketch is inconsistent: ${why}.`);
  };
  const isCount = (c: number) => Number.isSafeInteger(c) && c >= 0;
  for (const c of [state.zeroCount, state.nanCount, state.posInfCount, state.negInfCount]) {
    if (!isCount(c)) invalid(`count ${c} is not a non-negative integer`);
  }
  let n = state.zeroCount;
  for (const bins of [state.positive, state.negative]) {
    if (bins.length > state.maxBins) {
      throw new ProtocolError('DECODE_TOO_LARGE', 'A numeric sketch has more than maxBins bins.');
    }
    let prev = Number.NEGATIVE_INFINITY;
    for (const [i, c] of bins) {
      if (!Number.isSafeInteger(i) || i <= prev) invalid('bin indexes are not strictly increasing integers');
      if (!isCount(c) || c === 0) invalid('a bin count is not a positive integer');
      prev = i;
      n += c;
    }
    const first = bins[0];
    const last = bins[bins.length - 1];
    if (first && last && last[0] - first[0] + 1 > state.maxBins) invalid('bins span more than maxBins');
  }
  if (!Number.isSafeInteger(n)) invalid('total count overflows');
  if (n > 0 && (!Number.isFinite(state.min) || !Number.isFinite(state.max) || !(state.min <= state.max))) {
    invalid('min and max are not ordered finite values');
  }
}
