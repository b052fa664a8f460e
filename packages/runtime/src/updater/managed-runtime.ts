import { categoricalFeature, createProfile, encodeProfile, type Manifest } from '@driftline/protocol';
import { DriftlineError, InferenceError } from '../errors.ts';
import { deviceId } from '../identity/device-id.ts';
import { checkOptions, type RuntimeOptions } from '../options.ts';
import { putWindow } from '../outbox/outbox-db.ts';
import { type RunOptions, Runtime } from '../runtime.ts';
import { ShadowRunner } from '../shadow/shadow-runner.ts';
import { copyTensors, type NamedTensors } from '../tensor.ts';
import type { ResolvedOptions } from '../worker/worker-init.ts';
import { hasNaN } from './check-outputs.ts';
import { downloadVersion, sameFiles } from './download.ts';
import { LastKnownGood } from './last-known-good.ts';
import { fetchManifest, type ManifestRequest } from './manifest-client.ts';
import { ManifestFreshness } from './manifest-freshness.ts';
import type { ActivationFailure } from './update-event.ts';
import { workerModel } from './worker-model.ts';

/** Where a runtime started from a model name stands: what it runs and why. */
export interface RolloutState {
  model: string;
  /** The version answering `run` now. */
  version: string;
  /** Why (from the manifest): `app`, `device`, `candidate` or `stable`; absent when started offline. */
  assignment?: string;
  bucket?: number;
  deviceId: string;
  /** Shadow version running beside it, if any. */
  shadow?: string;
  shadowRuns: number;
  shadowSkipped: number;
  /** Versions refused since start (failed download, verification, load or first runs). */
  refused: string[];
  /** Manifest polls made, and those that could not reach the collector. */
  polls: number;
  failedPolls: number;
}

/** A manifest refused for what it is (signature, freshness), not for failing to arrive. */
function isRefusedManifest(error: unknown): boolean {
  const code = (error as DriftlineError).code;
  return code === 'MODEL_INTEGRITY' || code === 'MANIFEST_STALE';
}

function failureOf(error: unknown, fallback: ActivationFailure): ActivationFailure {
  const code = error instanceof DriftlineError ? error.code : (error as { code?: string })?.code;
  if (code === 'MODEL_INTEGRITY') return 'verification';
  if (code === 'MODEL_FETCH') return 'download';
  if (code === 'SCHEMA_MISMATCH' || code === 'INVALID_SCHEMA') return 'schema';
  return fallback;
}

/**
 * A runtime whose model version comes from the collector's manifest: it polls for a new
 * assignment, swaps versions between `run` calls, returns to the last known good version by
 * itself when a new one fails, and runs the shadow version it is assigned.
 */
export class ManagedRuntime extends Runtime {
  private manifest: Manifest;
  private seenEtag: string;
  private probation: number;
  private readonly refused = new Set<string>();
  private readonly shadow: ShadowRunner | undefined;
  private polling: Promise<void> | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private pollCount = 0;
  /** Primary runs sent and not answered yet: a shadow run is skipped while the queue is busy. */
  private inFlight = 0;
  private failedPolls = 0;

  /** @internal use `createRuntime({ model: 'name', … })`. */
  constructor(
    options: ResolvedOptions,
    manifest: Manifest,
    private readonly request: ManifestRequest,
    private readonly lkg: LastKnownGood,
    private readonly probationRuns: number,
  ) {
    super(options);
    this.manifest = manifest;
    this.seenEtag = manifest.etag;
    this.probation = probationRuns;
    this.shadow =
      options.updates?.shadow === false
        ? undefined
        : new ShadowRunner(this.generations, () => this.workerInit(), request.collector);
  }

  /** The version in use, why, the shadow beside it, and what was refused. */
  rollout(): RolloutState {
    return {
      model: this.manifest.model,
      version: this.manifest.version,
      ...(this.manifest.assignment ? { assignment: this.manifest.assignment } : {}),
      ...(this.manifest.bucket !== undefined ? { bucket: this.manifest.bucket } : {}),
      deviceId: this.request.deviceId,
      ...(this.shadow?.active ? { shadow: this.shadow.active } : {}),
      shadowRuns: this.shadow?.counts.runs ?? 0,
      shadowSkipped: this.shadow?.counts.skipped ?? 0,
      refused: [...this.refused],
      polls: this.pollCount,
      failedPolls: this.failedPolls,
    };
  }

