import { HELP_OPTION, type OptionSpec } from './args.ts';
import { type CommandSpec, REMOTE_OPTIONS } from './command-spec.ts';

const PROGRAM = 'driftline';

/** Two aligned columns, indented by two spaces. */
function columns(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`.trimEnd()).join('\n');
}

const optionLabel = (o: OptionSpec) =>
  o === HELP_OPTION ? '-h, --help' : `--${o.name}${o.value ? ` ${o.value}` : ''}`;

/** The usage line of a command: `usage: driftline rollout <model> [options]`. */
export function usageLine(spec: CommandSpec): string {
  return `usage: ${PROGRAM} ${spec.name}${spec.args ? ` ${spec.args}` : ''} [options]`;
}

/** What `driftline <command> --help` prints: usage, every option and every environment variable. */
export function commandHelp(spec: CommandSpec): string {
  const options = [...spec.options, HELP_OPTION];
  const env = [
    ...spec.options.flatMap((o) => (o.env ? [[o.env, `instead of --${o.name}`] as const] : [])),
    ...(spec.env ?? []).map((e) => [e.name, e.description] as const),
  ];
  const parts = [usageLine(spec), spec.description ?? spec.summary];
  parts.push(`options:\n${columns(options.map((o) => [optionLabel(o), o.description]))}`);
  if (env.length) parts.push(`environment:\n${columns(env)}`);
  return parts.join('\n\n');
}

/** What `driftline keys --help` prints: the commands that start with `word`. */
export function groupHelp(word: string, specs: readonly CommandSpec[]): string {
  const actions = specs.map((s) => s.name.slice(word.length + 1));
  return [
    `usage: ${PROGRAM} ${word} <${actions.join('|')}> [options]`,
    `commands:\n${columns(specs.map((s) => [s.name, s.summary]))}`,
    `Run "${PROGRAM} ${word} <${actions.join('|')}> --help" for the options of one.`,
  ].join('\n\n');
}

/** What `driftline --help` prints: every command, one line each. */
export function overviewHelp(specs: readonly CommandSpec[]): string {
  const remote = specs.filter((s) => s.options.includes(REMOTE_OPTIONS[0]!)).map((s) => s.name);
  return [
    `usage: ${PROGRAM} <command> [options]`,
    `commands:\n${columns(specs.map((s) => [`${s.name}${s.args ? ` ${s.args}` : ''}`, s.summary]))}`,
    `${remote.join(', ')} talk to a running collector:\n` +
      '--url and --key, or DRIFTLINE_URL and DRIFTLINE_KEY.',
    `Run "${PROGRAM} <command> --help" for its options and environment variables.`,
  ].join('\n\n');
}
