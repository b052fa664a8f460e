import { ProtocolError } from './errors.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

/**
 * Standard base64 (RFC 4648 §4, with `=` padding) of bytes, for profiles inside the JSON batch.
 *
 * @example
 * const field = toBase64(encodeProfile(profile));
 */
export function toBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  let chunk = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    chunk += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
    if (chunk.length >= 8192) {
      parts.push(chunk);
      chunk = '';
    }
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    chunk += `${ALPHABET[n >> 18]}${ALPHABET[(n >> 12) & 63]}==`;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    chunk += `${ALPHABET[n >> 18]}${ALPHABET[(n >> 12) & 63]}${ALPHABET[(n >> 6) & 63]}=`;
  }
  parts.push(chunk);
  return parts.join('');
}

/**
 * Decodes canonical padded base64 as written by {@link toBase64}. Anything else (whitespace,
 * URL-safe letters, missing padding, non-zero trailing bits) throws `INVALID_BASE64`, so one
 * profile has exactly one text form.
 */
export function fromBase64(text: string): Uint8Array {
  const fail = (why: string): never => {
    throw new ProtocolError(
      'INVALID_BASE64',
      `Profile text is not canonical base64 (${why}); send toBase64(bytes).`,
    );
  };
  if (typeof text !== 'string') return fail('not a string');
  if (text.length % 4 !== 0) return fail('length is not a multiple of 4');
  let pad = 0;
  if (text.endsWith('==')) pad = 2;
  else if (text.endsWith('=')) pad = 1;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length;
    const v = [0, 0, 0, 0];
    for (let k = 0; k < 4; k++) {
      const code = text.charCodeAt(i + k);
      if (last && k >= 4 - pad) {
        v[k] = 0;
        continue;
      }
      const d = code < 128 ? LOOKUP[code]! : -1;
      if (d < 0) return fail(`bad character at ${i + k}`);
      v[k] = d;
    }
    const n = (v[0]! << 18) | (v[1]! << 12) | (v[2]! << 6) | v[3]!;
    out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
    if (last && pad === 2 && (n & 0xffff) !== 0) return fail('non-zero padding bits');
    if (last && pad === 1 && (n & 0xff) !== 0) return fail('non-zero padding bits');
  }
  return out;
}
