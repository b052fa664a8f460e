import { type Manifest, parseManifest, verifyManifestSignature } from '@driftline/protocol';
import { ModelFetchError, ModelIntegrityError } from '../errors.ts';
import type { ManifestFreshness } from './manifest-freshness.ts';

/**
 * The keys manifests may be signed with: one base64 Ed25519 public key, several (any may have
 * signed), or keys by id (the manifest's `keyId` picks one), so a signing key can be rotated.
 */
export type ManifestKeys = string | readonly string[] | Readonly<Record<string, string>>;

/** Where and as whom the runtime asks the collector for its manifest. */
export interface ManifestRequest {
  collector: string;
  appKey: string;
  model: string;
  deviceId: string;
  /** App pin: run exactly this version (`createRuntime({ pin })`). */
  pin?: string;
  /** Keys printed by `driftline keys signing`; unsigned or wrongly signed manifests are refused. */
  publicKey?: ManifestKeys;
  /** The newest manifest accepted so far: older or expired ones are refused. */
  freshness?: ManifestFreshness;
}

/** The manifest URL of one device, e.g. `http://c/v1/models/digits/manifest?device=…&pin=…`. */
export function manifestUrl(req: ManifestRequest): string {
  const url = new URL(`/v1/models/${encodeURIComponent(req.model)}/manifest`, req.collector);
  url.searchParams.set('device', req.deviceId);
  if (req.pin) url.searchParams.set('pin', req.pin);
  return url.href;
}

/**
 * Fetches, parses and (with `publicKey`) verifies this device's manifest. The browser's HTTP cache
 * revalidates with the ETag (`cache: 'no-cache'`), so an unchanged assignment costs a 304.
 * @throws ModelFetchError when the collector cannot be reached or answers an error.
 * @throws ModelIntegrityError when the signature is missing or wrong.
 * @throws StaleManifestError when it is older than one already accepted, or expired.
 */
export async function fetchManifest(
  req: ManifestRequest,
  fetchFn: typeof fetch = (...args) => fetch(...args),
): Promise<Manifest> {
  const url = manifestUrl(req);
  let response: Response;
  try {
    response = await fetchFn(url, { cache: 'no-cache', headers: { authorization: `Bearer ${req.appKey}` } });
  } catch (error) {
    throw new ModelFetchError(`Could not reach the collector for ${url}: ${String(error)}.`, {
      cause: error,
    });
  }
  if (!response.ok) {
    const body = await response.text().catch(() => '');
    throw new ModelFetchError(
      `The collector answered HTTP ${response.status} for ${url} (${body.slice(0, 200)}): check the model name, the pin and the ingest key.`,
    );
  }
  // The signature covers the body as sent, members this runtime does not know included: verify
  // that, then parse (which drops them).
  const body: unknown = await response.json();
  const manifest = parseManifest(body);
  await checkSignature(manifest, req.publicKey, body);
  req.freshness?.accept(manifest);
  return manifest;
}

/**
 * Refuses a manifest whose signature does not verify with one of `keys` (no-op without keys).
 * `received` is the body as it came off the wire (default: `manifest` itself), which is what the
 * signature covers.
 * @throws ModelIntegrityError
 */
export async function checkSignature(
  manifest: Manifest,
  keys: ManifestKeys | undefined,
  received: unknown = manifest,
): Promise<void> {
  if (!keys || (typeof keys === 'object' && Object.keys(keys).length === 0)) return;
  const candidates = keysFor(manifest, keys);
  let valid = false;
  try {
    for (const key of candidates) if (!valid) valid = await verifyManifestSignature(received, key);
  } catch (error) {
    throw new ModelIntegrityError(
      `The manifest of ${manifest.model} could not be verified (${String(error)}): signatures need WebCrypto, i.e. https or localhost.`,
      { cause: error },
    );
  }
  if (!valid) {
    const why = !manifest.signature
      ? 'is unsigned'
      : candidates.length === 0
        ? `is signed by key ${manifest.keyId ?? '(no id)'}, which is not among the configured keys`
        : 'is wrongly signed';
    throw new ModelIntegrityError(
      `The manifest of ${manifest.model} ${manifest.version} ${why}: check publicKey against \`driftline keys signing\`.`,
    );
  }
}

/** The configured keys that may have signed `manifest`. */
function keysFor(manifest: Manifest, keys: ManifestKeys): string[] {
  if (typeof keys === 'string') return [keys];
  if (Array.isArray(keys)) return [...(keys as readonly string[])];
  const byId = keys as Readonly<Record<string, string>>;
  const key =
    manifest.keyId !== undefined && Object.hasOwn(byId, manifest.keyId) ? byId[manifest.keyId] : undefined;
  return key ? [key] : [];
}
