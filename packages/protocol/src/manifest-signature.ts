import { fromBase64, toBase64 } from './base64.ts';
import { ProtocolError } from './errors.ts';
import { type Manifest, parseManifest } from './manifest.ts';
import { utf8Encode } from './utf8.ts';

/** An imported WebCrypto key (a `CryptoKey`); opaque here because this package has no DOM types. */
export type WebCryptoKey = object;

// The WebCrypto subset used below, typed locally: the package's lib is plain ES2023.
interface Subtle {
  generateKey(alg: object, extractable: boolean, usages: string[]): Promise<unknown>;
  exportKey(format: 'raw' | 'pkcs8', key: WebCryptoKey): Promise<ArrayBuffer>;
  importKey(
    format: 'raw' | 'pkcs8',
    data: Uint8Array,
    alg: object,
    extractable: boolean,
    usages: string[],
  ): Promise<WebCryptoKey>;
  sign(alg: object, key: WebCryptoKey, data: Uint8Array): Promise<ArrayBuffer>;
  verify(alg: object, key: WebCryptoKey, signature: Uint8Array, data: Uint8Array): Promise<boolean>;
}

/** The one signature algorithm manifests use (WebCrypto `Ed25519`: Node 20, Chromium 137+). */
export const MANIFEST_SIGNATURE_ALGORITHM = 'ed25519';
const PREFIX = `${MANIFEST_SIGNATURE_ALGORITHM}:`;
const ALG = { name: 'Ed25519' } as const;

function subtle(): Subtle {
  const s = (globalThis as { crypto?: { subtle?: Subtle } }).crypto?.subtle;
  if (!s) {
    throw new ProtocolError(
      'INVALID_ARGUMENT',
      'WebCrypto (crypto.subtle) is not available; manifests can be signed and verified only in a secure context or Node 20+.',
    );
  }
  return s;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((x) => canonical(x ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The bytes a manifest signature covers: UTF-8 JSON of the manifest *as sent* without `signature`,
 * object keys sorted by code unit, no whitespace, undefined members left out. Every member counts,
 * also ones this version of the protocol does not know: a runtime built before a collector added a
 * field to the manifest verifies the bytes the collector signed (and then ignores the field), and a
 * field cannot be added on the way without breaking the signature. The collector and the runtime
 * share this one definition.
 * @throws ProtocolError `INVALID_MANIFEST` when `manifest` is not a JSON object.
 */
export function canonicalManifestBytes(manifest: unknown): Uint8Array {
  if (manifest === null || typeof manifest !== 'object' || Array.isArray(manifest)) {
    throw new ProtocolError(
      'INVALID_MANIFEST',
      'A manifest is a JSON object; pass the parsed response body.',
    );
  }
  const { signature: _, ...rest } = manifest as Record<string, unknown>;
  return utf8Encode(canonical(rest));
}

const bytes = (b: Uint8Array): Uint8Array => b;

function decodeKey(b64: string, what: string, length?: number): Uint8Array {
  let raw: Uint8Array;
  try {
    raw = fromBase64(b64.trim());
  } catch (err) {
    throw new ProtocolError(
      'INVALID_ARGUMENT',
      `The ${what} is not base64; copy it again from \`driftline keys signing\`.`,
      {
        cause: err,
      },
    );
  }
  if (length !== undefined && raw.length !== length) {
    throw new ProtocolError(
      'INVALID_ARGUMENT',
      `The ${what} must be ${length} bytes (base64 of a raw Ed25519 key), not ${raw.length}; copy it again from \`driftline keys signing\`.`,
    );
  }
  return bytes(raw);
}

/** A new Ed25519 key pair: `publicKey` is base64 of the raw 32-byte key (give it to the runtime), `privateKey` base64 PKCS#8 (keep it secret). */
export async function generateSigningKeyPair(): Promise<{ publicKey: string; privateKey: string }> {
  const pair = (await subtle().generateKey(ALG, true, ['sign', 'verify'])) as {
    publicKey: WebCryptoKey;
    privateKey: WebCryptoKey;
  };
  const pub = new Uint8Array(await subtle().exportKey('raw', pair.publicKey));
  const priv = new Uint8Array(await subtle().exportKey('pkcs8', pair.privateKey));
  return { publicKey: toBase64(pub), privateKey: toBase64(priv) };
}

/** Imports a base64 PKCS#8 Ed25519 private key (as made by {@link generateSigningKeyPair}) for signing. */
export async function importSigningKey(privateKey: string): Promise<WebCryptoKey> {
  return subtle().importKey('pkcs8', decodeKey(privateKey, 'private signing key'), ALG, false, ['sign']);
}

/** Imports a base64 raw Ed25519 public key for {@link verifyManifestSignature}. */
export async function importVerifyKey(publicKey: string): Promise<WebCryptoKey> {
  return subtle().importKey('raw', decodeKey(publicKey, 'public key', 32), ALG, false, ['verify']);
}

/**
 * Signs a manifest: answers the parsed manifest (validated, defaults filled in) with
 * `signature: 'ed25519:<base64>'` over {@link canonicalManifestBytes} of exactly that object, so
 * what the collector sends is what it signed.
 */
export async function signManifest(manifest: Manifest, privateKey: WebCryptoKey | string): Promise<Manifest> {
  const key = typeof privateKey === 'string' ? await importSigningKey(privateKey) : privateKey;
  const { signature: _, ...unsigned } = parseManifest(manifest);
  const sig = new Uint8Array(await subtle().sign(ALG, key, bytes(canonicalManifestBytes(unsigned))));
  return { ...unsigned, signature: PREFIX + toBase64(sig) } as Manifest;
}

/**
 * True when `received` — the manifest as it came off the wire (the JSON-parsed body, not the
 * output of `parseManifest`, which drops members this version does not know) — carries an Ed25519
 * signature that `publicKey` (base64 raw key, or an imported `CryptoKey`) verifies over its
 * canonical bytes; false when it is unsigned, signed with another algorithm or key, or was changed
 * after signing. A runtime given a public key must refuse a manifest for which this answers false.
 *
 * @example
 * const body: unknown = await res.json();
 * if (!(await verifyManifestSignature(body, PUBLIC_KEY))) throw new Error('unsigned manifest');
 * const manifest = parseManifest(body);
 */
export async function verifyManifestSignature(
  received: unknown,
  publicKey: WebCryptoKey | string,
): Promise<boolean> {
  const key = typeof publicKey === 'string' ? await importVerifyKey(publicKey) : publicKey;
  if (received === null || typeof received !== 'object' || Array.isArray(received)) return false;
  const sig = (received as { signature?: unknown }).signature;
  if (typeof sig !== 'string') return false;
  if (!sig.startsWith(PREFIX)) return false;
  let raw: Uint8Array;
  try {
    raw = fromBase64(sig.slice(PREFIX.length));
  } catch {
    return false;
  }
  if (raw.length !== 64) return false;
  try {
    return await subtle().verify(ALG, key, bytes(raw), bytes(canonicalManifestBytes(received)));
  } catch {
    return false;
  }
}
