import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readBinStore, writeBins } from './bin-runs.ts';
import { ByteReader } from './byte-reader.ts';
import { ByteWriter } from './byte-writer.ts';
import { ProtocolError } from './errors.ts';

/** The format read the plain way (docs/protocol.md): runs of zigzag count deltas, empty bins skipped. */
function referenceRead(bytes: Uint8Array, maxBins: number): Array<[number, number]> | string {
  try {
    const r = new ByteReader(bytes);
    const bins: Array<[number, number]> = [];
    const runs = r.count('runs', maxBins);
    let next = 0;
    for (let k = 0; k < runs; k++) {
      const start = k === 0 ? r.zigzag() : next + r.varint();
      const len = r.count('len', maxBins);
      if (len === 0) return 'DECODE_INVALID';
      if (start + len - (bins[0]?.[0] ?? start) > maxBins) return 'DECODE_TOO_LARGE';
      if (Math.abs(start) > 1e7) return 'DECODE_INVALID';
      let c = 0;
      for (let i = 0; i < len; i++) {
        c += r.zigzag();
        if (c < 0 || !Number.isSafeInteger(c)) return 'DECODE_INVALID';
        if (c > 0) bins.push([start + i, c]);
      }
      next = start + len;
    }
    return bins;
  } catch (err) {
    return (err as ProtocolError).code;
  }
}

function decoded(bytes: Uint8Array, maxBins: number): Array<[number, number]> | string {
  try {
    const store = readBinStore(new ByteReader(bytes), maxBins);
    const bins = store.entries();
    // The store's bounds are its first and last non-empty bins, and its total their sum.
    expect([store.lo, store.hi]).toEqual(bins.length > 0 ? [bins[0]![0], bins.at(-1)![0]] : [0, -1]);
    expect(store.total).toBe(bins.reduce((n, [, c]) => n + c, 0));
    return bins;
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    return err.code;
  }
}

// Runs as the wire allows them, not only as writeBins makes them: empty runs of zeros, leading
// zero runs far from the rest, counts that go up and down, spans past maxBins.
const runs = fc.array(
  fc.record({
    gap: fc.nat({ max: 40 }),
    deltas: fc.array(fc.integer({ min: -6, max: 6 }), { minLength: 1, maxLength: 30 }),
  }),
  { maxLength: 12 },
);

function encodeRuns(first: number, rs: { gap: number; deltas: number[] }[]): Uint8Array {
  const w = new ByteWriter();
  w.varint(rs.length);
  rs.forEach((run, k) => {
    if (k === 0) w.zigzag(first);
    else w.varint(run.gap);
    w.varint(run.deltas.length);
    for (const d of run.deltas) w.zigzag(d);
  });
  return w.finish();
}

describe('readBinStore', () => {
  it('reads any run layout exactly as the plain reading of the format does, or fails with the same code', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -500, max: 500 }),
        runs,
        fc.integer({ min: 1, max: 200 }),
        (first, rs, maxBins) => {
          const bytes = encodeRuns(first, rs);
          expect(decoded(bytes, maxBins)).toEqual(referenceRead(bytes, maxBins));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('round-trips what writeBins writes, and a failed read leaves nothing behind for the next one', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: -300, max: 300 }), { maxLength: 80 }),
        fc.integer({ min: 1, max: 1_000 }),
        (indexes, count) => {
          const bins = [...indexes].sort((a, b) => a - b).map((i, k): [number, number] => [i, count + k]);
          const w = new ByteWriter();
          writeBins(w, bins);
          const bytes = w.finish();
          // A truncated copy throws part-way through a run; the full read after it must be clean.
          if (bytes.length > 3)
            expect(decoded(bytes.subarray(0, bytes.length - 1), 4096)).toBeTypeOf('string');
          expect(decoded(bytes, 4096)).toEqual(bins);
        },
      ),
      { numRuns: 500 },
    );
  });
});
