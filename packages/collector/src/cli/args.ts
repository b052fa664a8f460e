/** A usage error: the CLI prints its message and the usage, and exits with code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** One `--option` of a command, as its help shows it and the parser accepts it. */
export interface OptionSpec {
  /** Without the dashes: `port`. */
  name: string;
  /** Placeholder of its value (`N`, `URL`); the option is a switch (takes no value) when absent. */
  value?: string;
  /** What it does, with its default. */
  description: string;
  /** The environment variable read when the option is not given. */
  env?: string;
}

/** Parsed command line: positionals and `--flag value` / `--flag=value` / `--switch` options. */
export interface Args {
  positionals: string[];
  flags: Map<string, string | true>;
}

/** `-h` and `--help`, which every command accepts. */
export const HELP_OPTION: OptionSpec = { name: 'help', description: 'show this help and exit' };

/** True for `-h` and `--help`. */
export const isHelp = (arg: string): boolean => arg === '-h' || arg === '--help';

/**
 * Parses argv against a command's options: an option it does not know, a switch given a value or an
 * option missing its value is a UsageError. `-h` is `--help`.
 */
export function parseArgs(argv: string[], options: readonly OptionSpec[] = []): Args {
  const known = new Map([HELP_OPTION, ...options].map((o) => [o.name, o]));
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h') {
      flags.set('help', true);
      continue;
    }
    if (/^-[^-\d]/.test(a)) throw new UsageError(`Unknown option ${a}.`);
    if (!a.startsWith('--')) {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    const option = known.get(name);
    if (!option) throw new UsageError(`Unknown option --${name}.`);
    if (option.value === undefined) {
      if (eq > 0) throw new UsageError(`--${name} takes no value.`);
      flags.set(name, true);
    } else if (eq > 0) flags.set(name, a.slice(eq + 1));
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
