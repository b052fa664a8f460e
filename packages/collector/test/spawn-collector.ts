import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, onTestFinished } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/driftline.mjs', import.meta.url));

// Every collector started here and not yet exited, in one set per test process (the module is
// evaluated again for each test file; the set and the exit hooks must not multiply).
const RUNNING = Symbol.for('driftline.test.running-collectors');
const registry = globalThis as typeof globalThis & { [RUNNING]?: Set<ChildProcess> };
const running: Set<ChildProcess> = registry[RUNNING] ?? installRegistry();

function installRegistry(): Set<ChildProcess> {
  const set = new Set<ChildProcess>();
  registry[RUNNING] = set;
  process.once('exit', killAllCollectors);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAllCollectors();
      // Nobody else handles it: die of it as the default action would have.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
  return set;
}

/**
 * SIGKILLs every collector this process started that still runs. It runs by itself after each
 * test file, when the test process exits or is signalled, and, for a collector started inside a
 * test, when that test ends (passed, failed or timed out), so no `driftline serve` outlives a run.
 */
export function killAllCollectors(): void {
  for (const child of running) child.kill('SIGKILL');
}

afterAll(killAllCollectors);

/** A collector running in its own process (`driftline serve`). */
export interface CollectorProcess {
  url: string;
  child: ChildProcess;
  /** SIGTERM and wait for a graceful exit. */
  stop(): Promise<number | null>;
  /** SIGKILL: no shutdown at all. */
  kill9(): Promise<void>;
  /** What it wrote to stderr so far (the last 16 KB): the log at `--log-level warn`. */
  output(): string;
}

/** Starts `driftline serve --port 0 …args` and waits for its "listening on" line. */
export async function spawnCollector(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CollectorProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--log-level', 'warn', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  try {
    // Inside a test, the collector dies with it; started in a hook, it lasts until afterAll.
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
  } catch {}
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`collector did not start:\n${err}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-16_384);
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`collector exited with ${code}:\n${err}`));
    });
  });
  return {
    url,
    child,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
    kill9: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    output: () => err,
  };
}

/**
 * POSTs a batch; answers the HTTP status and body, or null status when the connection failed or
 * no answer came within `timeoutMs`.
 */
export async function postBatch(
  url: string,
  key: string,
  batch: unknown,
  opts: { timeoutMs?: number } = {},
): Promise<{ status: number | null; duplicate?: boolean; error?: string }> {
  try {
    const res = await fetch(`${url}/v1/telemetry`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(batch),
      signal: opts.timeoutMs === undefined ? null : AbortSignal.timeout(opts.timeoutMs),
    });
    const body = (await res.json()) as { duplicate?: boolean; error?: { code: string } };
    return { status: res.status, duplicate: body.duplicate, error: body.error?.code };
  } catch (err) {
    return {
      status: null,
      error:
        err instanceof Error
          ? `${err.message} ${String(err.cause ?? '')} ${causeCode(err)}`.trim()
          : String(err),
    };
  }
}

// undici puts the socket error's code (ECONNRESET, UND_ERR_SOCKET) on the cause, not in its text.
function causeCode(err: Error): string {
  const code = (err.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : '';
}

/** Runs `tasks` with at most `n` in flight. */
export async function pool<T>(n: number, tasks: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < tasks.length) {
        const i = next++;
        out[i] = await tasks[i]!();
      }
    }),
  );
  return out;
}
