/**
 * Orders runs and version swaps on the page: while a swap holds the gate new runs wait, and a swap
 * can wait for the runs already in flight to finish (they answer on the old version).
 */
export class RunGate {
  private held: Promise<void> | undefined;
  private running = 0;
  private whenIdle: (() => void) | undefined;

  /** Whether a swap holds the gate now. */
  get closed(): boolean {
    return this.held !== undefined;
  }

  /** Resolves once no swap holds the gate (at once when none does). */
  async open(): Promise<void> {
    while (this.held) await this.held;
  }

  /** Counts a run in flight; call in the same step as choosing its worker. */
  enter(): void {
    this.running++;
  }

  /** Ends a run counted by {@link enter}. */
  leave(): void {
    if (--this.running === 0) {
      const idle = this.whenIdle;
      this.whenIdle = undefined;
      idle?.();
    }
  }

  /** Resolves once no run is in flight. */
  idle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.whenIdle = resolve;
    });
  }

  /** Runs `work` while new runs wait. */
  async hold(work: () => Promise<void>): Promise<void> {
    let release!: () => void;
    this.held = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      await work();
    } finally {
      this.held = undefined;
      release();
    }
  }
}