  /** @internal starts polling; called once the first version is loaded. */
  follow(intervalMs: number, onVisible: boolean): void {
    if (intervalMs > 0) this.timer = setInterval(() => void this.checkForUpdate(), intervalMs);
    const visible = () => {
      if (document.visibilityState === 'visible') void this.checkForUpdate();
    };
    if (onVisible && typeof document !== 'undefined') document.addEventListener('visibilitychange', visible);
    this.onDispose(() => {
      clearInterval(this.timer);
      if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', visible);
      void this.shadow?.stop();
    });
    void this.shadow?.assign(this.manifest.model, this.manifest.shadow);
  }

  /**
   * Asks the collector for this device's manifest now and, on a new assignment, downloads,
   * verifies and activates it (what the poll does). Resolves when that is done or refused.
   */
  checkForUpdate(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  override async run(inputs: NamedTensors, options: RunOptions = {}): Promise<NamedTensors> {
    const shadowed = this.shadow?.wants(this.inFlight > 0) ?? false;
    this.inFlight++;
    try {
      return await this.runChecked(inputs, options, shadowed);
    } finally {
      this.inFlight--;
    }
  }

  private async runChecked(
    inputs: NamedTensors,
    options: RunOptions,
    shadowed: boolean,
  ): Promise<NamedTensors> {
    const onProbation = this.probation > 0;
    if (!onProbation && !shadowed) return super.run(inputs, options);
    const copy = copyTensors(inputs);
    const manifest = this.manifest;
    let outputs: NamedTensors;
    try {
      outputs = await super.run(inputs, options);
    } catch (error) {
      if (!onProbation || !(error instanceof InferenceError) || manifest !== this.manifest) throw error;
      if (!(await this.fallBack(manifest, 'run', error.message))) throw error;
      return super.run(copy, options);
    }
    if (onProbation && manifest === this.manifest) {
      if (hasNaN(outputs)) {
        if (await this.fallBack(manifest, 'run', `${manifest.version} returned NaN on one of its first runs`))
          return super.run(copy, options);
      } else if (--this.probation === 0) this.lkg.set(manifest);
    }
    if (shadowed) this.shadow?.submit(copy, copyTensors(outputs));
    return outputs;
  }

  override async flush(): Promise<void> {
    await this.shadow?.closeWindow();
    await super.flush();
  }

  /**
   * @internal a manifest was refused (wrong signature, replayed or expired): the version in use
   * keeps running; the app hears of it and so does the collector.
   */
  async refusedManifest(error: unknown): Promise<void> {
    const reason: ActivationFailure =
      (error as DriftlineError).code === 'MANIFEST_STALE' ? 'stale' : 'signature';
    const message = error instanceof Error ? error.message : String(error);
    this.emit('update', { type: 'failed', version: '?', reason, message, running: this.version });
    await this.report(this.manifest.version, reason);
  }

  /** @internal the assigned version failed at start; the last known good `good` runs instead. */
  startedOn(good: Manifest, failed: string, reason: ActivationFailure, error: unknown): void {
    this.manifest = good;
    this.probation = 0;
    void this.refuse(failed, reason, error);
  }

  private async pollOnce(): Promise<void> {
    this.pollCount++;
    let next: Manifest;
    try {
      next = await fetchManifest(this.request);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (isRefusedManifest(error)) {
        await this.refusedManifest(error);
      } else {
        this.failedPolls++;
        this.emit('update', { type: 'offline', running: this.version, message });
      }
      return;
    }
    if (next.etag === this.seenEtag) return;
    this.seenEtag = next.etag;
    void this.shadow?.assign(next.model, next.shadow);
    if (sameFiles(next, this.manifest)) {
      this.manifest = next;
      return;
    }
    await this.activate(next);
  }

  private get version(): string {
    return this.manifest.version;
  }

  private async activate(next: Manifest): Promise<void> {
    const from = this.version;
    const assignment = next.assignment ? { assignment: next.assignment } : {};
    this.emit('update', { type: 'available', from, to: next.version, ...assignment });
    try {
      await downloadVersion(this.request.collector, next, (p) =>
        this.emit('update', { type: 'progress', ...p }),
      );
      await this.swapModel(workerModel(this.request.collector, next));
    } catch (error) {
      await this.refuse(next.version, failureOf(error, 'load'), error);
      return;
    }
    this.manifest = next;
    this.probation = this.probationRuns;
    this.emit('update', { type: 'activated', from, to: next.version, ...assignment });
  }

  /** A new version failed on its first runs: back to the last known good one, if there is one. */
  private async fallBack(failed: Manifest, reason: ActivationFailure, message: string): Promise<boolean> {
    const good = this.lkg.get();
    if (!good || sameFiles(good, failed)) return false;
    try {
      await this.swapModel(workerModel(this.request.collector, good));
    } catch {
      return false;
    }
    this.manifest = good;
    this.probation = 0;
    await this.refuse(failed.version, reason, new Error(message));
    return true;
  }

  private async refuse(version: string, reason: ActivationFailure, error: unknown): Promise<void> {
    this.refused.add(version);
    const message = error instanceof Error ? error.message : String(error);
    this.emit('update', { type: 'failed', version, reason, message, running: this.version });
    await this.report(version, reason);
  }

  /** Tells the collector: a closed window of `version` with one error and `activation.failure`. */
  private async report(version: string, reason: ActivationFailure): Promise<void> {
    const telemetry = await this.telemetryReady();
    if (!telemetry) return;
    const profile = createProfile();
    profile.errors = 1;
    categoricalFeature(profile, 'activation.failure').add(reason);
    const info = this.info();
    const now = Date.now();
    try {
      await putWindow(telemetry.outbox.db, {
        id: crypto.randomUUID(),
        ownerId: crypto.randomUUID(),
        state: 'closed',
        model: this.manifest.model,
        version,
        role: 'primary',
        backend: info.backend,
        segment: info.segment,
        start: now,
        end: now,
        inferences: 0,
        profile: encodeProfile(profile),
      });
      await telemetry.send();
    } catch {
      // Reporting is best effort; the runtime keeps running the good version.
    }
  }
}

async function safeDeviceId(): Promise<string> {
  try {
    return await deviceId();
  } catch {
    return crypto.randomUUID();
  }
}

/**
 * `createRuntime` for a model given by name: resolves the version through the manifest (or, with
 * the collector unreachable, the version this device last ran), loads it, and follows updates.
 */
export async function createManagedRuntime(options: RuntimeOptions): Promise<Runtime> {
  checkOptions(options);
  const model = options.model as string;
  const collector = options.collector as string;
  const request: ManifestRequest = {
    collector,
    appKey: options.appKey as string,
    model,
    deviceId: await safeDeviceId(),
    ...(options.pin ? { pin: options.pin } : {}),
    ...(options.publicKey ? { publicKey: options.publicKey } : {}),
    freshness: new ManifestFreshness(collector, model),
  };
  const lkg = new LastKnownGood(collector, model);
  let manifest: Manifest;
  let staleError: unknown;
  try {
    manifest = await fetchManifest(request);
  } catch (error) {
    const cached = lkg.get();
    const code = (error as DriftlineError).code;
    if (!cached || code === 'MODEL_INTEGRITY') throw error;
    // Offline, or a replayed / expired manifest: start on the version this device last ran.
    if (code === 'MANIFEST_STALE') staleError = error;
    manifest = cached;
  }
  const probation = Math.max(0, options.updates?.probationRuns ?? 3);
  const resolved: ResolvedOptions = { ...options, model: modelOptions(collector, manifest) };
  // Downloaded and verified on the page first (with progress) into the model cache the worker reads.
  let downloadError: unknown;
  if (options.cache !== false) {
    const progress = (p: { version: string; loaded: number; total: number }) => {
      try {
        options.onProgress?.(p);
      } catch {
        // A listener's own error must not stop the download.
      }
    };
    await downloadVersion(collector, manifest, progress).catch((error: unknown) => {
      downloadError = error;
    });
  }
  const runtime = new ManagedRuntime(resolved, manifest, request, lkg, probation);
  try {
    if (downloadError) throw downloadError;
    // Started as a swap: the worker gets the version's files, which options.model cannot carry.
    await runtime.swapModel(workerModel(collector, manifest));
  } catch (error) {
    const good = lkg.get();
    if (!good || sameFiles(good, manifest)) {
      await runtime.dispose();
      throw error;
    }
    try {
      await runtime.swapModel(workerModel(collector, good));
    } catch {
      await runtime.dispose();
      throw error;
    }
    runtime.startedOn(good, manifest.version, failureOf(error, 'load'), error);
  }
  // After createRuntime resolved, so that listeners the app adds right away hear of it.
  if (staleError) setTimeout(() => void runtime.refusedManifest(staleError), 0);
  runtime.follow(options.updates?.intervalMs ?? 60_000, options.updates?.onVisible ?? true);
  return runtime;
}

function modelOptions(collector: string, manifest: Manifest): ResolvedOptions['model'] {
  const m = workerModel(collector, manifest);
  return {
    url: m.url,
    format: m.format,
    name: m.name,
    version: m.version as string,
    ...(m.sha256 ? { sha256: m.sha256 } : {}),
  };
}
