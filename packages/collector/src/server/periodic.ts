/** A job run on an interval, never overlapping itself. */
export interface PeriodicJob {
  /** Stops the timer and waits for a running round. */
  stop(): Promise<void>;
  /** Runs a round now (after any running one) and answers its result. */
  runNow(): Promise<number>;
}

/** Runs `round` every `intervalMs`; a failed round goes to `onError` and is retried next tick. */
export function every(
  intervalMs: number,
  round: () => Promise<number>,
  onError: (err: unknown) => void,
): PeriodicJob {
  let running: Promise<unknown> | null = null;
  let stopped = false;
  const tick = () => {
    if (running || stopped) return;
    running = round()
      .catch(onError)
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      while (running) await running;
    },
    async runNow() {
      while (running) await running;
      return round();
    },
  };
}
