import { BinStore } from './bin-store.ts';
import type { ByteReader } from './byte-reader.ts';
import type { ByteWriter } from './byte-writer.ts';
import { ProtocolError } from './errors.ts';
import { LIMITS } from './limits.ts';

/**
 * Bins as sparse runs: a varint run count, then per run its start (zigzag absolute index for the
 * first run, varint gap after the previous run's end for later ones), its length, and per bin the
 * zigzag difference from the previous count of the run (zero counts allowed inside a run, to
 * bridge short gaps).
 */
export function writeBins(w: ByteWriter, bins: Array<[number, number]>): void {
  // A gap of one or two empty bins costs less inside the run than as a new run header.
  const bridges = (k: number) => bins[k]![0] - bins[k - 1]![0] <= 3;
  let runs = bins.length > 0 ? 1 : 0;
  for (let k = 1; k < bins.length; k++) if (!bridges(k)) runs++;
  w.varint(runs);
  let k = 0;
  let end = 0;
  while (k < bins.length) {
    let last = k;
    while (last + 1 < bins.length && bridges(last + 1)) last++;
    const start = bins[k]![0];
    if (k === 0) w.zigzag(start);
    else w.varint(start - end - 1);
    end = bins[last]![0];
    w.varint(end - start + 1);
    // Neighbouring bins hold similar counts: zigzag deltas keep most of them to one byte.
    let prev = 0;
    for (let b = k; b <= last; b++) {
      if (b > k) for (let gap = bins[b - 1]![0] + 1; gap < bins[b]![0]; gap++, prev = 0) w.zigzag(-prev);
      const c = bins[b]![1];
      w.zigzag(c - prev);
      prev = c;
    }
    k = last + 1;
  }
}

// Scratch for decoding: indexes of one store lie within 2·maxBins of its first non-empty run's
// start (see readBinStore), so one buffer of that size serves every sketch. `dirty` entries at its
// start may hold counts of an earlier call (one that threw) and are cleared before use.
let scratch = new Float64Array(0);
let dirty = 0;

/**
 * Reads bins written by {@link writeBins} straight into a {@link BinStore}, checking run lengths
 * and span against `maxBins`, index range, counts, and the profile-wide span budget kept on the
 * reader. Bins come out strictly ascending by construction (each run starts after the previous
 * one ends), so the store needs no further checks; the caller checks that the total is safe.
 */
export function readBinStore(r: ByteReader, maxBins: number): BinStore {
  const runs = r.count('bin run count', maxBins);
  if (scratch.length < 2 * maxBins) scratch = new Float64Array(2 * LIMITS.maxBins);
  else if (dirty > 0) scratch.fill(0, 0, dirty);
  const buf = scratch;
  // Until a non-empty bin is seen, each run is read at buf[0] (an all-empty run writes only
  // zeros); from then on `base` (the start of that run) is the index of buf[0].
  let base = Number.NaN;
  let first = 0;
  let last = 0;
  let total = 0;
  let next = 0;
  dirty = 0;
  for (let k = 0; k < runs; k++) {
    const start = k === 0 ? r.zigzag('first bin index') : next + r.varint('bin gap');
    const len = r.count('bin run length', maxBins);
    if (len === 0) throw new ProtocolError('DECODE_INVALID', 'A bin run is empty.');
    const found = !Number.isNaN(base);
    const span = start + len - (found ? first : start);
    if (span > maxBins)
      throw new ProtocolError('DECODE_TOO_LARGE', `Bins span ${span} indexes, above maxBins ${maxBins}.`);
    if (!Number.isSafeInteger(start) || Math.abs(start) > 1e7) {
      throw new ProtocolError('DECODE_INVALID', `Bin index ${start} is out of range.`);
    }
    const at = found ? start - base : 0;
    dirty = at + len;
    const sum = r.binCounts(len, buf, at);
    next = start + len;
    if (sum === 0) continue; // all empty: nothing was written
    total += sum;
    let hi = at + len - 1;
    while (buf[hi] === 0) hi--;
    if (!found) {
      base = start;
      let lo = 0;
      while (buf[lo] === 0) lo++;
      first = start + lo;
    }
    last = base + hi;
  }
  const store = new BinStore(maxBins);
  if (Number.isNaN(base)) return store;
  const counts = buf.slice(first - base, last - base + 1);
  buf.fill(0, 0, dirty);
  dirty = 0;
  // A store allocates its span: bound the total so small hostile inputs cannot claim much memory.
  r.binBudget -= last - first + 1;
  if (r.binBudget < 0) {
    throw new ProtocolError(
      'DECODE_TOO_LARGE',
      `Profile bins span more than ${LIMITS.maxDecodedBins} indexes in all.`,
    );
  }
  store.loadDense(counts, first, total);
  return store;
}
