/** The part of the Web Locks API the outbox uses; an in-process stand-in serves where it is missing. */
export interface Locks {
  /** Runs `fn` holding the exclusive lock `name`; with `ifAvailable`, runs it with `false` when the lock is taken. */
  withLock<T>(name: string, opts: { ifAvailable?: boolean }, fn: (held: boolean) => Promise<T>): Promise<T>;
  /** Holds `name` until the returned release function is called. */
  hold(name: string): Promise<() => void>;
  /** Names of the locks held right now, in every tab of this origin. */
  held(): Promise<Set<string>>;
}

/** Web Locks when the browser has them (shared by every tab and worker of the origin). */
export function webLocks(): Locks | undefined {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) return undefined;
  return {
    withLock: (name, opts, fn) =>
      locks.request(name, { ifAvailable: Boolean(opts.ifAvailable) }, (lock) =>
        fn(lock !== null),
      ) as Promise<never>,
    hold: (name) =>
      new Promise((acquired) => {
        void locks.request(name, () => new Promise<void>((release) => acquired(release)));
      }),
    held: async () => new Set(((await locks.query()).held ?? []).map((l) => l.name ?? '')),
  };
}

/** An in-process stand-in for Web Locks (one JS realm only): for tests and browsers without them. */
export function localLocks(): Locks {
  const tails = new Map<string, Promise<unknown>>();
  const holding = new Set<string>();
  const acquire = async (name: string): Promise<() => void> => {
    const before = tails.get(name) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => {
      release = r;
    });
    tails.set(
      name,
      before.then(() => mine),
    );
    await before;
    holding.add(name);
    return () => {
      holding.delete(name);
      release();
    };
  };
  return {
    async withLock(name, opts, fn) {
      if (opts.ifAvailable && holding.has(name)) return fn(false);
      const release = await acquire(name);
      try {
        return await fn(true);
      } finally {
        release();
      }
    },
    hold: acquire,
    held: async () => new Set(holding),
  };
}
