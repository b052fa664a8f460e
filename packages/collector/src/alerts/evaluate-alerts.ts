import { decodeProfile, estimateAccuracy, type ModelSchema, type Profile } from '@driftline/protocol';
import { CollectorError } from '../errors.ts';
import { baselineProfile } from '../queries/drift.ts';
import { mergeByGroup } from '../queries/merge-rows.ts';
import { accuracyOf, calibratedOutput } from '../queries/performance.ts';
import { rangeBuckets, readRollups } from '../queries/read-rollups.ts';
import { driftWithSchema } from '../queries/schema-drift.ts';
import { findVersion, versionReference } from '../registry/versions.ts';
import type { Sql, Storage } from '../storage/storage.ts';

/** What the evaluator looks at. */
export interface AlertOptions {
  /** The window that is compared with the reference, ending now. Default 15 minutes. */
  windowMs: number;
  baselineInferences: number;
  /** Collector-wide webhook; a model's own webhook wins. */
  webhookUrl: string | null;
  /**
   * Alert when the estimated accuracy (CBPE) of a version's window is below its reference's accuracy
   * by more than this (absolute: 0.05 = 5 points). Default {@link DEFAULT_ACCURACY_DROP}. A model's
   * own `accuracyDrop` alert setting wins.
   */
  accuracyDrop?: number;
  /** Predictions a window needs before its estimated accuracy is judged. Default 200. */
  accuracyMinPredictions?: number;
}

/** Default of {@link AlertOptions.accuracyDrop}. */
export const DEFAULT_ACCURACY_DROP = 0.05;

const LOCK_ID = 7_265_002;

/** An event as stored and as sent to webhooks. */
export interface AlertEvent {
  model: string;
  version: string;
  kind: 'drift_alert' | 'latency_alert' | 'accuracy_alert';
  detail: Record<string, unknown>;
}

const KINDS: Record<string, AlertEvent['kind']> = {
  drift: 'drift_alert',
  latency: 'latency_alert',
  accuracy: 'accuracy_alert',
};

/**
 * Evaluates drift (vs the reference: the published profile, else the baseline; per feature and per
 * embedding input of the version's schema), estimated accuracy (vs the published reference's own,
 * for a schema's classes output calibrated with labels) and p95 latency (vs the model's threshold)
 * of every version with primary telemetry in the window, and records an event when a subject turns
 * to `alert`.
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
    accuracy_drop: number | null;
  }>(
    `SELECT DISTINCT t.model, t.version, s.latency_p95_ms, s.webhook_url, s.accuracy_drop FROM (
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
    const schema = (await findVersion(storage, a.model, a.version))?.schema ?? null;
    if (base && current) {
      const drift = driftWithSchema(base.profile, current, schema);
      for (const [feature, d] of Object.entries(drift.features)) {
        subjects.push({ a, subject: `drift:${feature}`, status: d.status, detail: { feature, ...d } });
      }
      for (const [embedding, d] of Object.entries(drift.embeddings)) {
        const { projections: _, ...summary } = d;
        subjects.push({
          a,
          subject: `drift:embedding:${embedding}`,
          status: d.status,
          detail: { embedding, ...summary },
        });
      }
    }
    if (uploaded && current) {
      const s = accuracySubject(decodeProfile(uploaded), current, schema, {
        drop: a.accuracy_drop ?? opts.accuracyDrop ?? DEFAULT_ACCURACY_DROP,
        minPredictions: opts.accuracyMinPredictions ?? 200,
      });
      if (s) subjects.push({ a, ...s });
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
        kind: KINDS[subject.slice(0, subject.indexOf(':'))]!,
        detail: { ...detail, windowFrom: range.fromBucket * 60_000, windowTo: now },
      };
      await recordEvent(tx, event, a.webhook_url ?? opts.webhookUrl);
      events.push(event);
    }
    return events;
  });
}

/**
 * The estimated-accuracy subject of a window: `alert` when CBPE estimates it more than
 * `limits.drop` below the reference's realized accuracy, `insufficient` below
 * `limits.minPredictions`; null when the reference calibrates no classes output of the schema.
 */
function accuracySubject(
  reference: Profile,
  current: Profile,
  schema: ModelSchema | null,
  limits: { drop: number; minPredictions: number },
): { subject: string; status: string; detail: Record<string, unknown> } | null {
  let output: string;
  try {
    output = calibratedOutput(reference, schema);
  } catch (err) {
    if (err instanceof CollectorError && err.code === 'no_calibration') return null;
    throw err;
  }
  const e = estimateAccuracy(reference, current, output);
  const w = accuracyOf(reference, current, output);
  const threshold = limits.drop;
  const drop = e.referenceAccuracy - e.estimated;
  const enough = Number.isFinite(drop) && e.currentCount >= limits.minPredictions;
  return {
    subject: `accuracy:${output}`,
    status: !enough ? 'insufficient' : drop > threshold ? 'alert' : 'ok',
    detail: { output, ...w, referenceAccuracy: e.referenceAccuracy, drop, threshold },
  };
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
