import { createProfile, encodeProfile } from '@driftline/protocol';
import type { WindowRecord } from './outbox-db.ts';

/** A closed window of `inferences` runs that ended just now, for the outbox and sender tests. */
export function closedWindow(
  id: string,
  inferences: number,
  extra: Partial<WindowRecord> = {},
): WindowRecord {
  const profile = createProfile();
  profile.inferences = inferences;
  return {
    id,
    ownerId: 'o',
    state: 'closed',
    model: 'digits',
    version: '1.0.0',
    role: 'primary',
    backend: 'wasm',
    segment: 'chrome/linux/wasm/cores-2/gpu-none',
    start: Date.now() - 1000,
    end: Date.now(),
    inferences,
    profile: encodeProfile(profile),
    ...extra,
  };
}
