import { invalidName } from '../errors.ts';

/** Model names: lower-case letters, digits and dashes, starting with a letter or digit, 1..64 chars. */
export const MODEL_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
// semver.org 2.0.0, without a leading "v".
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
/** Lower-case hex SHA-256. */
export const SHA256 = /^[0-9a-f]{64}$/;

/** Throws `invalid_name` unless `name` is a valid model name. */
export function checkModelName(name: string): string {
  if (!MODEL_NAME.test(name)) {
    throw invalidName(
      `Model name "${name.slice(0, 80)}" is not valid: use 1-64 lower-case letters, digits and dashes, starting with a letter or digit.`,
    );
  }
  return name;
}

/** Throws `invalid_name` unless `version` is a semantic version (`1.2.3`, `2.0.0-rc.1`). */
export function checkVersion(version: string): string {
  if (version.length > 64 || !SEMVER.test(version)) {
    throw invalidName(
      `Version "${version.slice(0, 80)}" is not a semantic version such as 1.2.0 or 2.0.0-rc.1.`,
    );
  }
  return version;
}

/** Orders semantic versions (build metadata ignored, pre-releases before their release). */
export function compareVersions(a: string, b: string): number {
  const pa = SEMVER.exec(a);
  const pb = SEMVER.exec(b);
  if (!pa || !pb) return a < b ? -1 : a > b ? 1 : 0;
  for (let i = 1; i <= 3; i++) {
    const d = Number(pa[i]) - Number(pb[i]);
    if (d !== 0) return Math.sign(d);
  }
  const ra = pa[4];
  const rb = pb[4];
  if (ra === undefined || rb === undefined) return ra === rb ? 0 : ra === undefined ? 1 : -1;
  const xa = ra.split('.');
  const xb = rb.split('.');
  for (let i = 0; i < Math.max(xa.length, xb.length); i++) {
    const s = xa[i];
    const t = xb[i];
    if (s === undefined) return -1;
    if (t === undefined) return 1;
    const ns = /^\d+$/.test(s);
    const nt = /^\d+$/.test(t);
    if (ns && nt && s !== t) return Math.sign(Number(s) - Number(t));
    if (ns !== nt) return ns ? -1 : 1;
    if (s !== t) return s < t ? -1 : 1;
  }
  return 0;
}
