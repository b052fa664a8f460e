import { createProfile, decodeProfile, mergeProfiles, type Profile } from '@driftline/protocol';
import type { RollupRow } from './read-rollups.ts';

/** Merges the profiles of rows into one per group (`keyOf` names the group). */
export function mergeByGroup(rows: RollupRow[], keyOf: (r: RollupRow) => string): Map<string, Profile> {
  const out = new Map<string, Profile>();
  for (const r of rows) {
    const k = keyOf(r);
    const p = decodeProfile(r.profile);
    const prev = out.get(k);
    out.set(k, prev ? mergeProfiles(prev, p) : p);
  }
  return out;
}

/** Merges all rows' profiles into one (an empty profile when there are none). */
export function mergeAll(rows: RollupRow[]): Profile {
  return mergeByGroup(rows, () => '').get('') ?? createProfile();
}
