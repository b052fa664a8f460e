import { decodeProfile, encodeProfile, mergeProfiles } from '@driftline/protocol';
import {
  addCounters,
  type BatchRecord,
  type OutboxCounters,
  type OutboxDb,
  readCounters,
  type WindowKey,
  type WindowRecord,
} from './outbox-db.ts';

/** Merges two encoded profiles into the encoded profile of their union. */
export type MergeFn = (a: Uint8Array, b: Uint8Array) => Uint8Array;

/** The outbox's merge: decode both profiles, merge them exactly, encode the result. */
export const mergeEncodedProfiles: MergeFn = (a, b) =>
  encodeProfile(mergeProfiles(decodeProfile(a), decodeProfile(b)));

/** Bounds of the outbox. */
export interface OutboxLimits {
  /** Total encoded profile bytes kept; above it the oldest windows are merged, then dropped. */
  maxBytes: number;
  /** Windows (and batches) older than this are dropped and counted. */
  maxAgeMs: number;
  /** Most windows per batch (the wire format allows 100). */
  maxWindowsPerBatch: number;
}

/** What is waiting in the outbox. */
export interface OutboxPending {
  windows: number;
  openWindows: number;
  batches: number;
  inferences: number;
  bytes: number;
}

/** The JSON size a window adds to a batch: base64 of its profile plus the other fields. */
export const windowJsonBytes = (w: WindowRecord): number => Math.ceil(w.profile.byteLength / 3) * 4 + 320;

const sameKey = (a: WindowKey, b: WindowKey): boolean =>
  a.model === b.model &&
  a.version === b.version &&
  a.role === b.role &&
  a.backend === b.backend &&
  a.segment === b.segment;

/**
 * The device's outbox of closed windows and batches in IndexedDB. Callers serialise access across
 * tabs with a Web Lock (see sender.ts); every method is one transaction.
 */
