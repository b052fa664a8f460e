/// <reference lib="es2024.sharedmemory" />
import { serializeError } from '../errors.ts';
import type { NamedTensors } from '../tensor.ts';
import type { Result, RunMeta, RunResponse } from './messages.ts';
import { ANSWER, QUEUED, REQUEST, readRequest, writeAnswer, writePortAnswer } from './shared-run-buffer.ts';

/** A run's answer and the buffers to transfer if it has to go over the port. */
export interface Answer {
  result: Result<NamedTensors>;
  transfer: ArrayBuffer[];
}

/** What the shared-memory server needs from the worker runtime. */
export interface SharedRunHandler {
  /** Runs one call (through the runtime's queue). */
  run(inputs: NamedTensors, meta: RunMeta): Promise<Answer>;
  /**
   * Does deferred work (telemetry summaries) while `waiting()` is false: a run that arrives goes
   * first, and the rest of the work waits for the next idle moment.
   */
  idle(waiting: () => boolean): void;
}

/**
 * The worker side of the shared-memory data plane: waits for a request with `Atomics.waitAsync`
 * (so the worker's event loop keeps serving comlink control calls, IndexedDB and timers), reads
 * it, runs it, writes the answer and wakes the page. An answer too big for the buffer goes over
 * `port` instead. Runs until the worker is terminated.
 */
export async function serveShared(
  buffer: SharedArrayBuffer,
  port: MessagePort,
  handler: SharedRunHandler,
): Promise<void> {
  const control = new Int32Array(buffer, 0, 8);
  let seen = 0;
  const requested = () => Atomics.load(control, REQUEST) !== seen;
  // A call is waiting: in the buffer, or queued on the page behind the one just answered.
  const waiting = () => requested() || Atomics.load(control, QUEUED) > 0;
  for (;;) {
    if (!requested()) {
      handler.idle(waiting);
      const wait = Atomics.waitAsync(control, REQUEST, seen);
      if (wait.async) await wait.value;
      continue;
    }
    seen = Atomics.load(control, REQUEST);
    let answer: Answer;
    let id = -1;
    try {
      const request = readRequest(buffer);
      id = request.id;
      answer = await handler.run(request.inputs, request.meta);
    } catch (error) {
      answer = { result: { ok: false, error: serializeError(error) }, transfer: [] };
    }
    if (!tryWrite(buffer, answer.result)) {
      port.postMessage({ id, result: answer.result } satisfies RunResponse, answer.transfer);
      writePortAnswer(buffer);
    }
    Atomics.store(control, ANSWER, seen);
    Atomics.notify(control, ANSWER);
  }
}

function tryWrite(buffer: SharedArrayBuffer, result: Result<NamedTensors>): boolean {
  try {
    return writeAnswer(buffer, result);
  } catch {
    return false;
  }
}
