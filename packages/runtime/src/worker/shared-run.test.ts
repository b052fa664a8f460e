import { afterEach, describe, expect, it } from 'vitest';
import { InvalidTensorError, serializeError } from '../errors.ts';
import type { NamedTensors } from '../tensor.ts';
import type { Result, RunMeta, RunRequest, RunResponse } from './messages.ts';
import { SHARED_RUN_BYTES } from './shared-run-buffer.ts';
import { SharedRunClient } from './shared-run-client.ts';
import { type Answer, serveShared } from './shared-run-server.ts';

// Page side and worker side of the shared-memory data plane in one thread: both only ever wait
// with Atomics.waitAsync, so they can take turns on one event loop.

const channels: MessageChannel[] = [];
afterEach(() => {
  for (const c of channels.splice(0)) {
    c.port1.close();
    c.port2.close();
  }
});

/**
 * A worker side that doubles each input (or fails on demand), serving shared memory and the port
 * like WorkerRuntime, and the page side talking to it.
 */
function pair() {
  const buffer = new SharedArrayBuffer(SHARED_RUN_BYTES);
  const channel = new MessageChannel();
  channels.push(channel);
  const idle: number[] = [];
  const order: number[] = [];
  let runs = 0;
  const handler = {
    async run(inputs: NamedTensors, _meta: RunMeta): Promise<Answer> {
      order.push((inputs.x!.data as Float32Array)[0]!);
      runs++;
      await Promise.resolve();
      const x = inputs.x!;
      if (x.dims.length !== 1) {
        return {
          result: { ok: false, error: serializeError(new InvalidTensorError('x must be 1-D')) },
          transfer: [],
        };
      }
      const data = Float32Array.from(x.data as Float32Array, (v) => v * 2);
      const y = { data, dims: x.dims, type: 'float32' as const };
      // Big inputs get two outputs as big, so that the answer outgrows the buffer.
      const value: NamedTensors = data.length > 100_000 ? { y, z: { ...y, data: data.slice() } } : { y };
      return { result: { ok: true, value }, transfer: [] };
    },
    idle: (waiting: () => boolean) => {
      if (!waiting()) idle.push(runs);
    },
  };
  void serveShared(buffer, channel.port2, handler);
  channel.port2.onmessage = async (e: MessageEvent<RunRequest>) => {
    const { result } = await handler.run(e.data.inputs, e.data.meta);
    channel.port2.postMessage({ id: e.data.id, result } satisfies RunResponse);
  };
  const answers = new Map<number, (r: Result<NamedTensors>) => void>();
  const waiters = new Map<number, () => void>();
  const settle = (id: number, result: Result<NamedTensors>) => {
    answers.get(id)?.(result);
    answers.delete(id);
    waiters.get(id)?.();
  };
  const posted: number[] = [];
  channel.port1.onmessage = (e: MessageEvent<RunResponse>) => settle(e.data.id, e.data.result);
  const client = new SharedRunClient(buffer, {
    post: (id, inputs, meta) => {
      posted.push(id);
      channel.port1.postMessage({ id, inputs, meta } satisfies RunRequest);
    },
    answered: (id) => (answers.has(id) ? new Promise<void>((r) => waiters.set(id, r)) : Promise.resolve()),
    settle,
  });
  let nextId = 0;
  const run = (data: Float32Array, dims = [data.length]) => {
    const id = nextId++;
    return new Promise<Result<NamedTensors>>((resolve) => {
      answers.set(id, resolve);
      client.send(id, { x: { data, dims } }, {});
    });
  };
  return { client, run, posted, order, idle };
}

const values = (r: Result<NamedTensors>) =>
  r.ok ? Array.from(r.value.y!.data as Float32Array) : r.error.code;

describe('shared-memory run channel', () => {
  it('answers concurrent calls in order, each with its own outputs, without touching the inputs', async () => {
    const { run, posted } = pair();
    const inputs = Array.from({ length: 20 }, (_, i) => new Float32Array([i, -i, i / 2]));
    const results = await Promise.all(inputs.map((x) => run(x)));
    expect(results.map(values)).toEqual(inputs.map((x) => Array.from(x, (v) => v * 2)));
    expect(posted).toEqual([]);
    expect(inputs[3]!.length).toBe(3);
  });

  it('copies queued inputs at once, so the caller may reuse its array', async () => {
    const { run } = pair();
    const reused = new Float32Array([1, 2]);
    const first = run(reused);
    const second = run(reused); // queued behind the first
    reused[0] = 100;
    expect((await Promise.all([first, second])).map(values)).toEqual([
      [2, 4],
      [2, 4],
    ]);
  });

  it('sends typed errors back and keeps serving', async () => {
    const { run } = pair();
    expect(values(await run(new Float32Array(4), [2, 2]))).toBe('INVALID_TENSOR');
    expect(values(await run(new Float32Array([3])))).toEqual([6]);
  });

  it('sends a call too big for the buffer over the port in its turn, copied at once', async () => {
    const { run, posted, order } = pair();
    const big = new Float32Array(SHARED_RUN_BYTES / 4).fill(5);
    const calls = [run(new Float32Array([1])), run(big), run(new Float32Array([3]))];
    big[0] = 7; // after the call was made: the worker must still see 5
    const results = await Promise.all([...calls, run(new Float32Array([4]))]);
    expect(posted).toEqual([1]);
    expect(order).toEqual([1, 5, 3, 4]);
    expect(results.map((r) => (r.ok ? r.value.y!.data[0] : r.error.code))).toEqual([2, 10, 6, 8]);
  });

  it('takes an answer too big for the buffer from the port, and keeps the order', async () => {
    const { run, posted, order } = pair();
    // 600 KB in fits; 1.2 MB out does not, so the worker posts the answer on the port.
    const calls = [run(new Float32Array(150_000).fill(1)), run(new Float32Array([4]))];
    const [big, small] = await Promise.all(calls);
    expect(posted).toEqual([]);
    expect(order).toEqual([1, 4]);
    expect(big?.ok && [big.value.y!.data.length, big.value.z!.data[0]]).toEqual([150_000, 2]);
    expect(values(small!)).toEqual([8]);
  });

  it('does deferred work only while no call waits', async () => {
    const { run, idle } = pair();
    await Promise.all([run(new Float32Array(1)), run(new Float32Array(1)), run(new Float32Array(1))]);
    await run(new Float32Array(1));
    // Free turns came before the first run and after the queued three, never between them.
    expect(idle.filter((n) => n === 1 || n === 2)).toEqual([]);
    expect(idle).toContain(3);
  });

  it('stops on close: queued calls are dropped and later sends ignored', async () => {
    const { client, run, order } = pair();
    const pending = run(new Float32Array([1]));
    client.close();
    client.send(1, { x: { data: new Float32Array([2]), dims: [1] } }, {});
    const settled = await Promise.race([
      pending.then(() => 'settled'),
      new Promise((r) => setTimeout(r, 50, 'open')),
    ]);
    expect(settled).toBe('open');
    expect(order).not.toContain(2);
  });
});