export class Outbox {
  constructor(
    readonly db: OutboxDb,
    private readonly merge: MergeFn,
    private readonly limits: OutboxLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Closes the open windows whose owner is gone (a closed tab, a reload, a crashed worker). */
  async adoptOrphans(isLive: (ownerId: string) => boolean): Promise<number> {
    const tx = this.db.transaction('windows', 'readwrite');
    let adopted = 0;
    for (const w of await tx.store.getAll()) {
      if (w.state === 'open' && !isLive(w.ownerId)) {
        await tx.store.put({ ...w, state: 'closed' });
        adopted++;
      }
    }
    await tx.done;
    return adopted;
  }

  /**
   * Enforces the bounds: drops windows and batches past `maxAgeMs`, then, while the outbox is over
   * `maxBytes`, merges the oldest closed window into the next one with the same key; only when no
   * two windows can merge does it drop the oldest. Merges and drops are counted, drops by reason.
   * After a quota error, `{ maxBytes: half of what is stored, reason: 'quota' }` makes room by
   * merging only, never by dropping.
   */
  async compact(opts: { maxBytes?: number; reason?: 'size' | 'quota' } = {}): Promise<void> {
    const maxBytes = opts.maxBytes ?? this.limits.maxBytes;
    const cutoff = this.now() - this.limits.maxAgeMs;
    const tx = this.db.transaction(['windows', 'batches'], 'readwrite');
    const windows = tx.objectStore('windows');
    const delta: Partial<OutboxCounters> = {
      droppedWindows: 0,
      droppedInferences: 0,
      droppedForAge: 0,
      droppedForSize: 0,
      droppedForQuota: 0,
      mergedWindows: 0,
      mergedInferences: 0,
    };
    const drop = async (w: WindowRecord, reason: 'droppedForAge' | 'droppedForSize' | 'droppedForQuota') => {
      await windows.delete(w.id);
      delta.droppedWindows! += 1;
      delta.droppedInferences! += w.inferences;
      delta[reason]! += w.inferences;
    };
    for (const b of await tx.objectStore('batches').getAll()) {
      if (b.createdAt >= cutoff) continue;
      await tx.objectStore('batches').delete(b.batchId);
      for (const id of b.windowIds) {
        const w = await windows.get(id);
        if (w) await drop(w, 'droppedForAge');
      }
    }
    let all = await windows.getAll();
    for (const w of all)
      if (w.state === 'closed' && !w.batchId && w.end < cutoff) await drop(w, 'droppedForAge');
    all = (await windows.getAll()).sort((a, b) => a.start - b.start);
    let bytes = all.reduce((n, w) => n + w.profile.byteLength, 0);
    let free = all.filter((w) => w.state === 'closed' && !w.batchId);
    while (bytes > maxBytes && free.length > 0) {
      const pair = findMergeablePair(free);
      if (pair) {
        const [older, newer] = pair;
        const merged: WindowRecord = {
          ...newer,
          start: Math.min(older.start, newer.start),
          end: Math.max(older.end, newer.end),
          inferences: older.inferences + newer.inferences,
          profile: this.merge(older.profile, newer.profile),
        };
        await windows.delete(older.id);
        await windows.put(merged);
        bytes += merged.profile.byteLength - older.profile.byteLength - newer.profile.byteLength;
        delta.mergedWindows! += 1;
        delta.mergedInferences! += older.inferences;
        free = free.filter((w) => w !== older).map((w) => (w === newer ? merged : w));
      } else if (opts.reason === 'quota') {
        // Dropping a stored window to store another gains nothing: the caller holds it instead.
        break;
      } else {
        const oldest = free.shift()!;
        await drop(oldest, 'droppedForSize');
        bytes -= oldest.profile.byteLength;
      }
    }
    await tx.done;
    if (delta.droppedWindows || delta.mergedWindows) await addCounters(this.db, delta);
  }

  /** Total encoded profile bytes stored now. */
  async storedBytes(): Promise<number> {
    return (await this.db.getAll('windows')).reduce((n, w) => n + w.profile.byteLength, 0);
  }

  /**
   * The batch to send next: the oldest existing batch, else a new one made of the oldest closed
   * windows (at most `maxJsonBytes` of JSON), stored with its id before it is sent. `waitMs` is set
   * when the next batch is backing off; with `online` (the browser is back online) a batch whose
   * last attempt got no answer is due at once, whatever its back-off.
   */
  async nextBatch(
    maxJsonBytes: number,
    opts: { online?: boolean } = {},
  ): Promise<{ batch?: BatchRecord; windows: WindowRecord[]; waitMs?: number }> {
    const tx = this.db.transaction(['windows', 'batches'], 'readwrite');
    const batches = (await tx.objectStore('batches').getAll()).sort((a, b) => a.createdAt - b.createdAt);
    const windows = tx.objectStore('windows');
    for (const batch of batches) {
      const members = (await Promise.all(batch.windowIds.map((id) => windows.get(id)))).filter(
        (w): w is WindowRecord => w !== undefined,
      );
      if (members.length === 0) {
        await tx.objectStore('batches').delete(batch.batchId);
        continue;
      }
      const size = members.reduce((n, w) => n + windowJsonBytes(w), 200);
      if (size > maxJsonBytes) continue;
      const waitMs = opts.online && batch.unanswered ? 0 : batch.notBefore - this.now();
      await tx.done;
      return waitMs > 0 ? { windows: [], waitMs } : { batch, windows: members };
    }
    const free = (await windows.getAll())
      .filter((w) => w.state === 'closed' && !w.batchId)
      .sort((a, b) => a.start - b.start);
    const chosen: WindowRecord[] = [];
    let size = 200;
    for (const w of free) {
      if (chosen.length >= this.limits.maxWindowsPerBatch) break;
      if (size + windowJsonBytes(w) > maxJsonBytes) continue;
      size += windowJsonBytes(w);
      chosen.push(w);
    }
    if (chosen.length === 0) {
      await tx.done;
      return { windows: [] };
    }
    const batch: BatchRecord = {
      batchId: crypto.randomUUID(),
      windowIds: chosen.map((w) => w.id),
      createdAt: this.now(),
      attempts: 0,
      notBefore: 0,
    };
    await tx.objectStore('batches').put(batch);
    for (const w of chosen) await windows.put({ ...w, batchId: batch.batchId });
    await tx.done;
    return { batch, windows: chosen.map((w) => ({ ...w, batchId: batch.batchId })) };
  }

  /** Removes a batch and its windows after the collector stored it (`sent`/`duplicate`) or refused it (`rejected`). */
  async complete(batchId: string, outcome: 'sent' | 'duplicate' | 'rejected'): Promise<void> {
    const tx = this.db.transaction(['windows', 'batches'], 'readwrite');
    const batch = await tx.objectStore('batches').get(batchId);
    if (!batch) {
      await tx.done;
      return;
    }
    for (const id of batch.windowIds) await tx.objectStore('windows').delete(id);
    await tx.objectStore('batches').delete(batchId);
    await tx.done;
    const n = batch.windowIds.length;
    if (outcome === 'rejected') await addCounters(this.db, { rejectedBatches: 1, rejectedWindows: n });
    else
      await addCounters(this.db, {
        sentBatches: 1,
        sentWindows: n,
        duplicateBatches: outcome === 'duplicate' ? 1 : 0,
      });
  }

  /**
   * Keeps a batch for a later attempt, not before `delayMs` from now; `unanswered` when the attempt
   * got no answer at all (see {@link BatchRecord.unanswered}).
   */
  async retryLater(batchId: string, delayMs: number, unanswered = false): Promise<number> {
    const tx = this.db.transaction('batches', 'readwrite');
    const batch = await tx.store.get(batchId);
    if (batch)
      await tx.store.put({
        ...batch,
        attempts: batch.attempts + 1,
        notBefore: this.now() + delayMs,
        unanswered,
      });
    await tx.done;
    return batch ? batch.attempts + 1 : 0;
  }

  async pending(): Promise<OutboxPending> {
    const [windows, batches] = await Promise.all([this.db.getAll('windows'), this.db.count('batches')]);
    return {
      windows: windows.length,
      openWindows: windows.filter((w) => w.state === 'open').length,
      batches,
      inferences: windows.reduce((n, w) => n + w.inferences, 0),
      bytes: windows.reduce((n, w) => n + w.profile.byteLength, 0),
    };
  }

  counters(): Promise<OutboxCounters> {
    return readCounters(this.db);
  }
}

function findMergeablePair(sortedByStart: WindowRecord[]): [WindowRecord, WindowRecord] | undefined {
  for (let i = 0; i < sortedByStart.length; i++) {
    const older = sortedByStart[i]!;
    for (let j = i + 1; j < sortedByStart.length; j++) {
      const newer = sortedByStart[j]!;
      if (sameKey(older, newer)) return [older, newer];
    }
  }
  return undefined;
}
