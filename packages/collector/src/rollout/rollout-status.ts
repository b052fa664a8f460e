import { unknownVersion } from '../errors.ts';
import { mergeByGroup } from '../queries/merge-rows.ts';
import { rangeBuckets, readRollups } from '../queries/read-rollups.ts';
import type { Sql } from '../storage/storage.ts';
import { getPolicy } from './policy.ts';
import { listPins } from './rollout-actions.ts';

/**
 * What `driftline status` shows: the policy, pins, the latest verdict, and per version and role
 * the live counts (distinct devices today, inferences and errors in the last hour).
 */
export async function rolloutStatus(sql: Sql, model: string, now = Date.now()) {
  const policy = await getPolicy(sql, model);
  if (!policy) throw unknownVersion(model);
  const day = Math.floor(now / 86_400_000);
  const devices = await sql.query<{ version: string; n: number }>(
    'SELECT version, count(DISTINCT device_id)::integer AS n FROM model_devices WHERE model = $1 AND day = $2 GROUP BY version',
    [model, day],
  );
  const rows = await readRollups(sql, { model, ...rangeBuckets(now - 3_600_000, now) });
  const live = new Map<
    string,
    { version: string; role: string; devicesToday: number; inferences: number; errors: number }
  >();
  for (const [key, profile] of mergeByGroup(rows, (r) => `${r.version}\n${r.role}`)) {
    const [version, role] = key.split('\n') as [string, string];
    live.set(key, { version, role, devicesToday: 0, inferences: profile.inferences, errors: profile.errors });
  }
  for (const d of devices) {
    const key = `${d.version}\nprimary`;
    const entry = live.get(key) ?? {
      version: d.version,
      role: 'primary',
      devicesToday: 0,
      inferences: 0,
      errors: 0,
    };
    entry.devicesToday = Number(d.n);
    live.set(key, entry);
  }
  return {
    model,
    policy,
    pins: await listPins(sql, model),
    verdict: policy.verdict,
    live: [...live.values()].sort((a, b) => (a.version + a.role < b.version + b.role ? -1 : 1)),
  };
}
