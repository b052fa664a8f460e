import { deviceId } from '../identity/device-id.ts';
import { type Locks, localLocks, webLocks } from '../outbox/locks.ts';
import { mergeEncodedProfiles, Outbox, type OutboxPending } from '../outbox/outbox.ts';
import { type OutboxCounters, type OutboxDb, openOutboxDb } from '../outbox/outbox-db.ts';
import { OWNER_LOCK_PREFIX, Sender, type SenderEvents } from '../outbox/sender.ts';
import { WINDOW_CLOSED } from './window-recorder.ts';

/** The SDK version sent with every batch. */
export const SDK_VERSION = '@driftline/runtime@0.1.0';

/** Outbox totals and what is waiting, as `rt.stats()` reports them. */
export interface TelemetryStats extends OutboxCounters {
  pending: OutboxPending;
}

export interface TelemetryClientOptions {
  outbox: string;
  collector?: string;
  appKey?: string;
  maxBytes: number;
  maxAgeMs: number;
  retry?: { baseMs?: number; maxMs?: number };
}

/**
 * The page side of telemetry: holds the owner lock of each live worker, and runs the sender
 * (on window close from any tab, on flush, on start, when the page hides, when back online).
 */
export class TelemetryClient {
  private readonly locks: Locks = webLocks() ?? localLocks();
  private readonly channel: BroadcastChannel | undefined;
  private readonly cleanups: Array<() => void> = [];
  private constructor(
    readonly outbox: Outbox,
    private readonly sender: Sender | undefined,
    outboxName: string,
  ) {
    this.channel = typeof BroadcastChannel === 'undefined' ? undefined : new BroadcastChannel(outboxName);
    this.channel?.addEventListener('message', (e) => {
      if (e.data === WINDOW_CLOSED) void this.send();
    });
    if (sender && typeof addEventListener === 'function' && typeof document !== 'undefined') {
      // Back online: what backed off for want of a network goes now, not at its next timer.
      const online = () => void this.send({ online: true });
      addEventListener('online', online);
      this.cleanups.push(() => removeEventListener('online', online));
    }
  }

  static async open(
    opts: TelemetryClientOptions,
    emit: <K extends keyof SenderEvents>(type: K, event: SenderEvents[K]) => void,
  ): Promise<TelemetryClient> {
    const db: OutboxDb = await openOutboxDb(opts.outbox);
    const outbox = new Outbox(db, mergeEncodedProfiles, {
      maxBytes: opts.maxBytes,
      maxAgeMs: opts.maxAgeMs,
      maxWindowsPerBatch: 100,
    });
    const locks = webLocks() ?? localLocks();
    const sender =
      opts.collector && opts.appKey
        ? new Sender(outbox, locks, {
            collector: opts.collector,
            appKey: opts.appKey,
            sdkVersion: SDK_VERSION,
            deviceId,
            ...(opts.retry ? { retry: opts.retry } : {}),
            emit,
          })
        : undefined;
    const client = new TelemetryClient(outbox, sender, opts.outbox);
    void client.send();
    return client;
  }

  /** Holds the Web Lock that marks `ownerId`'s open windows as live; resolves once held. */
  holdOwner(ownerId: string): Promise<() => void> {
    return this.locks.hold(OWNER_LOCK_PREFIX + ownerId);
  }

  /** Sends what is due; never throws (failures are retried with back-off). */
  async send(opts: { keepalive?: boolean; online?: boolean } = {}): Promise<void> {
    if (!this.sender) return;
    try {
      await this.sender.drain(opts);
    } catch {
      this.sender.schedule(5000);
    }
  }

  async stats(): Promise<TelemetryStats> {
    const [counters, pending] = await Promise.all([this.outbox.counters(), this.outbox.pending()]);
    return { ...counters, pending };
  }

  close(): void {
    this.sender?.stop();
    this.channel?.close();
    for (const c of this.cleanups) c();
    this.outbox.db.close();
  }
}
