import { type Manifest, parseManifest, verifyManifestSignature } from '@driftline/protocol';
import { ModelFetchError, ModelIntegrityError } from '../errors.ts';

/** Where and as whom the runtime asks the collector for its manifest. */
export interface ManifestRequest {
  collector: string;
  appKey: string;
  model: string;
  deviceId: string;
  /** App pin: run exactly this version (`createRuntime({ pin })`). */
  pin?: string;
  /** Base64 public key printed by `driftline keys signing`; unsigned or wrongly signed manifests are refused. */
  publicKey?: string;
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
  const manifest = parseManifest(await response.json());
  await checkSignature(manifest, req.publicKey);
  return manifest;
}

/**
 * Refuses a manifest whose signature does not verify with `publicKey` (no-op without a key).
 * @throws ModelIntegrityError
 */
export async function checkSignature(manifest: Manifest, publicKey: string | undefined): Promise<void> {
  if (!publicKey) return;
  let valid = false;
  try {
    valid = await verifyManifestSignature(manifest, publicKey);
  } catch (error) {
    throw new ModelIntegrityError(
      `The manifest of ${manifest.model} could not be verified (${String(error)}): signatures need WebCrypto, i.e. https or localhost.`,
      { cause: error },
    );
  }
  if (!valid) {
    throw new ModelIntegrityError(
      `The manifest of ${manifest.model} ${manifest.version} is ${manifest.signature ? 'wrongly signed' : 'unsigned'}: check publicKey against \`driftline keys signing\`.`,
    );
  }
}
