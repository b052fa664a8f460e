import { ProtocolError } from './errors.ts';

// The package targets plain ES2023 (no DOM, no Node), so TextEncoder/TextDecoder are not assumed.

/** Encodes a string as UTF-8; lone surrogates become U+FFFD, as TextEncoder does. */
export function utf8Encode(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else c = 0xfffd;
    } else if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}

function notUtf8(at: number): never {
  throw new ProtocolError('DECODE_INVALID', `A string is not valid UTF-8 at byte ${at}; re-encode it.`);
}

/** Decodes strict UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF); throws `DECODE_INVALID`. */
export function utf8Decode(bytes: Uint8Array): string {
  let s = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let c: number;
    let extra: number;
    let min: number;
    if (b < 0x80) {
      s += String.fromCharCode(b);
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) [c, extra, min] = [b & 0x1f, 1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [c, extra, min] = [b & 0x0f, 2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [c, extra, min] = [b & 0x07, 3, 0x10000];
    else return notUtf8(i);
    if (i + extra >= bytes.length) return notUtf8(i);
    for (let k = 1; k <= extra; k++) {
      const d = bytes[i + k]!;
      if ((d & 0xc0) !== 0x80) return notUtf8(i);
      c = (c << 6) | (d & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return notUtf8(i);
    s += String.fromCodePoint(c);
    i += extra + 1;
  }
  return s;
}
