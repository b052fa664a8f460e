/// <reference lib="es2024.sharedmemory" />
import { serializeError } from '../errors.ts';
import { copyTensors, type NamedTensors, type TensorData } from '../tensor.ts';
import type { Result, RunMeta } from './messages.ts';
import {
  ANSWER,
  fits,
  type Packed,
  packRequest,
  QUEUED,
  REQUEST,
  readAnswer,
  SHARED_RUN_BYTES,
  write,
} from './shared-run-buffer.ts';

/** Whether this page can use the shared-memory data plane: cross-origin isolated, with `Atomics.waitAsync`. */
export function sharedMemoryAvailable(): boolean {
  return (
    globalThis.crossOriginIsolated === true &&
    typeof SharedArrayBuffer === 'function' &&
    typeof Atomics.waitAsync === 'function'
  );
}

/** Makes the buffer a worker is given at init. */
export function createSharedRunBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(SHARED_RUN_BYTES);
}

/** How the owner of a {@link SharedRunClient} uses the MessagePort for calls that do not fit. */
export interface PortPath {
  /** Posts the call over the port (it is copied there, never transferred). */
  post(id: number, inputs: NamedTensors, meta: RunMeta): void;
  /** Resolves once the answer to call `id` has arrived over the port (or the worker is gone). */
  answered(id: number): Promise<void>;
  /** Receives an answer read from shared memory. */
  settle(id: number, answer: Result<NamedTensors>): void;
}

/** A call waiting its turn: packed for shared memory, or (too big) for the port. */
type Call = { id: number; packed: Packed } | { id: number; inputs: NamedTensors; meta: RunMeta };

/**
 * The page side of the shared-memory data plane: writes a request into the buffer, wakes the
 * worker with `Atomics.notify`, and awaits the answer with `Atomics.waitAsync` (never a blocking
 * wait on the page). One call is in flight at a time and the others wait here, so that calls run
 * and are answered in the order they were made, also when one of them (too big for the buffer, or
 * with outputs too big) goes over the port.
 */
export class SharedRunClient {
  private readonly control: Int32Array;
  private readonly waiting: Call[] = [];
  private busy = false;
  private closed = false;
  private seq = 0;

  constructor(
    private readonly buffer: SharedArrayBuffer,
    private readonly port: PortPath,
  ) {
    this.control = new Int32Array(buffer, 0, 8);
  }

  /**
   * Sends a call: through shared memory when it fits, else over the port in its turn. Inputs are
   * copied, never transferred, and at once, so the caller may reuse its arrays as soon as this
   * returns.
   */
  send(id: number, inputs: NamedTensors, meta: RunMeta): void {
    if (this.closed) return;
    const packed = packRequest(id, inputs, meta);
    const fitting = packed && fits(this.buffer, packed) ? packed : undefined;
    if (!this.busy) {
      void this.dispatch(fitting ? { id, packed: fitting } : { id, inputs, meta });
      return;
    }
    this.waiting.push(
      fitting ? { id, packed: copyPacked(fitting) } : { id, inputs: copyTensors(inputs), meta },
    );
    Atomics.store(this.control, QUEUED, this.waiting.length);
  }

  private async dispatch(first: Call): Promise<void> {
    this.busy = true;
    for (let call = first as Call | undefined; call && !this.closed; call = this.waiting.shift()) {
      // The worker's deferred work (summaries) yields while calls are queued here.
      Atomics.store(this.control, QUEUED, this.waiting.length);
      if (!('packed' in call)) {
        this.port.post(call.id, call.inputs, call.meta);
        await this.port.answered(call.id);
        continue;
      }
      write(this.buffer, call.packed);
      const seq = ++this.seq;
      Atomics.store(this.control, REQUEST, seq);
      Atomics.notify(this.control, REQUEST);
      const wait = Atomics.waitAsync(this.control, ANSWER, seq - 1);
      if (wait.async) await wait.value;
      if (this.closed) return;
      const answer = this.read();
      if (answer === 'port') await this.port.answered(call.id);
      else this.port.settle(call.id, answer);
    }
    this.busy = false;
  }

  private read(): Result<NamedTensors> | 'port' {
    try {
      return readAnswer(this.buffer);
    } catch (error) {
      return { ok: false, error: serializeError(error) };
    }
  }

  /** Stops: queued calls are dropped (their owner rejects them) and a pending wait is woken. */
  close(): void {
    this.closed = true;
    this.waiting.length = 0;
    Atomics.store(this.control, ANSWER, -1);
    Atomics.notify(this.control, ANSWER);
  }
}

function copyPacked(packed: Packed): Packed {
  return { ...packed, tensors: packed.tensors.map((t) => ({ ...t, data: t.data.slice() as TensorData })) };
}
