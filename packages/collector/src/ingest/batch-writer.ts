import type { Storage } from '../storage/storage.ts';
import { type PreparedBatch, type StoreResult, storeBatches } from './store-batch.ts';

interface Pending {
  batch: PreparedBatch;
  resolve: (r: StoreResult) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for ingest: while `maxInFlight` statements are running, arriving batches queue,
 * and the next statement stores up to `maxGroup` of them at once (one round trip, one commit).
 * An idle writer starts a statement after the current event-loop turn (no timer, no added wait
 * beyond that turn), so batching only happens under load. Every request still gets its own
 * answer, and a failed statement fails only the requests in it.
 * PostgreSQL gets 2 statements in flight (one running while the next group fills): more only
 * made groups smaller, and each statement costs the collector a round trip (on 2 cores, 8 in
 * flight gave 954 batches/s, 2 gave 1,212; 6 was still slower than 2 after the statement got
 * cheaper; docs/performance.md). PGlite gets 1: it runs on this thread anyway.
 */
export class BatchWriter {
  readonly #queue: Pending[] = [];
  #inFlight = 0;
  #scheduled = false;

  constructor(
    private readonly storage: Storage,
    private readonly maxInFlight = storage.kind === 'pglite' ? 1 : 2,
    private readonly maxGroup = 200,
    private readonly onFlush?: (size: number) => void,
  ) {}

  /** Queues a batch; resolves once it is committed (or found to be a duplicate). */
  store(batch: PreparedBatch): Promise<StoreResult> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ batch, resolve, reject });
      this.#schedule();
    });
  }

  // A group is started after the event loop's current turn (setImmediate runs after pending I/O):
  // every request whose bytes are already here joins it. This matters most for PGlite, whose
  // statements run synchronously on this thread: requests pile up unread while one runs, and an
  // immediate start would send them one statement each.
  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.maxInFlight || this.#queue.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#inFlight < this.maxInFlight && this.#queue.length > 0) {
      const group = this.#queue.splice(0, this.maxGroup);
      this.#inFlight++;
      this.onFlush?.(group.length);
      storeBatches(
        this.storage,
        group.map((g) => g.batch),
      )
        .then(
          (results) => {
            group.forEach((g, i) => {
              g.resolve(results[i]!);
            });
          },
          (err: unknown) => {
            for (const g of group) g.reject(err);
          },
        )
        .finally(() => {
          this.#inFlight--;
          this.#schedule();
        });
    }
  }
}
