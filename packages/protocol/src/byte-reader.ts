import { ProtocolError } from './errors.ts';
import { LIMITS } from './limits.ts';
import { utf8Decode } from './utf8.ts';

/**
 * Bounds-checked reader over encoded bytes. Every read checks the remaining length first, so a
 * truncated or lying input ends in `DECODE_TRUNCATED` / `DECODE_INVALID`, never a RangeError.
 */
export class ByteReader {
  private pos = 0;
  private readonly view: DataView;
  /** Bin indexes the decoded stores may still span in all (see LIMITS.maxDecodedBins). */
  binBudget: number = LIMITS.maxDecodedBins;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  get offset(): number {
    return this.pos;
  }

  private need(n: number, what: string): void {
    if (n > this.remaining) {
      throw new ProtocolError(
        'DECODE_TRUNCATED',
        `Encoded profile ends early: ${what} needs ${n} bytes at offset ${this.pos}, ${this.remaining} left. Send the complete bytes.`,
      );
    }
  }

  byte(what = 'a byte'): number {
    this.need(1, what);
    return this.bytes[this.pos++]!;
  }

  /** Unsigned LEB128, at most 8 bytes and at most Number.MAX_SAFE_INTEGER. */
  varint(what = 'a varint'): number {
    if (this.pos < this.bytes.length && this.bytes[this.pos]! < 0x80) return this.bytes[this.pos++]!;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte(what);
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (!Number.isSafeInteger(result)) break;
        if (i > 0 && b === 0) {
          throw new ProtocolError(
            'DECODE_INVALID',
            `${what} at offset ${this.pos - i - 1} is not minimally encoded.`,
          );
        }
        return result;
      }
      scale *= 0x80;
    }
    throw new ProtocolError('DECODE_INVALID', `${what} at offset ${this.pos} is larger than 2^53.`);
  }

  /** A varint that must not exceed `max` (a hard cap). */
  count(what: string, max: number): number {
    const n = this.varint(what);
    if (n > max) {
      throw new ProtocolError('DECODE_TOO_LARGE', `${what} is ${n}, above the cap of ${max}.`);
    }
    return n;
  }

  zigzag(what = 'a signed varint'): number {
    const n = this.varint(what);
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  /**
   * Reads one run of `len` bin counts written as zigzag deltas from the previous count (the
   * first from 0) into `out[at]…out[at + len − 1]`; returns their sum. Throws `DECODE_INVALID`
   * when a count goes negative or past 2^53 − 1. The hot loop of decoding: one-byte varints are
   * read inline.
   */
  binCounts(len: number, out: Float64Array, at: number): number {
    const bytes = this.bytes;
    let c = 0;
    let sum = 0;
    for (let i = 0; i < len; i++) {
      let v: number;
      if (this.pos < bytes.length && bytes[this.pos]! < 0x80) v = bytes[this.pos++]!;
      else v = this.varint('bin count');
      // Integers in, so `c` stays an exact integer while it is at most 2^53 − 1.
      c += v % 2 === 0 ? v / 2 : -(v + 1) / 2;
      if (c < 0 || c > Number.MAX_SAFE_INTEGER) {
        throw new ProtocolError('DECODE_INVALID', 'A bin count is negative.');
      }
      out[at + i] = c;
      sum += c;
    }
    return sum;
  }

  f32(what = 'a float32'): number {
    this.need(4, what);
    const x = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return x;
  }

  f64(what = 'a float64'): number {
    this.need(8, what);
    const x = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return x;
  }

  string(what: string, maxBytes: number): string {
    const n = this.count(`length of ${what}`, maxBytes);
    this.need(n, what);
    const s = utf8Decode(this.bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
}
