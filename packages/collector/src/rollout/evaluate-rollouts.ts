import { createProfile, decodeProfile, type Profile } from '@driftline/protocol';
import { mergeByGroup } from '../queries/merge-rows.ts';
import { rangeBuckets, readRollups } from '../queries/read-rollups.ts';
import { versionReference } from '../registry/versions.ts';
import type { Sql, Storage } from '../storage/storage.ts';
import { recordHistory } from './history.ts';
import { judgeCandidate, type VersionWindow } from './judge-candidate.ts';
import { getPolicy, policiesWithCandidate, policySnapshot, savePolicy } from './policy.ts';
import { promoteCandidate, rollbackPolicy } from './rollout-actions.ts';
import type { Verdict } from './verdict.ts';

const LOCK_ID = 7_265_003;

/** What one evaluation did to one model. */
export interface RolloutAction {
  model: string;
  candidate: string;
  result: Verdict['result'];
  action: 'none' | 'rolled_back' | 'promoted';
}

async function versionWindow(
  sql: Sql,
  model: string,
  version: string,
  role: string,
  range: ReturnType<typeof rangeBuckets>,
) {
  const rows = await readRollups(sql, { model, version, role, ...range });
  const byBackend = mergeByGroup(rows, (r) => r.backend);
  const total = mergeByGroup(rows, () => '').get('') ?? createProfile();
  return { total, byBackend, rows: rows.length } satisfies VersionWindow & { rows: number };
}

/**
 * The guarded rollout: for every model with a candidate (and its guard enabled), compares the
 * candidate with stable on the same window — the last `windowMs`, never before the candidate
 * started — records the verdict on the policy, rolls a failing candidate back (history action
 * `auto_rollback`, actor `guard`, with the verdict and its numbers), and promotes one that has
 * passed for `autoPromoteAfterMs` when that is set. One replica at a time (advisory lock).
 */
export async function evaluateRollouts(storage: Storage, now = Date.now()): Promise<RolloutAction[]> {
  return storage.transaction(async (tx) => {
    const lock = await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [LOCK_ID]);
    if (!lock[0]?.ok) return [];
    const actions: RolloutAction[] = [];
    for (const listed of await policiesWithCandidate(tx)) {
      if (!listed.guard.enabled) continue;
      const policy = await getPolicy(tx, listed.model, true);
      if (!policy?.candidate) continue;
      const g = policy.guard;
      const from = Math.max(now - g.windowMs, Date.parse(policy.candidate.since));
      const range = rangeBuckets(from, now);
      const model = policy.model;
      const candidate = await versionWindow(tx, model, policy.candidate.version, 'primary', range);
      const stable = await versionWindow(tx, model, policy.stable, 'primary', range);
      const shadow = await versionWindow(tx, model, policy.candidate.version, 'shadow', range);
      const ref = await versionReference(tx, model, policy.candidate.version);
      let reference: Profile | null = null;
      try {
        reference = ref ? decodeProfile(ref) : null;
      } catch {
        reference = null;
      }
      const verdict = judgeCandidate(
        {
          candidate: { version: policy.candidate.version, ...candidate },
          stable: { version: policy.stable, ...stable },
          shadow: shadow.rows > 0 ? shadow.total : null,
          reference,
          window: { from: range.fromBucket * 60_000, to: now },
          at: now,
        },
        g,
      );
      const before = policySnapshot(policy);
      const entry: RolloutAction = {
        model,
        candidate: policy.candidate.version,
        result: verdict.result,
        action: 'none',
      };
      policy.verdict = verdict;
      if (verdict.result === 'fail' && g.autoRollback) {
        const failed = verdict.checks
          .filter((c) => c.result === 'fail')
          .map((c) => (c.backend ? `${c.name} (${c.backend})` : c.name));
        const after = await savePolicy(tx, rollbackPolicy(policy));
        await recordHistory(tx, {
          model,
          action: 'auto_rollback',
          actor: 'guard',
          reason: `candidate ${entry.candidate} is worse than stable ${after.stable}: ${failed.join(', ')}`,
          before,
          after: policySnapshot(after),
          verdict,
        });
        entry.action = 'rolled_back';
      } else if (verdict.result === 'pass') {
        policy.cleanSince ??= new Date(now).toISOString();
        const clean = now - Date.parse(policy.cleanSince);
        if (g.autoPromoteAfterMs !== null && clean >= g.autoPromoteAfterMs) {
          const after = await savePolicy(tx, promoteCandidate(policy));
          await recordHistory(tx, {
            model,
            action: 'auto_promote',
            actor: 'guard',
            reason: `candidate passed every check for ${Math.round(clean / 1000)} s`,
            before,
            after: policySnapshot(after),
            verdict,
          });
          entry.action = 'promoted';
        } else await savePolicy(tx, policy);
      } else {
        const wasFailing = listed.verdict?.result === 'fail' && listed.verdict.candidate === entry.candidate;
        if (verdict.result === 'fail') policy.cleanSince = null;
        await savePolicy(tx, policy);
        if (verdict.result === 'fail' && !wasFailing) {
          // autoRollback is off: the first failing verdict is still kept in the history.
          await recordHistory(tx, {
            model,
            action: 'verdict',
            actor: 'guard',
            reason: `candidate ${entry.candidate} fails the guard; autoRollback is off, so it keeps running`,
            verdict,
          });
        }
      }
      actions.push(entry);
    }
    return actions;
  });
}
