/** A usage error: the CLI prints its message and the usage, and exits with code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Parsed command line: positionals and `--flag value` / `--flag=value` / `--switch` options. */
export interface Args {
  positionals: string[];
  flags: Map<string, string | true>;
}

/** Parses argv; `switches` are flags that take no value. */
export function parseArgs(argv: string[], switches: ReadonlySet<string> = new Set()): Args {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (eq > 0) flags.set(name, a.slice(eq + 1));
    else if (switches.has(name)) flags.set(name, true);
    else {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`--${name} needs a value.`);
      flags.set(name, v);
      i++;
    }
  }
  return { positionals, flags };
}

/** A string flag, or undefined. */
export function flag(args: Args, name: string): string | undefined {
  const v = args.flags.get(name);
  if (v === true) throw new UsageError(`--${name} needs a value.`);
  return v;
}

/** An integer flag within [min, max], or the default. */
export function intFlag(args: Args, name: string, def: number, min = 0, max = 65_535): number {
  const v = flag(args, name);
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be an integer in ${min}..${max}.`);
  return n;
}
