/** One step of the packaging suite: timed, and PASS, FAIL or SKIP (a step it needs did not pass). */
export interface StepResult {
  name: string;
  status: 'PASS' | 'FAIL' | 'SKIP';
  ms: number;
  detail?: string;
}

/** Thrown for a step whose prerequisite failed, so that its own dependents are skipped too. */
class SkippedError extends Error {}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** Runs steps as a graph of promises: a step starts once the steps it needs have passed. */
export class Steps {
  readonly results: StepResult[] = [];
  private readonly started = Date.now();
  private readonly all: Promise<unknown>[] = [];
  /** Names of the steps started and not yet finished. */
  readonly running = new Set<string>();

  /** Resolves once every step started so far has passed, failed or been skipped. */
  async settled(): Promise<void> {
    let n = -1;
    while (n !== this.all.length) {
      n = this.all.length;
      await Promise.allSettled(this.all);
    }
  }

  step<T>(name: string, needs: Promise<unknown>[], fn: () => Promise<T>): Promise<T> {
    const promise = (async () => {
      const before = await Promise.allSettled(needs);
      if (before.some((r) => r.status === 'rejected')) {
        this.record({ name, status: 'SKIP', ms: 0, detail: 'a step it needs did not pass' });
        throw new SkippedError(name);
      }
      const t0 = Date.now();
      this.running.add(name);
      try {
        const value = await fn();
        this.record({ name, status: 'PASS', ms: Date.now() - t0 });
        return value;
      } catch (error) {
        const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
        this.record({ name, status: 'FAIL', ms: Date.now() - t0, detail });
        throw error;
      } finally {
        this.running.delete(name);
      }
    })();
    promise.catch(() => {});
    this.all.push(promise);
    return promise;
  }

  private record(result: StepResult): void {
    this.results.push(result);
    const at = seconds(Date.now() - this.started).padStart(7);
    console.log(`[${at}] ${result.status.padEnd(4)} ${result.name} (${seconds(result.ms)})`);
    if (result.status === 'FAIL' && result.detail) console.log(indent(result.detail));
  }

  /** Prints the table of every step and answers whether all passed. */
  summary(): boolean {
    const total = Date.now() - this.started;
    console.log('\npackaging suite');
    for (const r of this.results)
      console.log(`  ${r.status.padEnd(4)} ${seconds(r.ms).padStart(7)}  ${r.name}`);
    const count = (s: StepResult['status']) => this.results.filter((r) => r.status === s).length;
    const unfinished = this.running.size;
    const ok = count('FAIL') === 0 && count('SKIP') === 0 && unfinished === 0;
    console.log(
      `${ok ? 'PASS' : 'FAIL'}: ${count('PASS')} passed, ${count('FAIL')} failed, ${count('SKIP')} skipped` +
        `${unfinished ? `, ${unfinished} unfinished` : ''} in ${seconds(total)}`,
    );
    return ok;
  }
}

export function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `      ${line}`)
    .join('\n');
}

/** Throws with `message` when `condition` is false. */
export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}
