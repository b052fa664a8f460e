import { type ModelSchema, parseModelSchema } from '@driftline/protocol';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { UnknownRunError } from '../errors.ts';
import type { NamedTensors } from '../tensor.ts';
import type { Feedback, Result, RunRecord, WorkerInfo, WorkerInit } from './messages.ts';
import type { RunObserver } from './worker-runtime.ts';
import { WorkerRuntime } from './worker-runtime.ts';

// The worker side of a version swap, on the real digit TF.js exports (TF.js's plain-JS backend in
// Node). Only the network is faked: model files are served from demo/public by URL.
const fsModule = 'node:fs';
const { readFileSync } = (await import(/* @vite-ignore */ fsModule)) as {
  readFileSync(path: URL): Uint8Array;
};
const models = new URL('../../../../demo/public/models/digits/', import.meta.url);

beforeAll(() => {
  vi.stubGlobal('fetch', async (url: string) => {
    const path = new URL(url).pathname.slice(1);
    if (path.startsWith('broken/')) return new Response('{"not": "a model"}');
    return new Response(readFileSync(new URL(path, models)).slice());
  });
});
afterAll(() => {
  vi.unstubAllGlobals();
});

const model = (version: string): WorkerInit['model'] => ({
  url: `http://models/${version}/tfjs/model.json`,
  format: 'tfjs',
  name: 'digits',
  version,
  inputNames: ['input'],
  outputNames: ['probs'],
});

/** What the telemetry of one version saw. */
interface Seen {
  version: string;
  runs: number;
  records: number;
  closed: boolean;
  feedback: string[];
}

function start(first = model('1.0.0')): { worker: WorkerRuntime; seen: Seen[]; init: Promise<WorkerInfo> } {
  const seen: Seen[] = [];
  const worker = new WorkerRuntime(async (_init, info): Promise<RunObserver> => {
    const s: Seen = { version: info.model.version, runs: 0, records: 0, closed: false, feedback: [] };
    seen.push(s);
    const ids = new Set<string>();
    return {
      onRun(_inputs, _outputs, _ms, id) {
        s.runs++;
        if (id !== undefined) ids.add(id);
      },
      onError: () => undefined,
      onRecords(records: RunRecord[]) {
        s.records += records.length;
      },
      feedback(id: string, _f: Feedback) {
        // Like the window recorder: known ids once, anything else is UNKNOWN_RUN.
        if (!ids.delete(id)) throw new UnknownRunError(`no run ${id}`);
        s.feedback.push(id);
      },
      closeWindow: async () => {
        s.closed = true;
      },
      checkpoint: async () => undefined,
      async dispose() {
        s.closed = true;
      },
    };
  });
  const init = worker
    .init({
      model: first,
      backends: ['cpu'],
      wasmPaths: {},
      cache: false,
      segmentHint: { browser: 'node', os: 'linux' },
      telemetry: {
        ownerId: 'o',
        outbox: 'x',
        windowSeconds: 60,
        maxInferences: 5000,
        maxTrackedRuns: 10,
        checkpointMs: 200,
      },
    })
    .then(value);
  return { worker, seen, init };
}

function value<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}

const digit = (): NamedTensors => ({ input: { data: new Float32Array(784).fill(0.5), dims: [1, 784] } });
const probs = async (answer: Promise<Result<NamedTensors>>) => [
  ...(value(await answer).probs!.data as Float32Array),
];

