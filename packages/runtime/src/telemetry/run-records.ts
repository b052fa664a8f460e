import type { FeaturesFn } from '../options.ts';
import type { NamedTensors } from '../tensor.ts';
import type { RunRecord } from '../worker/messages.ts';
import type { WorkerClient } from '../worker/worker-client.ts';

/**
 * What the page knows of each run and the worker does not: its total latency as the page saw it
 * and the app's own features. Kept here briefly and handed to the worker in batches (with the next
 * run, on a short timer, or before a window closes), so they reach the window of the run.
 */
export class RunRecords {
  private records: RunRecord[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** @param current the worker records go to when none is named: the runtime's current one. */
  constructor(private readonly current: () => WorkerClient | undefined) {}

  /** Records a finished run; app features are computed after the caller got its outputs. */
  add(totalMs: number, features: FeaturesFn | undefined, inputs: NamedTensors, outputs: NamedTensors): void {
    if (features) setTimeout(() => this.push({ totalMs, ...safeFeatures(features, inputs, outputs) }), 0);
    else this.push({ totalMs });
  }

  /** Takes the records collected so far, e.g. to send them along with the next call. */
  take(): RunRecord[] {
    const records = this.records;
    this.records = [];
    return records;
  }

  /** Returns records taken for a worker that died before it got them: they go with the next delivery. */
  putBack(records: RunRecord[]): void {
    if (records.length) this.records.unshift(...records);
  }

  /** Sends the records collected so far to `client` now; they wait for the next one while none is alive. */
  async flush(client: WorkerClient | undefined = this.current()): Promise<void> {
    if (!client?.alive) return;
    const records = this.take();
    if (records.length) await client.call(client.api.record(records));
  }

  private push(record: RunRecord): void {
    this.records.push(record);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush().catch(() => undefined);
    }, 50);
  }
}

/** The app's features of one run; a throwing `features` function costs that run its features only. */
function safeFeatures(
  fn: FeaturesFn,
  inputs: NamedTensors,
  outputs: NamedTensors,
): { features?: Record<string, number | string> } {
  try {
    return { features: fn(inputs, outputs) };
  } catch {
    return {};
  }
}
