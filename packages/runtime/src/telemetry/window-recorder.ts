import {
  categoricalFeature,
  createProfile,
  encodeProfile,
  latencySketch,
  mergeProfiles,
  numericFeature,
  type Profile,
} from '@driftline/protocol';
import { UnknownRunError } from '../errors.ts';
import { mergeEncodedProfiles, Outbox } from '../outbox/outbox.ts';
import {
  addCounters,
  isQuotaError,
  type OutboxDb,
  openOutboxDb,
  putWindow,
  type WindowRecord,
} from '../outbox/outbox-db.ts';
import type { NamedTensors } from '../tensor.ts';
import type { Feedback, RunRecord, TelemetryInit, WorkerInfo } from '../worker/messages.ts';
import type { RunObserver } from '../worker/worker-runtime.ts';
import { feedbackLabel } from './feedback-label.ts';
import { RecentRuns } from './recent-runs.ts';
import { addAppFeatures, summarizeRun } from './summarize-run.ts';

interface OpenWindow {
  id: string;
  start: number;
  profile: Profile;
}

/** Message posted on the outbox's BroadcastChannel when a window closed, so a sender drains. */
export const WINDOW_CLOSED = 'window-closed';

/**
 * Keeps the profile of the current window in the worker and writes it to the IndexedDB outbox:
 * as an open window a short while after each run (so a reload loses nothing), and as a closed one
 * when the window ends (time, count, or `flush`).
 */
export class WindowRecorder implements RunObserver {
  private current: OpenWindow | undefined;
  /** A closed window the storage quota refused, with what was merged into it since. */
  private held:
    | (OpenWindow & { end: number; merged: number; mergedInferences: number; quotaErrors: number })
    | undefined;
  private heldTimer: ReturnType<typeof setTimeout> | undefined;
  private closeTimer: ReturnType<typeof setTimeout> | undefined;
  private checkpointTimer: ReturnType<typeof setTimeout> | undefined;
  private writing: Promise<void> = Promise.resolve();
  private loadMs: number | undefined;
  private readonly recent: RecentRuns;
  private readonly channel: BroadcastChannel | undefined;

  constructor(
    private readonly db: OutboxDb,
    private readonly settings: TelemetryInit,
    private readonly info: WorkerInfo,
    channelName: string,
  ) {
    this.recent = new RecentRuns(settings.maxTrackedRuns);
    this.loadMs = info.loadMs;
    this.channel = typeof BroadcastChannel === 'undefined' ? undefined : new BroadcastChannel(channelName);
  }

  /** Opens the outbox named in `settings` and starts recording. */
  static async open(settings: TelemetryInit, info: WorkerInfo): Promise<WindowRecorder> {
    return new WindowRecorder(await openOutboxDb(settings.outbox), settings, info, settings.outbox);
  }

  private window(): OpenWindow {
    if (this.current) return this.current;
    const profile = createProfile();
    if (this.loadMs !== undefined) {
      latencySketch(profile, 'load').add(this.loadMs);
      this.loadMs = undefined;
    }
    this.current = { id: crypto.randomUUID(), start: Date.now(), profile };
    this.closeTimer = setTimeout(() => void this.closeWindow(), this.settings.windowSeconds * 1000);
    return this.current;
  }

  onRun(inputs: NamedTensors, outputs: NamedTensors, runMs: number, id: string | undefined): void {
    const { profile } = this.window();
    profile.inferences++;
    latencySketch(profile, 'run').add(runMs);
    const prediction = summarizeRun(profile, inputs, outputs, this.info.schema);
    if (id !== undefined) this.recent.add(id, prediction ?? {});
    if (profile.inferences >= this.settings.maxInferences) void this.closeWindow();
    else this.scheduleCheckpoint();
  }

  onError(runMs: number): void {
    const { profile } = this.window();
    profile.errors++;
    latencySketch(profile, 'error').add(runMs);
    this.scheduleCheckpoint();
  }

  onRecords(records: RunRecord[]): void {
    const { profile } = this.window();
    const total = latencySketch(profile, 'total');
    for (const r of records) {
      total.add(r.totalMs);
      if (r.features) addAppFeatures(profile, r.features);
    }
    this.scheduleCheckpoint();
  }

  feedback(id: string, feedback: Feedback): void {
    const run = this.recent.take(id);
    if (!run) {
      throw new UnknownRunError(
        `No recent run has id "${id}": tag it with run(inputs, { id }) and send feedback before ${this.settings.maxTrackedRuns} newer tagged runs push it out.`,
      );
    }
    const { profile } = this.window();
    if (feedback.accepted !== undefined) {
      categoricalFeature(profile, 'feedback.accepted').add(feedback.accepted ? 'true' : 'false');
    }
    if (feedback.label !== undefined) {
      const label = feedbackLabel(feedback.label, run.labels);
      categoricalFeature(profile, 'feedback.label').add(label);
      if (run.predicted !== undefined)
        numericFeature(profile, 'feedback.correct').add(label === run.predicted ? 1 : 0);
    }
    this.scheduleCheckpoint();
  }

