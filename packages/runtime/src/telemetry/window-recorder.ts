import {
  categoricalFeature,
  createProfile,
  encodeProfile,
  latencySketch,
  numericFeature,
  type Profile,
} from '@driftline/protocol';
import { UnknownRunError } from '../errors.ts';
import { type OutboxDb, openOutboxDb, putWindow, type WindowRecord } from '../outbox/outbox-db.ts';
import type { NamedTensors } from '../tensor.ts';
import type { Feedback, RunRecord, TelemetryInit, WorkerInfo } from '../worker/messages.ts';
import type { RunObserver } from '../worker/worker-runtime.ts';
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
    const predicted = summarizeRun(profile, inputs, outputs);
    if (id !== undefined) this.recent.add(id, predicted === undefined ? {} : { predicted });
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
      const label = String(feedback.label);
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
    const record: WindowRecord = {
      id: w.id,
      ownerId: this.settings.ownerId,
      state,
      model: this.info.model.name,
      version: this.info.model.version,
      role: this.settings.role ?? 'primary',
      backend: this.info.backend,
      segment: this.info.segment,
      start: w.start,
      end: Math.max(w.start, Date.now()),
      inferences: w.profile.inferences,
      profile: encodeProfile(w.profile),
    };
    this.writing = this.writing.then(() => putWindow(this.db, record)).catch(() => undefined);
    return this.writing;
  }

  async dispose(): Promise<void> {
    await this.closeWindow();
    this.channel?.close();
    this.db.close();
  }
}

function isEmpty(p: Profile): boolean {
  return p.inferences === 0 && p.errors === 0 && Object.keys(p.features).length === 0;
}
