import type { Storage } from '../storage/storage.ts';

/** Delivery policy: attempts and exponential backoff between them. */
export interface WebhookOptions {
  maxAttempts: number;
  /** Delay before the second attempt; doubles after each failure. */
  baseDelayMs: number;
  timeoutMs: number;
}

export const DEFAULT_WEBHOOK_OPTIONS: WebhookOptions = {
  maxAttempts: 8,
  baseDelayMs: 1_000,
  timeoutMs: 5_000,
};

interface EventRow {
  id: number;
  model: string;
  version: string | null;
  kind: string;
  detail: unknown;
  created_at: Date;
  webhook_url: string;
  attempts: number;
}

/**
 * POSTs due, undelivered events to their webhook. Each event is first claimed by one statement
 * that pushes its next attempt past the request timeout (a lease), so replicas share the queue and
 * no transaction stays open during the HTTP call. A 2xx marks it delivered; anything else schedules
 * a retry with exponential backoff, up to maxAttempts. Delivery is at least once: receivers should
 * de-duplicate on the event `id`.
 * @returns how many events were delivered in this round.
 */
export async function deliverWebhooks(
  storage: Storage,
  opts: WebhookOptions = DEFAULT_WEBHOOK_OPTIONS,
  limit = 20,
): Promise<number> {
  let delivered = 0;
  for (let i = 0; i < limit; i++) {
    const rows = await storage.query<EventRow>(
      `UPDATE events SET next_attempt_at = now() + make_interval(secs => $2::double precision / 1000)
       WHERE id = (SELECT id FROM events
                   WHERE delivered_at IS NULL AND webhook_url IS NOT NULL AND next_attempt_at <= now() AND attempts < $1
                   ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING id, model, version, kind, detail, created_at, webhook_url, attempts`,
      [opts.maxAttempts, opts.timeoutMs * 2],
    );
    const e = rows[0];
    if (!e) break;
    let error: string | null = null;
    try {
      const res = await fetch(e.webhook_url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          id: Number(e.id),
          model: e.model,
          version: e.version,
          kind: e.kind,
          detail: e.detail,
          createdAt: new Date(e.created_at).toISOString(),
        }),
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
      if (!res.ok) error = `HTTP ${res.status}`;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const attempts = Number(e.attempts) + 1;
    if (error === null) {
      await storage.query(
        'UPDATE events SET attempts = $2, delivered_at = now(), last_error = NULL WHERE id = $1',
        [e.id, attempts],
      );
      delivered++;
      continue;
    }
    await storage.query(
      `UPDATE events SET attempts = $2, last_error = $3,
         next_attempt_at = now() + make_interval(secs => $4::double precision / 1000) WHERE id = $1`,
      [e.id, attempts, error.slice(0, 500), opts.baseDelayMs * 2 ** (attempts - 1)],
    );
  }
  return delivered;
}
