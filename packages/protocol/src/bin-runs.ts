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

/**
 * Reads bins written by {@link writeBins}, checking run lengths and span against `maxBins`, index
 * range, counts, and the profile-wide span budget kept on the reader.
 */
export function readBins(r: ByteReader, maxBins: number): Array<[number, number]> {
  const bins: Array<[number, number]> = [];
  const runs = r.count('bin run count', maxBins);
  let next = 0;
  let span = 0;
  for (let k = 0; k < runs; k++) {
    const start = k === 0 ? r.zigzag('first bin index') : next + r.varint('bin gap');
    const len = r.count('bin run length', maxBins);
    if (len === 0) throw new ProtocolError('DECODE_INVALID', 'A bin run is empty.');
    span = start + len - (bins[0]?.[0] ?? start);
    if (span > maxBins)
      throw new ProtocolError('DECODE_TOO_LARGE', `Bins span ${span} indexes, above maxBins ${maxBins}.`);
    if (!Number.isSafeInteger(start) || Math.abs(start) > 1e7) {
      throw new ProtocolError('DECODE_INVALID', `Bin index ${start} is out of range.`);
    }
    let c = 0;
    for (let i = 0; i < len; i++) {
      c += r.zigzag('bin count');
      if (c < 0 || !Number.isSafeInteger(c))
        throw new ProtocolError('DECODE_INVALID', 'A bin count is negative.');
      if (c > 0) bins.push([start + i, c]);
    }
    next = start + len;
  }
  const first = bins[0];
  const last = bins[bins.length - 1];
  if (first && last) {
    // A store allocates its span: bound the total so small hostile inputs cannot claim much memory.
    r.binBudget -= last[0] - first[0] + 1;
    if (r.binBudget < 0) {
      throw new ProtocolError(
        'DECODE_TOO_LARGE',
        `Profile bins span more than ${LIMITS.maxDecodedBins} indexes in all.`,
      );
    }
  }
  return bins;
}
