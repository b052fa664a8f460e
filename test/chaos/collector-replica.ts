import { freePort } from '../../packages/collector/test/free-port.ts';
import { type CollectorProcess, spawnCollector } from '../../packages/collector/test/spawn-collector.ts';

/**
 * One collector replica at a fixed address: `driftline serve` on a port chosen once, started again
 * on the same port (and the same storage arguments) after each kill, as a supervisor would.
 */
export class CollectorReplica {
  #process: CollectorProcess | undefined;
  #crash: Error | undefined;

  private constructor(
    readonly url: string,
    private readonly args: string[],
  ) {}

  /** Starts `driftline serve …args` on a free port. */
  static async start(args: string[]): Promise<CollectorReplica> {
    const port = await freePort();
    const replica = new CollectorReplica(`http://127.0.0.1:${port}`, ['--port', String(port), ...args]);
    await replica.restart();
    return replica;
  }

  /** Throws if the replica exited without being killed or stopped (a crash), with its log. */
  check(): void {
    if (this.#crash) throw this.#crash;
  }

  /** SIGKILL: no shutdown, no flush, requests in flight are cut. */
  async kill9(): Promise<void> {
    const p = this.#process;
    this.#process = undefined;
    await p?.kill9();
  }

  /** Starts the replica again; resolves once it listens. */
  async restart(): Promise<void> {
    if (this.#process) throw new Error(`${this.url} is still running`);
    const p = await spawnCollector(this.args);
    if (p.url !== this.url) throw new Error(`collector listens on ${p.url}, expected ${this.url}`);
    this.#process = p;
    p.child.once('exit', (code, signal) => {
      if (this.#process !== p) return;
      this.#crash ??= new Error(`collector ${this.url} exited by itself (${code ?? signal}):\n${p.output()}`);
    });
  }

  /** SIGTERM; answers the exit code (0 for a clean shutdown), or null when it was not running. */
  async stop(): Promise<number | null> {
    const p = this.#process;
    this.#process = undefined;
    return p ? p.stop() : null;
  }
}
