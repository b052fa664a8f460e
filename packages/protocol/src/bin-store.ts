/**
 * Counts per bin index over a dense window of at most `maxBins` consecutive indexes.
 *
 * When a new index would stretch the window past `maxBins`, the lowest indexes (the smallest
 * magnitudes) are folded into the lowest index that still fits. The floor is always
 * `highest index ever seen − maxBins + 1`, so every value ends in bin `max(index, floor)` whatever
 * the order of insertion: adding, merging and collapsing commute, which keeps merge exact.
 */
// Shared by every empty store: nothing is written to a store's counts before `window` gives it
// its own array, and allocating a typed array per empty store cost more than decoding its bins.
const NO_COUNTS = new Float64Array(0);

export class BinStore {
  private counts: Float64Array = NO_COUNTS;
  /** Bin index held at `counts[0]`. */
  private offset = 0;
  /** Lowest and highest non-empty index; `lo > hi` when empty. */
  lo = 0;
  hi = -1;
  total = 0;

  constructor(readonly maxBins: number) {}

  get isEmpty(): boolean {
    return this.total === 0;
  }

  add(index: number, n = 1): void {
    if (index >= this.lo && index <= this.hi) {
      this.counts[index - this.offset]! += n;
      this.total += n;
      return;
    }
    this.grow(index, n);
  }

  /** Adds outside the current [lo, hi]: widens the window, folding the lowest bins if needed. */
  private grow(index: number, n: number): void {
    if (this.total === 0) {
      this.window(index, index);
      this.lo = index;
      this.hi = index;
    } else if (index > this.hi) {
      const floor = index - this.maxBins + 1;
      if (floor > this.lo) {
        let folded = 0;
        const end = Math.min(this.hi, floor - 1);
        for (let i = this.lo; i <= end; i++) {
          folded += this.counts[i - this.offset]!;
          this.counts[i - this.offset] = 0;
        }
        this.window(floor, index, floor, this.hi);
        this.lo = floor;
        this.counts[floor - this.offset]! += folded;
      } else {
        this.window(this.lo, index);
      }
      this.hi = index;
    } else if (index < this.lo) {
      const floor = this.hi - this.maxBins + 1;
      if (index < floor) index = floor;
      if (index < this.lo) {
        this.window(index, this.hi);
        this.lo = index;
      }
    }
    this.counts[index - this.offset]! += n;
    this.total += n;
  }

  /** Makes `counts` cover [from, to], keeping the current contents of [keepLo, keepHi]. */
  private window(from: number, to: number, keepLo = this.lo, keepHi = this.hi): void {
    const cap = this.counts.length;
    if (from >= this.offset && to < this.offset + cap) return;
    const span = to - from + 1;
    const size = Math.min(this.maxBins, Math.max(span, cap * 2, 16));
    const next = new Float64Array(size);
    const offset = from - Math.floor((size - span) / 2);
    if (this.total > 0) {
      for (let i = Math.max(keepLo, offset); i <= keepHi && i < offset + size; i++) {
        next[i - offset] = this.counts[i - this.offset]!;
      }
    }
    this.counts = next;
    this.offset = offset;
  }

  count(index: number): number {
    const i = index - this.offset;
    return i >= 0 && i < this.counts.length ? this.counts[i]! : 0;
  }

  /** Calls `f` for each non-empty bin, lowest index first. */
  forEach(f: (index: number, count: number) => void): void {
    if (this.total === 0) return;
    for (let i = this.lo; i <= this.hi; i++) {
      const c = this.counts[i - this.offset]!;
      if (c > 0) f(i, c);
    }
  }

  /** Non-empty bins as `[index, count]`, lowest index first. */
  entries(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    this.forEach((i, c) => {
      out.push([i, c]);
    });
    return out;
  }

  mergeFrom(other: BinStore): void {
    if (other.total === 0) return;
    if (other.lo >= this.lo && other.hi <= this.hi) {
      // Inside the current window (the common case once a rollup has seen some windows): add the
      // counts slot by slot; nothing can fold.
      const shift = other.offset - this.offset;
      for (let i = other.lo - other.offset; i <= other.hi - other.offset; i++) {
        this.counts[i + shift]! += other.counts[i]!;
      }
      this.total += other.total;
      return;
    }
    // Highest first so the window settles at once instead of collapsing repeatedly.
    for (let i = other.hi; i >= other.lo; i--) {
      const c = other.counts[i - other.offset]!;
      if (c > 0) this.add(i, c);
    }
  }

  clone(): BinStore {
    const copy = new BinStore(this.maxBins);
    if (this.total > 0) {
      copy.counts = this.counts.slice(this.lo - this.offset, this.hi - this.offset + 1);
      copy.offset = this.lo;
    }
    copy.lo = this.lo;
    copy.hi = this.hi;
    copy.total = this.total;
    return copy;
  }

  /**
   * Takes dense counts (index `lo + k` at `counts[k]`, first and last non-zero, span at most
   * `maxBins`) and their `total` into an empty store, without copying.
   */
  loadDense(counts: Float64Array, lo: number, total: number): void {
    this.counts = counts;
    this.offset = lo;
    this.lo = lo;
    this.hi = lo + counts.length - 1;
    this.total = total;
  }

  /** Loads ascending `[index, count]` bins spanning at most `maxBins` indexes into an empty store. */
  load(bins: ReadonlyArray<readonly [number, number]>): void {
    const first = bins[0];
    const last = bins[bins.length - 1];
    if (!first || !last) return;
    this.counts = new Float64Array(last[0] - first[0] + 1);
    this.offset = first[0];
    this.lo = first[0];
    this.hi = last[0];
    for (const [i, c] of bins) {
      this.counts[i - this.offset] = c;
      this.total += c;
    }
  }
}
