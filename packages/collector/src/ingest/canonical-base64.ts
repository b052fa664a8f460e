import { Buffer } from 'node:buffer';
import { fromBase64 } from '@driftline/protocol';

/**
 * The bytes of a profile field, exactly as protocol's `fromBase64` reads them, in native code:
 * canonical padded base64 is the one text that round-trips through Node's codec, so a text that
 * round-trips is accepted as is, and anything else goes to `fromBase64` for its precise error.
 */
export function canonicalBase64(text: string): Uint8Array {
  if (typeof text === 'string') {
    const bytes = Buffer.from(text, 'base64');
    if (bytes.toString('base64') === text) return bytes;
  }
  return fromBase64(text);
}
