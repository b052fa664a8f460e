import type { SenderEvents } from '../outbox/sender.ts';

/** Whether telemetry reaches the collector, as `rt.status()` and the `status` event report it. */
export interface DeliveryStatus {
  /** When the collector last took a batch from this page (stored or already had it), ms since epoch. */
  lastSuccessAt?: number;
  /**
   * The last failed send since then: the collector's error code, `HTTP_<status>`, or `NETWORK`
   * (offline, collector unreachable, or this origin refused by its CORS policy); cleared by a success.
   * `retrying` is false when the batch was refused for good (an invalid batch).
   */
  lastError?: { code: string; status?: number; message: string; at: number; retrying: boolean };
  /** What waits in this origin's outbox (all tabs): windows and the inferences in them. */
  waiting: { windows: number; inferences: number };
}

/** The send outcomes of one page, kept so an app can show a misconfiguration on the first failed send. */
export class DeliveryTracker {
  private lastSuccessAt: number | undefined;
  private lastError: DeliveryStatus['lastError'];

  constructor(private readonly now: () => number = Date.now) {}

  /** Takes one sender event. */
  observe<K extends keyof SenderEvents>(type: K, event: SenderEvents[K]): void {
    const at = this.now();
    if (type === 'sent') {
      this.lastSuccessAt = at;
      this.lastError = undefined;
    } else if (type === 'retry') {
      const e = event as SenderEvents['retry'];
      this.lastError = {
        code: e.code,
        ...(e.status !== undefined ? { status: e.status } : {}),
        message: `${e.reason}; attempt ${e.attempt}, next in ${Math.round(e.delayMs / 1000)} s`,
        at,
        retrying: true,
      };
    } else if (type === 'rejected') {
      const e = event as SenderEvents['rejected'];
      this.lastError = {
        code: e.code ?? `HTTP_${e.status}`,
        status: e.status,
        message: `the collector refused a batch of ${e.windows} windows (HTTP ${e.status}); it is not sent again`,
        at,
        retrying: false,
      };
    }
  }

  /** The status, with what waits in the outbox. */
  status(waiting: DeliveryStatus['waiting']): DeliveryStatus {
    return {
      ...(this.lastSuccessAt !== undefined ? { lastSuccessAt: this.lastSuccessAt } : {}),
      ...(this.lastError ? { lastError: { ...this.lastError } } : {}),
      waiting: { ...waiting },
    };
  }
}
