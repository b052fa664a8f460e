import type { Manifest } from '@driftline/protocol';
import { type NamedTensors, transferables } from '../tensor.ts';
import { downloadVersion } from '../updater/download.ts';
import { workerModel } from '../updater/worker-model.ts';
import type { Generation, GenerationFactory } from '../worker/generation.ts';
import type { TelemetryInit, WorkerInit } from '../worker/messages.ts';
import { agreement } from './agreement.ts';

type ShadowAssignment = NonNullable<Manifest['shadow']>;

/**
 * Runs a shadow version in its own worker on a sampled share of inputs, after the primary result
 * went back to the page, at most one run at a time (a busy shadow skips). Its windows carry
 * `role: 'shadow'` and its version, with `shadow.top1_agree` and `shadow.mean_abs_diff` per run.
 * Its outputs never reach the page.
 */
export class ShadowRunner {
  private generation: Generation | undefined;
  private version: string | undefined;
  private percent = 0;
  private busy = false;
  private loading: Promise<void> = Promise.resolve();

  constructor(
    private readonly generations: GenerationFactory,
    /** The primary's current worker settings: a shadow starts with the same backends and threads. */
    private readonly workerInit: () => WorkerInit,
    private readonly collector: string,
    private readonly random: () => number = Math.random,
  ) {}

  /** Shadow runs made and skipped (busy), for tests and `rollout()`. */
  readonly counts = { runs: 0, skipped: 0, failed: 0 };

  /** The shadow version in use, if any. */
  get active(): string | undefined {
    return this.generation?.client.alive ? this.version : undefined;
  }

  /** Follows the manifest's shadow assignment (undefined: no shadow). Never throws. */
  assign(model: string, shadow: ShadowAssignment | undefined): Promise<void> {
    this.loading = this.loading.then(() => this.load(model, shadow)).catch(() => undefined);
    return this.loading;
  }

  private async load(model: string, shadow: ShadowAssignment | undefined): Promise<void> {
    if (shadow && shadow.version === this.version && this.generation?.client.alive) {
      this.percent = shadow.percent;
      return;
    }
    await this.stop();
    if (!shadow) return;
    const format = shadow.format ?? 'onnx';
    const manifest = {
      model,
      version: shadow.version,
      format,
      files: shadow.files,
      ...(shadow.schema ? { schema: shadow.schema } : {}),
    };
    // Every file it needs (a TF.js version's model.json and shards), each verified, into the
    // model cache; the worker then loads them by path exactly as it loads a primary version.
    await downloadVersion(this.collector, manifest, () => undefined);
    this.generation = await this.generations.build({
      ...this.workerInit(),
      model: workerModel(this.collector, manifest),
      telemetry: { role: 'shadow' } as TelemetryInit,
    });
    this.version = shadow.version;
    this.percent = shadow.percent;
  }

  /**
   * Whether this input is sampled for the shadow; a sampled input is skipped (and counted) when a
   * shadow run is still in flight or the primary's queue is busy.
   */
  wants(queueBusy = false): boolean {
    if (!this.generation?.client.alive || this.percent <= 0) return false;
    if (this.random() * 100 >= this.percent) return false;
    if (this.busy || queueBusy) {
      this.counts.skipped++;
      return false;
    }
    return true;
  }

  /** Runs `inputs` (owned by the shadow now) in the shadow after the current task; never throws. */
  submit(inputs: NamedTensors, primary: NamedTensors): void {
    const generation = this.generation;
    if (!generation || this.busy) return;
    this.busy = true;
    setTimeout(async () => {
      const { client } = generation;
      try {
        const started = performance.now();
        const outputs = await client.run(inputs, {}, transferables(inputs));
        const totalMs = performance.now() - started;
        const a = agreement(primary, outputs);
        const features: Record<string, number> = a
          ? { 'shadow.top1_agree': a.top1Agree, 'shadow.mean_abs_diff': a.meanAbsDiff }
          : {};
        await client.call(client.api.record([{ totalMs, features }]));
        this.counts.runs++;
      } catch {
        this.counts.failed++;
      } finally {
        this.busy = false;
      }
    }, 0);
  }

  /** Closes the shadow's window so it is sent with the next batch. */
  async closeWindow(): Promise<void> {
    await this.loading;
    const client = this.generation?.client;
    if (client?.alive) await client.call(client.api.closeWindow()).catch(() => undefined);
  }

  /** Ends the shadow worker. */
  async stop(): Promise<void> {
    const generation = this.generation;
    this.generation = undefined;
    this.version = undefined;
    this.percent = 0;
    if (generation) await this.generations.retire(generation);
  }
}
