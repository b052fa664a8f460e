import cluster, { type Worker } from 'node:cluster';
import {
  isDriftlineMessage,
  type MetricsJson,
  type PrimaryMessage,
  type WorkerMessage,
} from './cluster-messages.ts';

/** How the `serve --workers` primary runs its workers. */
export interface ClusterPrimaryOptions {
  /** Workers to fork (each runs startCollector on the same host and port). */
  workers: number;
  /** Where the primary says what it does (a worker died, it gives up): one line each. */
  log: (line: string) => void;
  /** How long a worker may take to close gracefully before it is killed. Default 30 s. */
  closeTimeoutMs?: number;
  /** Give up (stop every worker, exit 1) when this many workers die within `crashWindowMs`. Default 3. */
  maxCrashes?: number;
  /** Default 10 s. */
  crashWindowMs?: number;
  /** How long a metrics collect round waits for the workers. Default 1.5 s. */
  collectTimeoutMs?: number;
}

/** What the workers listen on, once all of them do. */
export interface ClusterListening {
  url: string;
  port: number;
  storage: string;
}

/** A running `serve --workers` primary. */
export interface ClusterPrimary {
  /** Resolves when every worker listens, or with null when the primary gave up before. */
  listening: Promise<ClusterListening | null>;
  /** Resolves with the exit code once every worker has exited: 0 after close(), 1 when it gave up. */
  exited: Promise<number>;
  /** Asks every worker to close gracefully (stop accepting, finish in-flight, close storage). */
  close(): Promise<number>;
}

interface CollectRound {
  parts: MetricsJson[];
  waiting: number;
  finish(): void;
}

/**
 * Forks `workers` cluster workers (this process must be the cluster primary; each worker runs the
 * same command line), replaces one that dies unexpectedly, gives up when they keep dying, relays
 * /metrics collect rounds between them, and shuts them down gracefully on close().
 */
export function startClusterPrimary(opts: ClusterPrimaryOptions): ClusterPrimary {
  const closeTimeoutMs = opts.closeTimeoutMs ?? 30_000;
  const maxCrashes = opts.maxCrashes ?? 3;
  const crashWindowMs = opts.crashWindowMs ?? 10_000;
  const collectTimeoutMs = opts.collectTimeoutMs ?? 1_500;
  const live = new Map<number, Worker>();
  const ready = new Set<number>();
  const rounds = new Map<number, CollectRound>();
  const crashes: number[] = [];
  /** Workers stopped with SIGTERM while still starting (they may not handle it yet). */
  const terminated = new Set<number>();
  let nextRound = 0;
  let stopping = false;
  let code = 0;
  let onListening: (l: ClusterListening | null) => void = () => {};
  let onExited: (code: number) => void = () => {};
  const listening = new Promise<ClusterListening | null>((r) => {
    onListening = r;
  });
  const exited = new Promise<number>((r) => {
    onExited = r;
  });

  const send = (w: Worker, m: PrimaryMessage) => {
    if (!w.isConnected()) return false;
    try {
      w.send(m);
      return true;
    } catch {
      return false; // the worker is going away: its exit event follows
    }
  };

  const collect = (from: Worker, id: number) => {
    const key = nextRound++;
    const round: CollectRound = {
      parts: [],
      waiting: 0,
      finish: () => {
        clearTimeout(timer);
        rounds.delete(key);
        send(from, { type: 'driftline:metrics-reply', id, parts: round.parts });
      },
    };
    const timer = setTimeout(() => round.finish(), collectTimeoutMs);
    rounds.set(key, round);
    for (const w of live.values()) {
      if (w !== from && ready.has(w.id) && send(w, { type: 'driftline:metrics-collect', id: key })) {
        round.waiting++;
      }
    }
    if (round.waiting === 0) round.finish();
  };

  const onMessage = (w: Worker, m: unknown) => {
    if (!isDriftlineMessage(m)) return;
    const msg = m as WorkerMessage;
    if (msg.type === 'driftline:ready') {
      ready.add(w.id);
      if (ready.size === opts.workers) onListening({ url: msg.url, port: msg.port, storage: msg.storage });
    } else if (msg.type === 'driftline:metrics-request') {
      collect(w, msg.id);
    } else if (msg.type === 'driftline:metrics-part') {
      const round = rounds.get(msg.id);
      if (!round) return; // answered after the round timed out
      round.parts.push(msg.metrics);
      if (--round.waiting === 0) round.finish();
    }
  };

  const fork = () => {
    const w = cluster.fork();
    live.set(w.id, w);
    w.on('message', (m: unknown) => onMessage(w, m));
    // a send to a worker that is disconnecting fails later with EPIPE: its exit event follows
    w.on('error', () => {});
    w.once('exit', (exitCode: number | null, signal: string | null) => onExit(w, exitCode, signal));
  };

  const onExit = (w: Worker, exitCode: number | null, signal: string | null) => {
    live.delete(w.id);
    ready.delete(w.id);
    const how = signal ? `signal ${signal}` : `exit code ${exitCode}`;
    if (stopping) {
      if (exitCode !== 0 && !terminated.has(w.id)) code = 1;
    } else if (exitCode === 0 && !signal) {
      opts.log(`worker ${w.process.pid} exited (${how})`);
    } else {
      const now = Date.now();
      crashes.push(now);
      while (crashes[0]! < now - crashWindowMs) crashes.shift();
      if (crashes.length >= maxCrashes) {
        opts.log(
          `worker ${w.process.pid} died (${how}): ${crashes.length} workers died within ${crashWindowMs / 1000} s, giving up; see the errors above`,
        );
        code = 1;
        onListening(null);
        void close();
      } else {
        opts.log(`worker ${w.process.pid} died (${how}); starting a new one`);
        fork();
      }
    }
    if (live.size === 0) {
      onListening(null);
      onExited(code);
    }
  };

  const close = (): Promise<number> => {
    if (!stopping) {
      stopping = true;
      for (const w of live.values()) {
        if (!ready.has(w.id)) {
          // still starting: it may not listen for messages yet, and has nothing in flight
          terminated.add(w.id);
          w.process.kill('SIGTERM');
        } else if (w.isConnected() && !send(w, { type: 'driftline:shutdown' })) {
          w.process.kill('SIGTERM');
        } // a worker already disconnected is on its way out (it closed on its own signal)
        setTimeout(() => {
          if (live.has(w.id)) {
            opts.log(`worker ${w.process.pid} did not close within ${closeTimeoutMs / 1000} s; killing it`);
            w.process.kill('SIGKILL');
          }
        }, closeTimeoutMs).unref();
      }
      if (live.size === 0) onExited(code);
    }
    return exited;
  };

  for (let i = 0; i < opts.workers; i++) fork();
  return { listening, exited, close };
}
