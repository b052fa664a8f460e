import type { Sql } from '../storage/storage.ts';
import type { Verdict } from './verdict.ts';

/** One audited change of a model's rollout. */
export interface HistoryEntry {
  id: number;
  model: string;
  /** publish, stable, rollout, promote, rollback, auto_rollback, auto_promote, shadow, pin, unpin, guard. */
  action: string;
  /** Key id of the caller, or `guard` for automatic actions. */
  actor: string | null;
  reason: string | null;
  before: unknown;
  after: unknown;
  verdict: Verdict | null;
  at: string;
}

/** Appends an entry to the audit log (in the caller's transaction). */
export async function recordHistory(
  sql: Sql,
  e: {
    model: string;
    action: string;
    actor: string | null;
    reason?: string | null;
    before?: unknown;
    after?: unknown;
    verdict?: Verdict | null;
  },
): Promise<void> {
  await sql.query(
    'INSERT INTO rollout_history (model, action, actor, reason, before, after, verdict) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [
      e.model,
      e.action,
      e.actor,
      e.reason ?? null,
      e.before === undefined ? null : JSON.stringify(e.before),
      e.after === undefined ? null : JSON.stringify(e.after),
      e.verdict
        ? JSON.stringify(e.verdict, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))
        : null,
    ],
  );
}

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

/** The audit log of a model, newest first. */
export async function listHistory(sql: Sql, model: string, limit = 100): Promise<HistoryEntry[]> {
  const rows = await sql.query<{
    id: number;
    model: string;
    action: string;
    actor: string | null;
    reason: string | null;
    before: unknown;
    after: unknown;
    verdict: unknown;
    created_at: Date | string;
  }>('SELECT * FROM rollout_history WHERE model = $1 ORDER BY id DESC LIMIT $2', [model, limit]);
  return rows.map((r) => ({
    id: Number(r.id),
    model: r.model,
    action: r.action,
    actor: r.actor,
    reason: r.reason,
    before: json(r.before),
    after: json(r.after),
    verdict: r.verdict === null ? null : (json(r.verdict) as Verdict),
    at: new Date(r.created_at).toISOString(),
  }));
}
