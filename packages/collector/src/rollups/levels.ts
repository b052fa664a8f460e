/**
 * Rollup levels, in minutes. The compactor merges every window into one row per level (minute,
 * 10 minutes, hour, day), so a query over a day reads about 50 rows instead of 1,440. Levels
 * finer than an hour are dropped after the retention period (the "coarsening" to 1 hour).
 */
export const LEVELS = [1, 10, 60, 1_440] as const;
export type Level = (typeof LEVELS)[number];

/** The start (minutes since the epoch) of the level-`res` bucket holding minute `bucket`. */
export const levelBucket = (bucket: number, res: number): number => Math.floor(bucket / res) * res;

/** One piece of a range cover: rows of `resolution` whose bucket start is in [from, to]. */
export interface CoverSegment {
  resolution: Level;
  from: number;
  to: number;
}

/**
 * Covers the minute range [from, to] (inclusive) with the fewest rollup rows: whole days, then
 * whole hours, 10-minute blocks and minutes at the edges. Before `finestFrom` (the retention
 * cutoff) only hours and days exist, so the range is first widened to whole hours there.
 * @returns the segments and the (possibly widened) range they cover.
 */
export function coverRange(
  from: number,
  to: number,
  finestFrom = Number.NEGATIVE_INFINITY,
): { segments: CoverSegment[]; from: number; to: number } {
  let a = from;
  let b = to;
  if (a < finestFrom) a = levelBucket(a, 60);
  if (b < finestFrom) b = levelBucket(b, 60) + 59;
  const segments: CoverSegment[] = [];
  const cover = (lo: number, hi: number, i: number) => {
    if (lo > hi) return;
    const res = LEVELS[i]!;
    if (i === 0) {
      segments.push({ resolution: res, from: lo, to: hi });
      return;
    }
    const start = Math.ceil(lo / res) * res;
    const end = Math.floor((hi + 1) / res) * res - 1;
    if (start > end) {
      cover(lo, hi, i - 1);
      return;
    }
    segments.push({ resolution: res, from: start, to: end - res + 1 });
    cover(lo, start - 1, i - 1);
    cover(end + 1, hi, i - 1);
  };
  cover(a, b, LEVELS.length - 1);
  return { segments, from: a, to: b };
}
