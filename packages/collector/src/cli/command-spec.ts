import type { Args, OptionSpec } from './args.ts';

/**
 * One `driftline` subcommand: the words that select it, what `--help` prints for it and what runs
 * it. The table of them is {@link COMMANDS} in commands.ts; the parser accepts exactly `options`.
 */
export interface CommandSpec {
  /** The words that select it, space-separated: `serve`, `keys create`. */
  name: string;
  /** Its positional arguments as the usage line shows them: `<model> <device> <version>`. */
  args?: string;
  /** One line for `driftline --help`. */
  summary: string;
  /** More about it, printed under the usage line of its `--help`. */
  description?: string;
  options: readonly OptionSpec[];
  /** Environment variables it reads that no option stands for. */
  env?: readonly { name: string; description: string }[];
  /** Runs it; answers the exit code. `args.positionals` starts with the command's words. */
  run(args: Args): Promise<number>;
}

/** Where a command finds the collector's storage when it works on it directly. */
export const STORAGE_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'data-dir',
    value: 'DIR',
    description: 'PGlite data directory, the embedded database (default .driftline/data)',
    env: 'DRIFTLINE_DATA_DIR',
  },
  {
    name: 'database-url',
    value: 'URL',
    description: 'PostgreSQL connection URL; wins over --data-dir',
    env: 'DATABASE_URL',
  },
];

/** Where and as whom a command talks to a running collector. */
export const REMOTE_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'url',
    value: 'URL',
    description: 'the running collector (default http://127.0.0.1:8787)',
    env: 'DRIFTLINE_URL',
  },
  {
    name: 'key',
    value: 'KEY',
    description: 'API key: a read key for queries, an admin key for changes',
    env: 'DRIFTLINE_KEY',
  },
];

export const JSON_OPTION: OptionSpec = { name: 'json', description: "print the collector's answer as JSON" };

export const REASON_OPTION: OptionSpec = {
  name: 'reason',
  value: 'TEXT',
  description: 'why, for the audit log',
};
