import { createHash } from 'node:crypto';
import { type Manifest, type ModelFile, signManifest } from '@driftline/protocol';
import { unknownVersion } from '../errors.ts';
import type { ModelVersion } from '../registry/model-version.ts';
import { getVersions } from '../registry/versions.ts';
import type { Sql } from '../storage/storage.ts';
import { bucketOf, inPercent } from './bucket.ts';
import { getPolicyAndPin } from './policy.ts';
import type { SigningKey } from './signing-keys.ts';

/** What a device sends when it asks for its manifest. */
export interface ManifestRequest {
  /** The device's stable id (the runtime's identity); without it the device gets stable and no shadow. */
  deviceId?: string;
  /** The app's pin (createRuntime({ pin })): wins over everything else. */
  pin?: string;
}

/**
 * How long a manifest is valid (`expiresAt - issuedAt`): a runtime refuses an expired one, so a
 * cache or proxy that keeps serving an old answer (a freeze attack) is noticed within a day.
 */
export const MANIFEST_TTL_MS = 24 * 3_600_000;

/**
 * The ETag also changes every quarter of the TTL, so a device revalidating an unchanged assignment
 * (a 304) still gets a freshly issued manifest long before the one it holds expires.
 */
const REISSUE_MS = MANIFEST_TTL_MS / 4;

/** URL of an artifact, relative to the collector. */
export const artifactUrl = (sha256: string): string => `/v1/artifacts/${sha256}`;

const filesOf = (v: ModelVersion): ModelFile[] =>
  v.files.map((f) => ({ path: f.path, url: artifactUrl(f.sha256), sha256: f.sha256, size: f.size }));

/**
 * The version a device must run, by precedence: app pin > device pin > candidate bucket > stable;
 * plus the shadow version where the device's shadow bucket is inside the shadow percentage.
 * `etag` hashes everything but `issuedAt`, `expiresAt` and `signature`, plus the signing key id and
 * the reissue period, so it changes when the answer for this device does, when the signing key does,
 * and every {@link REISSUE_MS}.
 */
export async function buildManifest(
  sql: Sql,
  model: string,
  req: ManifestRequest,
  signing: SigningKey | null = null,
  now = Date.now(),
): Promise<Manifest> {
  const found = await getPolicyAndPin(sql, model, req.deviceId);
  if (!found) throw unknownVersion(model);
  const { policy, pin } = found;
  let assignment: NonNullable<Manifest['assignment']> = 'stable';
  let version = policy.stable;
  const bucket = req.deviceId === undefined ? undefined : bucketOf(model, policy.salt, req.deviceId);
  if (req.pin !== undefined) {
    assignment = 'app';
    version = req.pin;
  } else if (pin !== null) {
    assignment = 'device';
    version = pin;
  } else if (policy.candidate && bucket !== undefined && inPercent(bucket, policy.candidate.percent)) {
    assignment = 'candidate';
    version = policy.candidate.version;
  }
  const s = policy.shadow;
  const shadowed =
    s !== null &&
    req.deviceId !== undefined &&
    s.version !== version &&
    inPercent(bucketOf(model, `shadow:${policy.salt}`, req.deviceId), s.percent);
  const versions = await getVersions(sql, model, shadowed ? [version, s.version] : [version]);
  const primary = versions.get(version)!;
  const manifest: Omit<Manifest, 'etag' | 'issuedAt'> = {
    v: 1,
    model,
    version,
    format: primary.format,
    files: filesOf(primary),
    ...(primary.inputs ? { inputs: primary.inputs } : {}),
    ...(primary.outputs ? { outputs: primary.outputs } : {}),
    ...(primary.schema ? { schema: primary.schema } : {}),
    assignment,
    ...(bucket !== undefined ? { bucket } : {}),
  };
  if (shadowed) {
    const shadow = versions.get(s.version)!;
    manifest.shadow = {
      version: s.version,
      format: shadow.format,
      percent: s.sample,
      files: filesOf(shadow),
      ...(shadow.schema ? { schema: shadow.schema } : {}),
    };
  }
  const etag = `"${createHash('sha256')
    .update(JSON.stringify([manifest, signing?.id ?? null, Math.floor(now / REISSUE_MS)]))
    .digest('hex')
    .slice(0, 32)}"`;
  const full: Manifest = {
    ...manifest,
    etag,
    issuedAt: now,
    expiresAt: now + MANIFEST_TTL_MS,
    ...(signing ? { keyId: signing.id } : {}),
  } as Manifest;
  return signing ? signManifest(full, signing.key) : full;
}

/** True when an `If-None-Match` header matches the ETag (weak comparison, lists and `*` allowed). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const strip = (t: string) => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => strip(t) === strip(etag));
}
