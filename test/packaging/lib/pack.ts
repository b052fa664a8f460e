import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanEnv, exec } from './processes.ts';

export const PACKAGES = ['protocol', 'runtime', 'collector'] as const;
export type PackageDir = (typeof PACKAGES)[number];

/** `pnpm pack` of packages/<dir> (its `prepack` builds dist/) into `dest`; answers the tarball's path. */
export async function pack(repo: string, dir: PackageDir, dest: string): Promise<string> {
  const cwd = join(repo, 'packages', dir);
  const { name, version } = JSON.parse(await readFile(join(cwd, 'package.json'), 'utf8'));
  await exec('pnpm', ['pack', '--pack-destination', dest], { cwd, env: cleanEnv(), timeoutMs: 240_000 });
  return join(dest, `${name.replace('@', '').replace('/', '-')}-${version}.tgz`);
}

/** What a packed package.json must hold: no workspace ranges, every export and bin a file in the tarball. */
export async function inspectTarball(
  tarball: string,
): Promise<{ manifest: PackedManifest; files: string[] }> {
  const { stdout: list } = await exec('tar', ['-tzf', tarball], { cwd: '/' });
  const files = list
    .split('\n')
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ''));
  const { stdout: json } = await exec('tar', ['-xzOf', tarball, 'package/package.json'], { cwd: '/' });
  return { manifest: JSON.parse(json) as PackedManifest, files };
}

export interface PackedManifest {
  name: string;
  version: string;
  exports?: unknown;
  bin?: string | Record<string, string>;
  main?: string;
  types?: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/** Every problem of a packed package, as sentences; empty when it is fit to publish. */
export function tarballProblems({
  manifest,
  files,
}: {
  manifest: PackedManifest;
  files: string[];
}): string[] {
  const problems: string[] = [];
  const present = new Set(files);
  for (const field of [
    'dependencies',
    'peerDependencies',
    'optionalDependencies',
    'devDependencies',
  ] as const) {
    for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
      if (range.startsWith('workspace:')) problems.push(`${field}.${dep} is still "${range}"`);
    }
  }
  if (manifest.exports === undefined) problems.push('no "exports" map');
  for (const [path, target] of exportTargets(manifest.exports)) {
    const file = target.replace(/^\.\//, '');
    if (path.endsWith('./package.json') && file === 'package.json') continue;
    if (!file.startsWith('dist/'))
      problems.push(`exports ${path} points at ${target}, not at a file in dist/`);
    if (!present.has(file)) problems.push(`exports ${path} points at ${target}, which the tarball lacks`);
  }
  const bins = typeof manifest.bin === 'string' ? { [manifest.name]: manifest.bin } : (manifest.bin ?? {});
  for (const [bin, target] of Object.entries(bins)) {
    if (!present.has(target.replace(/^\.\//, '')))
      problems.push(`bin ${bin} points at ${target}, which the tarball lacks`);
  }
  for (const field of ['main', 'types'] as const) {
    const target = manifest[field];
    if (target && !present.has(target.replace(/^\.\//, '')))
      problems.push(`${field} points at ${target}, which the tarball lacks`);
  }
  return problems;
}

/** [export path with its conditions, target] for every string in an exports map. */
function exportTargets(exports: unknown, path = '.'): Array<[string, string]> {
  if (typeof exports === 'string') return [[path, exports]];
  if (exports === null || typeof exports !== 'object') return [];
  const entries = Object.entries(exports as Record<string, unknown>);
  const isSubpathMap = entries.some(([key]) => key.startsWith('.'));
  return entries.flatMap(([key, value]) => exportTargets(value, isSubpathMap ? key : `${path} [${key}]`));
}
