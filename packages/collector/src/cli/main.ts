import { CollectorError } from '../errors.ts';
import { isHelp, parseArgs, UsageError } from './args.ts';
import type { CommandSpec } from './command-spec.ts';
import { COMMANDS } from './commands.ts';
import { commandHelp, groupHelp, overviewHelp, usageLine } from './help.ts';

/** A usage error about a command group's action word: the group's help goes with it. */
class GroupUsageError extends UsageError {
  constructor(
    message: string,
    readonly help: string,
  ) {
    super(message);
  }
}

/** What a command line asks for: a command to run, or a help page to print. */
type Resolved = { spec: CommandSpec } | { help: string };

/** Finds the command named by the first word(s) of argv; a usage error says which words are wrong. */
function resolve(argv: string[]): Resolved {
  const [first, second] = argv;
  if (first === undefined) throw new UsageError('Give a command.');
  if (isHelp(first)) return { help: overviewHelp(COMMANDS) };
  if (first.startsWith('-')) throw new UsageError(`${first} is not a command; the command comes first.`);
  const single = COMMANDS.find((c) => c.name === first);
  if (single) return { spec: single };
  const group = COMMANDS.filter((c) => c.name.startsWith(`${first} `));
  if (group.length === 0) throw new UsageError(`Unknown command "${first}".`);
  const spec = second === undefined ? undefined : group.find((c) => c.name === `${first} ${second}`);
  if (spec) return { spec };
  if (second !== undefined && isHelp(second)) return { help: groupHelp(first, group) };
  const actions = group.map((c) => c.name.slice(first.length + 1)).join(', ');
  throw new GroupUsageError(
    second === undefined || second.startsWith('-')
      ? `${first} needs an action: ${actions}.`
      : `Unknown action "${first} ${second}"; ${first} has ${actions}.`,
    groupHelp(first, group),
  );
}

/**
 * Runs the CLI and answers the exit code: 0 ok, 1 failure, 2 usage error (3: the drift or the
 * rollout verdict alerts). `driftline --help`, `driftline <command> --help` (or `-h`) print usage.
 */
export async function main(argv: string[]): Promise<number> {
  let spec: CommandSpec | undefined;
  try {
    const resolved = resolve(argv);
    if ('help' in resolved) {
      console.log(resolved.help);
      return 0;
    }
    spec = resolved.spec;
    const args = parseArgs(argv, spec.options);
    if (args.flags.has('help')) {
      console.log(commandHelp(spec));
      return 0;
    }
    return await spec.run(args);
  } catch (err) {
    if (err instanceof UsageError) {
      const help =
        err instanceof GroupUsageError
          ? err.help
          : spec
            ? `${usageLine(spec)}\nRun "driftline ${spec.name} --help" for its options.`
            : overviewHelp(COMMANDS);
      console.error(`driftline: ${err.message}\n\n${help}`);
      return 2;
    }
    if (err instanceof CollectorError) {
      console.error(`driftline: ${err.code}: ${err.message}`);
      return 1;
    }
    console.error(`driftline: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
