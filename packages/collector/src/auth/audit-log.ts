import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Sql } from '../storage/storage.ts';

/** One admin action: who (a key id, or `cli` for the offline CLI on the storage), what, when. */
export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  /** `keys.create`, `keys.rotate`, `keys.revoke`, `keys.signing` (offline CLI), or `<METHOD> <route>` for other admin routes. */
  action: string;
  /** What it acted on (a key id, a model name), when there is one. */
  target: string | null;
  detail: Record<string, unknown>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by a route to name its action and target in the audit log (default: method and route). */
    audit?: { action?: string; target?: string; detail?: Record<string, unknown> };
  }
}

/** Appends an entry to the audit log. */
export async function recordAudit(sql: Sql, e: Omit<AuditEntry, 'id' | 'at'>): Promise<void> {
  await sql.query('INSERT INTO audit_log (actor, action, target, detail) VALUES ($1, $2, $3, $4)', [
    e.actor,
    e.action,
    e.target,
    JSON.stringify(e.detail),
  ]);
}

/** The newest entries first, `limit` of them, older than entry id `before` when given. */
export async function listAudit(sql: Sql, limit: number, before?: number): Promise<AuditEntry[]> {
  const rows = await sql.query<{
    id: number;
    at: Date;
    actor: string;
    action: string;
    target: string | null;
    detail: Record<string, unknown> | string;
  }>(
    `SELECT id, at, actor, action, target, detail FROM audit_log
     WHERE ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $1`,
    [limit, before ?? null],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    at: new Date(r.at).toISOString(),
    actor: r.actor,
    action: r.action,
    target: r.target,
    detail: typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail,
  }));
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * onSend hook: records every successful change made through an admin-only route (keys, registry,
 * rollout, alerts, signing keys), after it committed and before the answer leaves. A route that
 * only admins may call but that changes nothing (a GET) is not recorded.
 */
export function auditHook(sql: Sql) {
  return async (req: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    const roles = req.routeOptions.config.roles;
    if (READS.has(req.method) || reply.statusCode >= 400 || !req.principal) return payload;
    if (roles?.length !== 1 || roles[0] !== 'admin') return payload;
    const params = (req.params ?? {}) as Record<string, string>;
    await recordAudit(sql, {
      actor: req.principal.id,
      action: req.audit?.action ?? `${req.method} ${req.routeOptions.url}`,
      target: req.audit?.target ?? params.name ?? params.id ?? null,
      detail: { ...(Object.keys(params).length > 0 ? { params } : {}), ...req.audit?.detail },
    });
    return payload;
  };
}
