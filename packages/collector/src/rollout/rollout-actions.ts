import { rolloutConflict, unknownVersion } from '../errors.ts';
import { getVersion } from '../registry/versions.ts';
import type { Sql, Storage } from '../storage/storage.ts';
import type { GuardSettings } from './guard-settings.ts';
import { recordHistory } from './history.ts';
import { getPolicy, newSalt, policySnapshot, type RolloutPolicy, savePolicy } from './policy.ts';

/** Who asks for a change and why (both go to the audit log). */
export interface Change {
  actor: string | null;
  reason?: string | null;
}

/**
 * Applies `mutate` to a model's policy under a row lock and records the change, before and after,
 * in the audit log, in one transaction. `mutate` may throw to refuse the change.
 */
export async function changePolicy(
  storage: Storage,
  model: string,
  action: string,
  change: Change,
  mutate: (p: RolloutPolicy, tx: Sql) => Promise<RolloutPolicy> | RolloutPolicy,
): Promise<RolloutPolicy> {
  return storage.transaction((tx) => changePolicyIn(tx, model, action, change, mutate));
}

/** {@link changePolicy} inside a transaction the caller holds. */
export async function changePolicyIn(
  tx: Sql,
  model: string,
  action: string,
  change: Change,
  mutate: (p: RolloutPolicy, tx: Sql) => Promise<RolloutPolicy> | RolloutPolicy,
  verdict: RolloutPolicy['verdict'] = null,
): Promise<RolloutPolicy> {
  const before = await getPolicy(tx, model, true);
  if (!before) throw unknownVersion(model);
  const after = await savePolicy(tx, await mutate(structuredClone(before), tx));
  await recordHistory(tx, {
    model,
    action,
    actor: change.actor,
    reason: change.reason ?? null,
    before: policySnapshot(before),
    after: policySnapshot(after),
    verdict,
  });
  return after;
}

/**
 * Sends `version` to `percent` % of devices as the candidate. A different candidate than the
 * current one starts afresh (new bucketing salt, verdict cleared); the same one only changes its
 * percentage, and a higher percentage only adds devices.
 */
export function setCandidate(
  storage: Storage,
  model: string,
  version: string,
  percent: number,
  change: Change,
) {
  return changePolicy(storage, model, 'rollout', change, async (p, tx) => {
    await getVersion(tx, model, version);
    if (version === p.stable) {
      throw rolloutConflict(`${model}@${version} is already stable; roll out a different version.`);
    }
    if (p.candidate?.version !== version) {
      p.candidate = { version, percent, since: new Date().toISOString() };
      p.salt = newSalt();
      p.verdict = null;
      p.cleanSince = null;
    } else p.candidate.percent = percent;
    return p;
  });
}

/** Makes the candidate stable (the old stable becomes the rollback target). */
export function promote(storage: Storage, model: string, change: Change) {
  return changePolicy(storage, model, 'promote', change, promoteCandidate);
}

/** The promote mutation, shared with the guarded rollout's auto-promote. */
export function promoteCandidate(p: RolloutPolicy): RolloutPolicy {
  if (!p.candidate) throw rolloutConflict(`${p.model} has no candidate to promote; start one with rollout.`);
  p.previousStable = p.stable;
  p.stable = p.candidate.version;
  p.candidate = null;
  p.verdict = null;
  p.cleanSince = null;
  return p;
}

/**
 * One step back: with a candidate, the whole fleet returns to stable (the candidate is dropped);
 * without one, stable returns to the previous stable.
 */
export function rollback(storage: Storage, model: string, change: Change) {
  return changePolicy(storage, model, 'rollback', change, rollbackPolicy);
}

/** The rollback mutation, shared with the guarded rollout's automatic rollback. */
export function rollbackPolicy(p: RolloutPolicy): RolloutPolicy {
  if (p.candidate) {
    p.candidate = null;
    p.cleanSince = null;
    return p;
  }
  if (!p.previousStable) {
    throw rolloutConflict(`${p.model} has no candidate and no previous stable version to roll back to.`);
  }
  p.stable = p.previousStable;
  p.previousStable = null;
  return p;
}

/** Runs `version` in the shadow of the primary on `percent` % of devices and `sample` % of their inferences; null stops shadowing. */
export function setShadow(
  storage: Storage,
  model: string,
  shadow: { version: string; percent: number; sample?: number } | null,
  change: Change,
) {
  return changePolicy(storage, model, 'shadow', change, async (p, tx) => {
    if (shadow) await getVersion(tx, model, shadow.version);
    p.shadow = shadow
      ? { version: shadow.version, percent: shadow.percent, sample: shadow.sample ?? 10 }
      : null;
    return p;
  });
}

/** Changes the guard thresholds of a model (a partial update). */
export function setGuard(storage: Storage, model: string, guard: Partial<GuardSettings>, change: Change) {
  return changePolicy(storage, model, 'guard', change, (p) => {
    p.guard = { ...p.guard, ...guard };
    return p;
  });
}

/** Pins one device to a version (null unpins it); pins win over the candidate and stable. */
export async function pinDevice(
  storage: Storage,
  model: string,
  deviceId: string,
  version: string | null,
  change: Change,
): Promise<{ deviceId: string; version: string | null }> {
  return storage.transaction(async (tx) => {
    if (!(await getPolicy(tx, model))) throw unknownVersion(model);
    const before = await tx.query<{ version: string }>(
      'SELECT version FROM rollout_pins WHERE model = $1 AND device_id = $2',
      [model, deviceId],
    );
    if (version === null) {
      await tx.query('DELETE FROM rollout_pins WHERE model = $1 AND device_id = $2', [model, deviceId]);
    } else {
      await getVersion(tx, model, version);
      await tx.query(
        `INSERT INTO rollout_pins (model, device_id, version) VALUES ($1, $2, $3)
         ON CONFLICT (model, device_id) DO UPDATE SET version = EXCLUDED.version, created_at = now()`,
        [model, deviceId, version],
      );
    }
    await recordHistory(tx, {
      model,
      action: version === null ? 'unpin' : 'pin',
      actor: change.actor,
      reason: change.reason ?? null,
      before: { deviceId, version: before[0]?.version ?? null },
      after: { deviceId, version },
    });
    return { deviceId, version };
  });
}

/** Every device pin of a model. */
export async function listPins(sql: Sql, model: string): Promise<{ deviceId: string; version: string }[]> {
  const rows = await sql.query<{ device_id: string; version: string }>(
    'SELECT device_id, version FROM rollout_pins WHERE model = $1 ORDER BY device_id',
    [model],
  );
  return rows.map((r) => ({ deviceId: r.device_id, version: r.version }));
}
