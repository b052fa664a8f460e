import type { Storage } from './storage.ts';

/**
 * Schema migrations, applied in order, each once, under an advisory lock so that several
 * collectors starting together on one PostgreSQL do not race. Never edit a shipped migration:
 * append a new one.
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE api_keys (
     id text PRIMARY KEY,
     hash text NOT NULL UNIQUE,
     role text NOT NULL CHECK (role IN ('ingest', 'read', 'admin')),
     app text,
     origins text[] NOT NULL DEFAULT '{}',
     label text,
     created_at timestamptz NOT NULL DEFAULT now(),
     revoked_at timestamptz
   );
   CREATE TABLE batches (
     batch_id text PRIMARY KEY,
     device_id text NOT NULL,
     key_id text,
     windows integer NOT NULL,
     inferences bigint NOT NULL,
     received_at timestamptz NOT NULL DEFAULT now()
   );
   CREATE TABLE rollup_parts (
     id bigserial PRIMARY KEY,
     model text NOT NULL, version text NOT NULL, role text NOT NULL,
     segment text NOT NULL, backend text NOT NULL, bucket integer NOT NULL,
     inferences bigint NOT NULL, errors bigint NOT NULL,
     profile bytea NOT NULL
   );
   CREATE INDEX rollup_parts_model ON rollup_parts (model, bucket);
   CREATE TABLE rollups (
     model text NOT NULL, version text NOT NULL, role text NOT NULL,
     segment text NOT NULL, backend text NOT NULL, bucket integer NOT NULL,
     resolution integer NOT NULL DEFAULT 1,
     inferences bigint NOT NULL, errors bigint NOT NULL,
     profile bytea NOT NULL,
     updated_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (model, version, role, segment, backend, resolution, bucket)
   );
   CREATE INDEX rollups_model_bucket ON rollups (model, bucket);
   CREATE TABLE model_devices (
     model text NOT NULL, version text NOT NULL, day integer NOT NULL, device_id text NOT NULL,
     PRIMARY KEY (model, version, day, device_id)
   );
   CREATE TABLE events (
     id bigserial PRIMARY KEY,
     model text NOT NULL, version text, kind text NOT NULL,
     detail jsonb NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now()
   );`,
  `CREATE TABLE model_settings (
     model text PRIMARY KEY,
     latency_p95_ms double precision,
     webhook_url text,
     updated_at timestamptz NOT NULL DEFAULT now()
   );
   CREATE TABLE alert_state (
     model text NOT NULL, version text NOT NULL, subject text NOT NULL,
     status text NOT NULL,
     updated_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (model, version, subject)
   );
   ALTER TABLE events ADD COLUMN webhook_url text;
   ALTER TABLE events ADD COLUMN attempts integer NOT NULL DEFAULT 0;
   ALTER TABLE events ADD COLUMN next_attempt_at timestamptz;
   ALTER TABLE events ADD COLUMN delivered_at timestamptz;
   ALTER TABLE events ADD COLUMN last_error text;
   CREATE INDEX events_pending ON events (next_attempt_at) WHERE delivered_at IS NULL AND webhook_url IS NOT NULL;`,
  // Model registry and rollout (docs/rollout.md).
  `CREATE TABLE artifacts (
     sha256 text PRIMARY KEY,
     size bigint NOT NULL,
     data bytea,
     created_at timestamptz NOT NULL DEFAULT now()
   );
   CREATE TABLE model_versions (
     model text NOT NULL, version text NOT NULL,
     format text NOT NULL CHECK (format IN ('onnx', 'tfjs')),
     files jsonb NOT NULL,
     inputs jsonb, outputs jsonb,
     reference bytea,
     notes text,
     created_by text,
     created_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (model, version)
   );
   CREATE TABLE rollout_policy (
     model text PRIMARY KEY,
     stable text NOT NULL,
     previous_stable text,
     candidate text,
     candidate_percent double precision NOT NULL DEFAULT 0,
     candidate_since timestamptz,
     shadow text,
     shadow_percent double precision NOT NULL DEFAULT 0,
     shadow_sample double precision NOT NULL DEFAULT 10,
     salt text NOT NULL,
     guard jsonb NOT NULL DEFAULT '{}',
     verdict jsonb,
     clean_since timestamptz,
     revision integer NOT NULL DEFAULT 1,
     updated_at timestamptz NOT NULL DEFAULT now()
   );
   CREATE TABLE rollout_pins (
     model text NOT NULL, device_id text NOT NULL, version text NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (model, device_id)
   );
   CREATE TABLE rollout_history (
     id bigserial PRIMARY KEY,
     model text NOT NULL,
     action text NOT NULL,
     actor text,
     reason text,
     before jsonb,
     after jsonb,
     verdict jsonb,
     created_at timestamptz NOT NULL DEFAULT now()
   );
   CREATE INDEX rollout_history_model ON rollout_history (model, id);
   CREATE TABLE signing_keys (
     id text PRIMARY KEY,
     public_key text NOT NULL,
     private_key text NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now(),
     revoked_at timestamptz
   );`,
  // A window's profile is typically 2–6 KB: rows up to a page stay inline and are not compressed
  // (above the default ~2 KB target PostgreSQL tries pglz on every insert, which cost ingest about
  // a third of PostgreSQL's CPU per batch for profiles that hardly compress).
  `ALTER TABLE rollup_parts SET (toast_tuple_target = 8160);
   ALTER TABLE rollups SET (toast_tuple_target = 8160);`,
  // Rate-limit token buckets shared by every collector on the database (ingest/shared-rate-limiter.ts).
  // Unlogged: no WAL per request; after a crash the buckets start full again, which is harmless.
  `CREATE UNLOGGED TABLE rate_buckets (
     subject text PRIMARY KEY,
     tokens double precision NOT NULL,
     granted double precision NOT NULL,
     updated_at timestamptz NOT NULL
   ) WITH (fillfactor = 50);`,
  // Keys expire (optionally, and an old key during a rotation's grace period); admin actions are
  // recorded (auth/audit-log.ts).
  `ALTER TABLE api_keys ADD COLUMN expires_at timestamptz;
   ALTER TABLE api_keys ADD COLUMN rotated_to text;
   CREATE TABLE audit_log (
     id bigserial PRIMARY KEY,
     at timestamptz NOT NULL DEFAULT now(),
     actor text NOT NULL,
     action text NOT NULL,
     target text,
     detail jsonb NOT NULL DEFAULT '{}'
   );`,
  // A version's model schema: how devices summarize its tensors (registry/publish-version.ts).
  `ALTER TABLE model_versions ADD COLUMN schema jsonb;`,
  // A model's own accuracy-alert threshold (alerts/alert-settings.ts); null: the evaluator's default.
  `ALTER TABLE model_settings ADD COLUMN accuracy_drop double precision;`,
];

const LOCK_ID = 7_265_001;

/** Brings the schema up to date. Safe to call from several processes at once. */
export async function migrate(storage: Storage): Promise<number> {
  return storage.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_ID]);
    await tx.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const rows = await tx.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
    const current = rows[0]?.v ?? 0;
    for (let v = current + 1; v <= MIGRATIONS.length; v++) {
      for (const statement of splitStatements(MIGRATIONS[v - 1]!)) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (version) VALUES ($1)', [v]);
    }
    return MIGRATIONS.length;
  });
}

function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
