import { toBase64 } from '@driftline/protocol';
import type { Locks } from './locks.ts';
import type { Outbox } from './outbox.ts';
import type { BatchRecord, WindowRecord } from './outbox-db.ts';

/** Browsers refuse keepalive bodies over 64 KB (summed over in-flight keepalive requests). */
export const KEEPALIVE_LIMIT = 64 * 1024;
const NORMAL_BATCH_JSON = 512 * 1024;
/** Prefix of the Web Lock each live worker generation's owner holds. */
export const OWNER_LOCK_PREFIX = 'driftline-owner:';

/** What one batch attempt led to. */
export type SendOutcome =
  | { kind: 'sent'; duplicate: boolean }
  | { kind: 'rejected'; status: number; code?: string }
  | { kind: 'retry'; delayMs: number; reason: string; code: string; status?: number };

/** What the sender reports. */
export interface SenderEvents {
  sent: { batchId: string; windows: number; inferences: number; duplicate: boolean };
  rejected: { batchId: string; windows: number; status: number; code?: string };
  /**
   * A batch waits for another attempt. `code` is the collector's error code when it answered with
   * one (e.g. `unauthorized`, `origin_not_allowed`), `HTTP_<status>` when it answered without, and `NETWORK` when no answer
   * could be read: offline, the collector unreachable, or its CORS answer refused this origin (the
   * browser does not tell these apart).
   */
  retry: { batchId: string; attempt: number; delayMs: number; reason: string; code: string; status?: number };
}

export interface SenderOptions {
  collector: string;
  appKey: string;
  sdkVersion: string;
  deviceId: () => Promise<string>;
  retry?: { baseMs?: number; maxMs?: number };
  fetchFn?: typeof fetch;
  /** gzip bodies with CompressionStream when the browser has it (default true). */
  gzip?: boolean;
  random?: () => number;
  emit?: <K extends keyof SenderEvents>(type: K, event: SenderEvents[K]) => void;
}

