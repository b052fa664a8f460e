import type { Sql } from '../storage/storage.ts';

/** Per-model alert configuration. */
export interface AlertSettings {
  /** Alert when a version/backend's p95 total latency (ms) rises above this. Null: no latency alert. */
  latencyP95Ms: number | null;
  /** Where events of this model are POSTed (besides the collector-wide webhook). */
  webhookUrl: string | null;
  /**
   * Alert when a version's estimated accuracy falls more than this (absolute, in (0, 1]) below its
   * reference's. Null: the evaluator's `accuracyDrop` (default 0.05).
   */
  accuracyDrop: number | null;
}

/** Reads a model's alert settings (nulls when none were set). */
export async function getAlertSettings(sql: Sql, model: string): Promise<AlertSettings> {
  const rows = await sql.query<{
    latency_p95_ms: number | null;
    webhook_url: string | null;
    accuracy_drop: number | null;
  }>('SELECT latency_p95_ms, webhook_url, accuracy_drop FROM model_settings WHERE model = $1', [model]);
  return {
    latencyP95Ms: rows[0]?.latency_p95_ms ?? null,
    webhookUrl: rows[0]?.webhook_url ?? null,
    accuracyDrop: rows[0]?.accuracy_drop ?? null,
  };
}

/** Sets a model's alert settings, all of them: a null (or absent) one is cleared. */
export async function setAlertSettings(sql: Sql, model: string, s: AlertSettings): Promise<void> {
  await sql.query(
    `INSERT INTO model_settings (model, latency_p95_ms, webhook_url, accuracy_drop) VALUES ($1, $2, $3, $4)
     ON CONFLICT (model) DO UPDATE SET latency_p95_ms = EXCLUDED.latency_p95_ms,
       webhook_url = EXCLUDED.webhook_url, accuracy_drop = EXCLUDED.accuracy_drop, updated_at = now()`,
    [model, s.latencyP95Ms, s.webhookUrl, s.accuracyDrop],
  );
}
