import { compareProfiles, decodeProfile } from '@driftline/protocol';
import { baselineProfile } from '../queries/drift.ts';
import { mergeByGroup } from '../queries/merge-rows.ts';
import { rangeBuckets, readRollups } from '../queries/read-rollups.ts';
import { versionReference } from '../registry/versions.ts';
import type { Sql, Storage } from '../storage/storage.ts';

/** What the evaluator looks at. */
export interface AlertOptions {
  /** The window that is compared with the reference, ending now. Default 15 minutes. */
  windowMs: number;
  baselineInferences: number;
  /** Collector-wide webhook; a model's own webhook wins. */
  webhookUrl: string | null;
}

const LOCK_ID = 7_265_002;

/** An event as stored and as sent to webhooks. */
export interface AlertEvent {
  model: string;
  version: string;
  kind: 'drift_alert' | 'latency_alert';
  detail: Record<string, unknown>;
}

/**
 * Evaluates drift (vs the baseline) and p95 latency (vs the model's threshold) of every version
 * with primary telemetry in the window, and records an event when a subject turns to `alert`.
 * The statistics are computed without a transaction; the state changes and events are written in
 * one short transaction under an advisory lock (a replica that finds it taken skips the round), so
 * an alert is recorded once however many replicas run this.
 * @returns the events recorded in this round.
 */
export async function evaluateAlerts(
  storage: Storage,
  opts: AlertOptions,
  now = Date.now(),
): Promise<AlertEvent[]> {
  // Reads and statistics first, outside any transaction (PGlite runs one transaction at a time,
  // and ingest must not wait for this); then the state changes, briefly, under the lock.
  const range = rangeBuckets(now - opts.windowMs, now);
  const active = await storage.query<{
    model: string;
    version: string;
    latency_p95_ms: number | null;
    webhook_url: string | null;
  }>(
    `SELECT DISTINCT t.model, t.version, s.latency_p95_ms, s.webhook_url FROM (
       SELECT model, version FROM rollups WHERE resolution = 1 AND bucket BETWEEN $1 AND $2 AND role = 'primary'
       UNION SELECT model, version FROM rollup_parts WHERE bucket BETWEEN $1 AND $2 AND role = 'primary') t
     LEFT JOIN model_settings s ON s.model = t.model ORDER BY 1, 2`,
    [range.fromBucket, range.toBucket],
  );
  const subjects: {
    a: (typeof active)[number];
    subject: string;
    status: string;
    detail: Record<string, unknown>;
  }[] = [];
  for (const a of active) {
    const rows = await readRollups(storage, {
      model: a.model,
      version: a.version,
      role: 'primary',
      ...range,
    });
    // The reference: the profile published with the version, else its production baseline.
    const uploaded = await versionReference(storage, a.model, a.version);
    const base = uploaded
      ? { profile: decodeProfile(uploaded) }
      : await baselineProfile(storage, a.model, a.version, opts.baselineInferences).catch(() => null);
    const current = mergeByGroup(rows, () => '').get('');
    if (base && current) {
      for (const [feature, d] of Object.entries(compareProfiles(base.profile, current))) {
        subjects.push({ a, subject: `drift:${feature}`, status: d.status, detail: { feature, ...d } });
      }
    }
    if (a.latency_p95_ms !== null) {
      for (const [backend, p] of mergeByGroup(rows, (r) => r.backend)) {
        const s = p.latency.total;
        if (!s || s.count === 0) continue;
        const p95 = s.quantile(0.95);
        subjects.push({
          a,
          subject: `latency:${backend}`,
          status: p95 > a.latency_p95_ms ? 'alert' : 'ok',
          detail: { backend, p95, thresholdMs: a.latency_p95_ms, samples: s.count },
        });
      }
    }
  }
  return storage.transaction(async (tx) => {
    const lock = await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [LOCK_ID]);
    if (!lock[0]?.ok) return [];
    const events: AlertEvent[] = [];
    for (const { a, subject, status, detail } of subjects) {
      if (status === 'insufficient') continue;
      const prev = await tx.query<{ status: string }>(
        `INSERT INTO alert_state (model, version, subject, status) VALUES ($1, $2, $3, $4)
         ON CONFLICT (model, version, subject) DO UPDATE SET status = EXCLUDED.status, updated_at = now()
         RETURNING (SELECT status FROM alert_state WHERE model = $1 AND version = $2 AND subject = $3) AS status`,
        [a.model, a.version, subject, status],
      );
      if (status !== 'alert' || prev[0]?.status === 'alert') continue;
      const event: AlertEvent = {
        model: a.model,
        version: a.version,
        kind: subject.startsWith('drift:') ? 'drift_alert' : 'latency_alert',
        detail: { ...detail, windowFrom: range.fromBucket * 60_000, windowTo: now },
      };
      await recordEvent(tx, event, a.webhook_url ?? opts.webhookUrl);
      events.push(event);
    }
    return events;
  });
}

/** Stores an event; with a webhook URL it is queued for delivery. */
export async function recordEvent(sql: Sql, e: AlertEvent, webhookUrl: string | null): Promise<void> {
  await sql.query(
    `INSERT INTO events (model, version, kind, detail, webhook_url, next_attempt_at)
     VALUES ($1, $2, $3, $4, $5, CASE WHEN $5::text IS NULL THEN NULL ELSE now() END)`,
    [
      e.model,
      e.version,
      e.kind,
      JSON.stringify(e.detail, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)),
      webhookUrl,
    ],
  );
}