describe('WorkerRuntime version swap', () => {
  it('prepares beside the current session and switches after the runs queued before activate', async () => {
    const { worker, seen, init } = start();
    expect((await init).model.version).toBe('1.0.0');
    const old = await probs(worker.run(digit(), {}));
    const before = [worker.run(digit(), {}), worker.run(digit(), {})];
    const prepared = worker.prepare(model('1.1.0'));
    const during = [worker.run(digit(), {}), worker.run(digit(), {})];
    expect(value(await prepared).model.version).toBe('1.1.0');
    const queued = worker.run(digit(), {});
    const activated = worker.activate([{ totalMs: 1 }, { totalMs: 2 }]);
    const after = worker.run(digit(), {});
    expect(value(await activated).model.version).toBe('1.1.0');

    // Everything sent before activate ran on 1.0.0, what came after on 1.1.0.
    for (const answer of [...before, ...during, queued]) expect(await probs(answer)).toEqual(old);
    const next = await probs(after);
    expect(next).not.toEqual(old);
    await worker.checkpoint();
    expect(seen).toEqual([
      { version: '1.0.0', runs: 6, records: 2, closed: true, feedback: [] },
      { version: '1.1.0', runs: 1, records: 0, closed: false, feedback: [] },
    ]);
    await worker.dispose();
    expect(seen.map((s) => s.closed)).toEqual([true, true]);
  });

  it('feedback for a run answered before a swap reaches the version that answered it', async () => {
    const { worker, seen, init } = start();
    await init;
    await probs(worker.run(digit(), { id: 'old-run' }));
    value(await worker.prepare(model('1.1.0')));
    value(await worker.activate());
    await probs(worker.run(digit(), { id: 'new-run' }));
    value(await worker.feedback('old-run', { label: 3 }));
    value(await worker.feedback('new-run', { label: 3 }));
    const again = await worker.feedback('old-run', { label: 3 });
    expect(!again.ok && again.error.code).toBe('UNKNOWN_RUN');
    const unknown = await worker.feedback('never', { accepted: true });
    expect(!unknown.ok && unknown.error.code).toBe('UNKNOWN_RUN');
    expect(seen.map((s) => [s.version, s.feedback])).toEqual([
      ['1.0.0', ['old-run']],
      ['1.1.0', ['new-run']],
    ]);
    await worker.dispose();
  });

  it('a version that cannot load leaves the current one serving, untouched', async () => {
    const { worker, seen, init } = start();
    await init;
    const old = await probs(worker.run(digit(), {}));
    const failed = await worker.prepare({ ...model('9.9.9'), url: 'http://models/broken/model.json' });
    expect(!failed.ok && failed.error.code).toBe('MODEL_LOAD');
    expect(await probs(worker.run(digit(), {}))).toEqual(old);
    const nothing = await worker.activate();
    expect(!nothing.ok && nothing.error.code).toBe('INVALID_OPTIONS');
    expect(await probs(worker.run(digit(), {}))).toEqual(old);
    await worker.checkpoint();
    expect(seen).toEqual([{ version: '1.0.0', runs: 3, records: 0, closed: false, feedback: [] }]);
    await worker.dispose();
  });
});

/** A schema for the digit model: its 784 pixels as columns, and the 10 digits (or `labels`). */
const digitSchema = (pixels = 784, labels = Array.from({ length: 10 }, (_, k) => `digit-${k}`)) =>
  parseModelSchema({
    inputs: {
      input: { kind: 'columns', columns: Array.from({ length: pixels }, (_, k) => ({ name: `p${k}` })) },
    },
    outputs: { probs: { kind: 'classes', labels } },
  });

describe('WorkerRuntime schema check', () => {
  it('starts a version whose schema fits its tensors, and says so in info', async () => {
    const { worker, seen, init } = start({ ...model('1.0.0'), schema: digitSchema() });
    const info = await init;
    expect(info.schema?.outputs.probs?.labels?.[3]).toBe('digit-3');
    expect(await probs(worker.run(digit(), {}))).toHaveLength(10);
    expect(seen).toHaveLength(1);
    await worker.dispose();
  });

  it.each([
    ['a column too few', digitSchema(783), /names 783 columns but the tensor's last dim is 784/],
    ['a label too few', digitSchema(784, ['a', 'b']), /has 2 labels but 10 classes/],
    [
      'an unknown tensor',
      parseModelSchema({ inputs: { pixels: { kind: 'embedding' } } }),
      /"pixels" is not a tensor of the model \(tensors: input, probs\)/,
    ],
  ])('refuses a schema with %s before any run, with SCHEMA_MISMATCH', async (_, schema, message) => {
    const { worker, seen, init } = start({ ...model('1.0.0'), schema });
    await expect(init).rejects.toThrow(message);
    await expect(init).rejects.toThrow(/^SCHEMA_MISMATCH/);
    // No telemetry was started for it, so no run of it was ever recorded.
    expect(seen).toEqual([]);
    const run = await worker.run(digit(), {});
    expect(!run.ok && run.error.code).toBe('MODEL_LOAD');
    await worker.dispose();
  });

  it('an update whose schema does not fit is refused like a failed load, and the current version keeps serving', async () => {
    const { worker, seen, init } = start();
    await init;
    const old = await probs(worker.run(digit(), {}));
    const failed = await worker.prepare({ ...model('1.1.0'), schema: digitSchema(30) });
    expect(!failed.ok && failed.error).toMatchObject({
      code: 'SCHEMA_MISMATCH',
      name: 'SchemaMismatchError',
    });
    expect(await probs(worker.run(digit(), {}))).toEqual(old);
    const nothing = await worker.activate();
    expect(!nothing.ok && nothing.error.code).toBe('INVALID_OPTIONS');
    expect(seen.map((s) => s.version)).toEqual(['1.0.0']);
    await worker.dispose();
  });

  it('refuses a schema that is not one (e.g. from a manifest) with INVALID_SCHEMA before loading', async () => {
    const bad = { inputs: { input: { kind: 'columns', columns: [] } } } as unknown as ModelSchema;
    const { worker, init } = start({ ...model('1.0.0'), schema: bad });
    await expect(init).rejects.toThrow(/^INVALID_SCHEMA: Model schema does not match its shape/);
    await worker.dispose();
  });
});