  private scheduleCheckpoint(): void {
    this.checkpointTimer ??= setTimeout(() => {
      this.checkpointTimer = undefined;
      void this.checkpoint();
    }, this.settings.checkpointMs);
  }

  checkpoint(): Promise<void> {
    return this.write('open');
  }

  async closeWindow(): Promise<void> {
    await this.write('closed');
    this.channel?.postMessage(WINDOW_CLOSED);
  }

  /** Writes the current window; writes are chained so that a checkpoint never lands after its close. */
  private write(state: 'open' | 'closed'): Promise<void> {
    const w = this.current;
    if (state === 'closed') {
      this.current = undefined;
      clearTimeout(this.closeTimer);
      clearTimeout(this.checkpointTimer);
      this.checkpointTimer = undefined;
    }
    if (!w || isEmpty(w.profile)) return this.writing;
    const end = Math.max(w.start, Date.now());
    this.writing = this.writing
      .then(async () => {
        if (state === 'closed') await this.close(w, end);
        else await this.put(this.record(w, 'open', end));
      })
      .catch(() => undefined);
    return this.writing;
  }

  private record(w: OpenWindow, state: 'open' | 'closed', end: number): WindowRecord {
    return {
      id: w.id,
      ownerId: this.settings.ownerId,
      state,
      model: this.info.model.name,
      version: this.info.model.version,
      role: this.settings.role ?? 'primary',
      backend: this.info.backend,
      segment: this.info.segment,
      start: w.start,
      end,
      inferences: w.profile.inferences,
      profile: encodeProfile(w.profile),
    };
  }

  /**
   * Writes a closed window. When the storage quota is full it is kept here instead, and the next
   * closed window is merged into it (its checkpoint removed, so nothing counts twice), until a
   * write fits again: the sender frees room as batches are delivered. The merges and quota errors
   * are counted then. Only a worker that ends while holding one loses what its checkpoint lacks.
   */
  private async close(w: OpenWindow, end: number, retry = false): Promise<void> {
    let target = w;
    if (this.held && retry) {
      target = this.held;
    } else if (this.held) {
      const held = this.held;
      held.profile = mergeProfiles(held.profile, w.profile);
      held.end = end;
      held.merged += 1;
      held.mergedInferences += w.profile.inferences;
      await this.db.delete('windows', w.id).catch(() => undefined);
      target = held;
    }
    if (await this.put(this.record(target, 'closed', this.held?.end ?? end))) {
      const held = this.held;
      this.held = undefined;
      if (held && (held.quotaErrors || held.merged)) {
        await addCounters(this.db, {
          quotaErrors: held.quotaErrors,
          mergedWindows: held.merged,
          mergedInferences: held.mergedInferences,
        }).catch(() => undefined);
        // Written late (on a retry): the sender is told as for any closed window.
        if (retry) this.channel?.postMessage(WINDOW_CLOSED);
      }
      return;
    }
    this.held ??= { ...w, end, merged: 0, mergedInferences: 0, quotaErrors: 0 };
    this.held.quotaErrors += 1;
    // Try again on a timer too: with no new window closing, the room the sender frees must be used.
    clearTimeout(this.heldTimer);
    const delay = Math.min(10_000, 1_000 * 2 ** Math.min(4, this.held.quotaErrors - 1));
    this.heldTimer = setTimeout(() => {
      this.writing = this.writing
        .then(async () => {
          if (this.held) await this.close(this.held, this.held.end, true);
        })
        .catch(() => undefined);
    }, delay);
  }

  /**
   * Writes a window; answers false when the browser's storage quota refused it even after the
   * outbox's oldest closed windows were merged to free half its bytes.
   */
  private async put(record: WindowRecord): Promise<boolean> {
    try {
      await putWindow(this.db, record);
      return true;
    } catch (error) {
      if (!isQuotaError(error)) throw error;
    }
    const outbox = new Outbox(this.db, mergeEncodedProfiles, {
      maxBytes: Infinity,
      maxAgeMs: Infinity,
      maxWindowsPerBatch: 100,
    });
    try {
      await outbox.compact({ maxBytes: Math.floor((await outbox.storedBytes()) / 2), reason: 'quota' });
      await putWindow(this.db, record);
      return true;
    } catch (error) {
      if (!isQuotaError(error)) throw error;
      return false;
    }
  }

  /** Whether a closed window waits here for storage quota. */
  get holding(): boolean {
    return this.held !== undefined;
  }

  async dispose(): Promise<void> {
    await this.closeWindow();
    clearTimeout(this.heldTimer);
    const held = this.held;
    if (held) {
      // Still no room as the worker ends: what the held window's checkpoint lacks is lost; say so.
      const kept = (await this.db.get('windows', held.id).catch(() => undefined))?.inferences ?? 0;
      const lost = Math.max(0, held.profile.inferences - kept);
      await addCounters(this.db, {
        quotaErrors: held.quotaErrors,
        droppedWindows: 1,
        droppedInferences: lost,
        droppedForQuota: lost,
      }).catch(() => undefined);
    }
    this.channel?.close();
    this.db.close();
  }
}

function isEmpty(p: Profile): boolean {
  return p.inferences === 0 && p.errors === 0 && Object.keys(p.features).length === 0;
}