/** Delay before attempt `attempt + 1`: exponential with equal jitter, or what Retry-After says. */
export function backoffMs(
  attempt: number,
  opts: { baseMs: number; maxMs: number },
  random: () => number,
  retryAfter?: string | null,
): number {
  if (retryAfter) {
    const seconds = Number(retryAfter);
    const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - Date.now();
    if (Number.isFinite(ms) && ms >= 0) return Math.min(ms, 3_600_000);
  }
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Turns a stored batch into the JSON body of `POST /v1/telemetry`. */
export function batchBody(
  batch: BatchRecord,
  windows: WindowRecord[],
  deviceId: string,
  sdkVersion: string,
): string {
  return JSON.stringify({
    v: 1,
    batchId: batch.batchId,
    deviceId,
    sdkVersion,
    sentAt: Date.now(),
    windows: windows.map((w) => ({
      model: w.model,
      version: w.version,
      role: w.role,
      backend: w.backend,
      segment: w.segment,
      start: w.start,
      end: w.end,
      profile: toBase64(w.profile),
    })),
  });
}

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Sends the outbox to the collector, one batch at a time, under a Web Lock so that tabs of one
 * origin never send concurrently. A batch keeps its id across retries and reloads; it leaves the
 * outbox only after a 2xx (stored or duplicate) or a 4xx that says it is invalid.
 */
export class Sender {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly fetchFn: typeof fetch;
  private readonly retry: { baseMs: number; maxMs: number };
  private stopped = false;

  constructor(
    private readonly outbox: Outbox,
    private readonly locks: Locks,
    private readonly opts: SenderOptions,
  ) {
    this.fetchFn = opts.fetchFn ?? ((...args) => fetch(...args));
    this.retry = { baseMs: opts.retry?.baseMs ?? 1000, maxMs: opts.retry?.maxMs ?? 300_000 };
  }

  private get lockName(): string {
    return `driftline-sender:${this.outbox.db.name}`;
  }

  /**
   * Sends every batch that is due. With `keepalive` (page hiding) it only takes the lock if free,
   * and sends bodies within the keepalive limit. With `online` (the browser's `online` event) batches
   * that got no answer are sent now instead of after their back-off. Returns the number of batches
   * that left the outbox.
   */
  async drain(opts: { keepalive?: boolean; online?: boolean } = {}): Promise<number> {
    if (this.stopped) return 0;
    return this.locks.withLock(this.lockName, { ifAvailable: Boolean(opts.keepalive) }, async (held) => {
      if (!held) return 0;
      const live = await this.locks.held();
      await this.outbox.adoptOrphans((owner) => live.has(OWNER_LOCK_PREFIX + owner));
      await this.outbox.compact();
      const budget = opts.keepalive ? KEEPALIVE_LIMIT - 1024 : NORMAL_BATCH_JSON;
      let done = 0;
      for (;;) {
        const next = await this.outbox.nextBatch(budget, { online: Boolean(opts.online) });
        if (next.waitMs !== undefined) {
          this.schedule(next.waitMs);
          return done;
        }
        if (!next.batch) return done;
        const outcome = await this.send(next.batch, next.windows, Boolean(opts.keepalive));
        const { batchId } = next.batch;
        if (outcome.kind === 'retry') {
          const attempt = await this.outbox.retryLater(batchId, outcome.delayMs, outcome.code === 'NETWORK');
          this.opts.emit?.('retry', {
            batchId,
            attempt,
            delayMs: outcome.delayMs,
            reason: outcome.reason,
            code: outcome.code,
            ...(outcome.status !== undefined ? { status: outcome.status } : {}),
          });
          this.schedule(outcome.delayMs);
          return done;
        }
        if (outcome.kind === 'rejected') {
          await this.outbox.complete(batchId, 'rejected');
          this.opts.emit?.('rejected', {
            batchId,
            windows: next.windows.length,
            status: outcome.status,
            ...(outcome.code ? { code: outcome.code } : {}),
          });
        } else {
          await this.outbox.complete(batchId, outcome.duplicate ? 'duplicate' : 'sent');
          this.opts.emit?.('sent', {
            batchId,
            windows: next.windows.length,
            inferences: next.windows.reduce((n, w) => n + w.inferences, 0),
            duplicate: outcome.duplicate,
          });
        }
        done++;
      }
    });
  }

  /** Drains again after `ms` (one timer at a time, the earliest wins). */
  schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        void this.drain().catch(() => this.schedule(this.retry.maxMs));
      },
      Math.max(0, ms),
    );
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  private async send(batch: BatchRecord, windows: WindowRecord[], keepalive: boolean): Promise<SendOutcome> {
    const attempt = batch.attempts + 1;
    const random = this.opts.random ?? Math.random;
    const json = batchBody(batch, windows, await this.opts.deviceId(), this.opts.sdkVersion);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      authorization: `Bearer ${this.opts.appKey}`,
    };
    let body: string | Uint8Array = json;
    if (this.opts.gzip !== false && typeof CompressionStream !== 'undefined') {
      body = await gzip(json);
      headers['content-encoding'] = 'gzip';
    }
    const size = typeof body === 'string' ? new TextEncoder().encode(body).byteLength : body.byteLength;
    let response: Response;
    try {
      response = await this.fetchFn(new URL('/v1/telemetry', this.opts.collector).href, {
        method: 'POST',
        headers,
        body: body as BodyInit,
        keepalive: keepalive && size <= KEEPALIVE_LIMIT,
        credentials: 'omit',
      });
    } catch (error) {
      return {
        kind: 'retry',
        delayMs: backoffMs(attempt, this.retry, random),
        reason: `network: ${String(error)}`,
        code: 'NETWORK',
      };
    }
    const { status } = response;
    if (status >= 200 && status < 300) {
      const answer = (await response.json().catch(() => ({}))) as { duplicate?: boolean };
      return { kind: 'sent', duplicate: answer.duplicate === true };
    }
    const retryable = status === 408 || status === 429 || status >= 500 || status === 401 || status === 403;
    if (retryable) {
      const delayMs = backoffMs(attempt, this.retry, random, response.headers.get('retry-after'));
      const code = (await errorCodeOf(response)) ?? `HTTP_${status}`;
      return { kind: 'retry', delayMs, reason: `HTTP ${status}`, code, status };
    }
    const code = await errorCodeOf(response);
    return { kind: 'rejected', status, ...(code ? { code } : {}) };
  }
}

/** The collector's error code from its answer `{ error: { code, message } }`, if it sent one. */
async function errorCodeOf(response: Response): Promise<string | undefined> {
  const body = (await response.json().catch(() => null)) as { error?: { code?: unknown } } | null;
  const code = body?.error?.code;
  return typeof code === 'string' && code ? code : undefined;
}
