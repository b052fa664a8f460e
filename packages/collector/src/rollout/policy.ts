import { randomBytes } from 'node:crypto';
import type { Sql } from '../storage/storage.ts';
import { DEFAULT_GUARD, type GuardSettings } from './guard-settings.ts';
import type { Verdict } from './verdict.ts';

/** The rollout policy of one model: what the fleet runs. */
export interface RolloutPolicy {
  model: string;
  stable: string;
  /** What `rollback` returns to when there is no candidate. */
  previousStable: string | null;
  candidate: { version: string; percent: number; since: string } | null;
  /** Shadow version: run beside the primary on `percent` % of devices, on `sample` % of their inferences. */
  shadow: { version: string; percent: number; sample: number } | null;
  /** Bucketing salt; renewed when a new candidate starts. */
  salt: string;
  guard: GuardSettings;
  /** The guarded rollout's latest verdict on the candidate. */
  verdict: Verdict | null;
  /** Since when the candidate's verdicts have all passed (auto-promote clock). */
  cleanSince: string | null;
  /** Bumped on every change. */
  revision: number;
  updatedAt: string;
}

interface PolicyRow {
  model: string;
  stable: string;
  previous_stable: string | null;
  candidate: string | null;
  candidate_percent: number;
  candidate_since: Date | string | null;
  shadow: string | null;
  shadow_percent: number;
  shadow_sample: number;
  salt: string;
  guard: Partial<GuardSettings> | string;
  verdict: Verdict | string | null;
  clean_since: Date | string | null;
  revision: number;
  updated_at: Date | string;
}

const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);
const iso = (d: Date | string) => new Date(d).toISOString();

/** A fresh random bucketing salt. */
export const newSalt = (): string => randomBytes(8).toString('hex');

function toPolicy(r: PolicyRow): RolloutPolicy {
  return {
    model: r.model,
    stable: r.stable,
    previousStable: r.previous_stable,
    candidate: r.candidate
      ? {
          version: r.candidate,
          percent: Number(r.candidate_percent),
          since: iso(r.candidate_since ?? r.updated_at),
        }
      : null,
    shadow: r.shadow
      ? { version: r.shadow, percent: Number(r.shadow_percent), sample: Number(r.shadow_sample) }
      : null,
    salt: r.salt,
    guard: { ...DEFAULT_GUARD, ...json(r.guard) },
    verdict: r.verdict === null ? null : json(r.verdict),
    cleanSince: r.clean_since ? iso(r.clean_since) : null,
    revision: Number(r.revision),
    updatedAt: iso(r.updated_at),
  };
}

/** The policy of a model, or null before its first version is published. `forUpdate` locks the row. */
export async function getPolicy(sql: Sql, model: string, forUpdate = false): Promise<RolloutPolicy | null> {
  const rows = await sql.query<PolicyRow>(
    `SELECT * FROM rollout_policy WHERE model = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [model],
  );
  return rows[0] ? toPolicy(rows[0]) : null;
}

/** The policy of a model and the device's pin (null when none), in one statement (the manifest's hot path). */
export async function getPolicyAndPin(
  sql: Sql,
  model: string,
  deviceId: string | undefined,
): Promise<{ policy: RolloutPolicy; pin: string | null } | null> {
  const rows = await sql.query<PolicyRow & { pinned: string | null }>(
    `SELECT p.*, (SELECT version FROM rollout_pins WHERE model = $1 AND device_id = $2) AS pinned
     FROM rollout_policy p WHERE p.model = $1`,
    [model, deviceId ?? null],
  );
  const r = rows[0];
  return r ? { policy: toPolicy(r), pin: r.pinned } : null;
}

/** Every policy with a candidate (the guarded rollout's work list). */
export async function policiesWithCandidate(sql: Sql): Promise<RolloutPolicy[]> {
  const rows = await sql.query<PolicyRow>(
    'SELECT * FROM rollout_policy WHERE candidate IS NOT NULL ORDER BY model',
  );
  return rows.map(toPolicy);
}

/** Writes a whole policy back (after a change made under `getPolicy(…, true)`), bumping its revision. */
export async function savePolicy(sql: Sql, p: RolloutPolicy): Promise<RolloutPolicy> {
  const rows = await sql.query<PolicyRow>(
    `UPDATE rollout_policy SET stable = $2, previous_stable = $3, candidate = $4, candidate_percent = $5,
       candidate_since = $6, shadow = $7, shadow_percent = $8, shadow_sample = $9, salt = $10, guard = $11,
       verdict = $12, clean_since = $13, revision = revision + 1, updated_at = now()
     WHERE model = $1 RETURNING *`,
    [
      p.model,
      p.stable,
      p.previousStable,
      p.candidate?.version ?? null,
      p.candidate?.percent ?? 0,
      p.candidate?.since ?? null,
      p.shadow?.version ?? null,
      p.shadow?.percent ?? 0,
      p.shadow?.sample ?? 10,
      p.salt,
      JSON.stringify(p.guard),
      p.verdict === null ? null : JSON.stringify(p.verdict),
      p.cleanSince,
    ],
  );
  return toPolicy(rows[0]!);
}

/** Creates the policy of a model with `stable` as its stable version; false when it existed. */
export async function createPolicy(sql: Sql, model: string, stable: string): Promise<boolean> {
  const rows = await sql.query(
    `INSERT INTO rollout_policy (model, stable, salt) VALUES ($1, $2, $3)
     ON CONFLICT (model) DO NOTHING RETURNING model`,
    [model, stable, newSalt()],
  );
  return rows.length > 0;
}

/** The part of a policy that the audit log records before and after a change. */
export function policySnapshot(p: RolloutPolicy | null) {
  if (!p) return null;
  return {
    stable: p.stable,
    previousStable: p.previousStable,
    candidate: p.candidate ? { version: p.candidate.version, percent: p.candidate.percent } : null,
    shadow: p.shadow,
  };
}
