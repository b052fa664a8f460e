import { type DBSchema, type IDBPDatabase, openDB } from 'idb';

/** The fields that decide which windows may be merged: one model version on one backend and segment. */
export interface WindowKey {
  model: string;
  version: string;
  role: 'primary' | 'shadow';
  backend: string;
  segment: string;
}

/** One window in the outbox: open (still filling, owned by a live worker) or closed. */
export interface WindowRecord extends WindowKey {
  id: string;
  /** The worker generation writing it; its Web Lock is held while that worker lives. */
  ownerId: string;
  state: 'open' | 'closed';
  start: number;
  end: number;
  inferences: number;
  /** `encodeProfile(profile)`. */
  profile: Uint8Array;
  /** Set once the window is part of a batch; the batch never changes afterwards. */
  batchId?: string;
}

/** A batch made once and kept across retries (and reloads) until a 2xx or a 4xx. */
export interface BatchRecord {
  batchId: string;
  windowIds: string[];
  createdAt: number;
  attempts: number;
  notBefore: number;
  /**
   * The last attempt got no answer (offline, collector unreachable): the back-off is then a guess
   * at when the network returns, and the browser's `online` event makes the batch due at once.
   */
  unanswered?: boolean;
}

/** Running totals the runtime reports through `stats()`. */
export interface OutboxCounters {
  sentBatches: number;
  sentWindows: number;
  duplicateBatches: number;
  rejectedBatches: number;
  rejectedWindows: number;
  /** Windows merged into a neighbour of the same model version, backend and segment (their inferences still arrive, coarser in time). */
  mergedWindows: number;
  /** Inferences in those merged windows. */
  mergedInferences: number;
  droppedWindows: number;
  droppedInferences: number;
  /** Of `droppedInferences`: older than `outbox.maxAgeMs`. */
  droppedForAge: number;
  /** Of `droppedInferences`: over `outbox.maxBytes` with nothing left to merge. */
  droppedForSize: number;
  /** Of `droppedInferences`: the browser's storage quota was full even after merging. */
  droppedForQuota: number;
  /** Times a write hit the storage quota (each one merged the outbox before trying again). */
  quotaErrors: number;
}

export const emptyCounters = (): OutboxCounters => ({
  sentBatches: 0,
  sentWindows: 0,
  duplicateBatches: 0,
  rejectedBatches: 0,
  rejectedWindows: 0,
  mergedWindows: 0,
  mergedInferences: 0,
  droppedWindows: 0,
  droppedInferences: 0,
  droppedForAge: 0,
  droppedForSize: 0,
  droppedForQuota: 0,
  quotaErrors: 0,
});

export interface OutboxSchema extends DBSchema {
  windows: { key: string; value: WindowRecord };
  batches: { key: string; value: BatchRecord };
  meta: { key: string; value: unknown };
}

export type OutboxDb = IDBPDatabase<OutboxSchema>;

/** Opens (creating on first use) the outbox database `name`; one per collector URL. */
export function openOutboxDb(name: string): Promise<OutboxDb> {
  return openDB<OutboxSchema>(name, 1, {
    upgrade(db) {
      db.createObjectStore('windows', { keyPath: 'id' });
      db.createObjectStore('batches', { keyPath: 'batchId' });
      db.createObjectStore('meta');
    },
  });
}

/** The outbox database name for a collector URL (or for local-only telemetry). */
export function outboxName(collector: string | undefined): string {
  return collector ? `driftline-outbox:${new URL(collector).origin}` : 'driftline-outbox:local';
}

/** Writes a window unless it was closed or batched meanwhile (a late checkpoint never reopens one). */
export async function putWindow(db: OutboxDb, record: WindowRecord): Promise<void> {
  const tx = db.transaction('windows', 'readwrite');
  try {
    const existing = await tx.store.get(record.id);
    if (!existing || (existing.state === 'open' && !existing.batchId)) await tx.store.put(record);
    await tx.done;
  } catch (error) {
    // A full quota aborts the transaction at commit: the request says AbortError, the transaction why.
    throw tx.error ?? error;
  }
}

/** Adds `delta` to the stored counters in one transaction. */
export async function addCounters(db: OutboxDb, delta: Partial<OutboxCounters>): Promise<OutboxCounters> {
  const tx = db.transaction('meta', 'readwrite');
  const current = { ...emptyCounters(), ...((await tx.store.get('counters')) as Partial<OutboxCounters>) };
  for (const [k, v] of Object.entries(delta)) current[k as keyof OutboxCounters] += v ?? 0;
  await tx.store.put(current, 'counters');
  await tx.done;
  return current;
}

/** Whether `error` is the browser refusing a write for lack of storage quota. */
export function isQuotaError(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  return (
    name === 'QuotaExceededError' ||
    (error as { inner?: { name?: string } })?.inner?.name === 'QuotaExceededError'
  );
}

export async function readCounters(db: OutboxDb): Promise<OutboxCounters> {
  return { ...emptyCounters(), ...((await db.get('meta', 'counters')) as Partial<OutboxCounters>) };
}
