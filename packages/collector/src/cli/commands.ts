import { KEY_ROLES } from '../auth/keys.ts';
import { DEFAULT_GUARD } from '../rollout/guard-settings.ts';
import type { OptionSpec } from './args.ts';
import {
  type CommandSpec,
  JSON_OPTION,
  REASON_OPTION,
  REMOTE_OPTIONS,
  STORAGE_OPTIONS,
} from './command-spec.ts';

const RANGE_OPTIONS: readonly OptionSpec[] = [
  { name: 'version', value: 'V', description: 'only this model version' },
  { name: 'from', value: 'MS', description: 'range start, ms since epoch (default 24 h ago)' },
  { name: 'to', value: 'MS', description: 'range end, ms since epoch (default now)' },
];

const rollout = async () => import('./rollout-command.ts');
const keys: CommandSpec['run'] = async (args) => (await import('./keys-command.ts')).keysCommand(args);

const KEYS_DESCRIPTION =
  'With --url/--key (or DRIFTLINE_URL/DRIFTLINE_KEY) asks a running collector with an admin key; with\n' +
  '--data-dir/--database-url (or neither) works on the storage directly, which is how the first admin\n' +
  'key is made (PGlite: only while no collector holds the data directory). Both are audited.';
const KEYS_OPTIONS: readonly OptionSpec[] = [...REMOTE_OPTIONS, ...STORAGE_OPTIONS];
const query = async () => import('./query-command.ts');

/**
 * Every `driftline` subcommand, in the order `driftline --help` lists them. Commands load their
 * implementation when they run, so `--help` and the light commands never load the server.
 */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'serve',
    summary: 'run the collector until SIGINT/SIGTERM',
    description:
      'Runs the collector (ingest, queries, registry, rollout and the dashboard at /) until SIGINT or\n' +
      'SIGTERM, then shuts down gracefully. Storage is PGlite in --data-dir unless --database-url is given.',
    options: [
      { name: 'port', value: 'N', description: 'TCP port; 0 picks a free one (default 8787)', env: 'PORT' },
      { name: 'host', value: 'HOST', description: 'interface to listen on (default 127.0.0.1)', env: 'HOST' },
      ...STORAGE_OPTIONS,
      {
        name: 'dev',
        description:
          'serve the well-known dev keys (loopback hosts only; removed at a start without --dev) and allow any CORS origin',
      },
      {
        name: 'cors-origins',
        value: 'A,B',
        description: "browser origins allowed to send telemetry besides the ingest keys'; * allows any",
        env: 'DRIFTLINE_CORS_ORIGINS',
      },
      {
        name: 'log-level',
        value: 'LEVEL',
        description: 'fatal, error, warn, info, debug, trace or silent (default info)',
        env: 'LOG_LEVEL',
      },
      {
        name: 'webhook-url',
        value: 'URL',
        description: 'alert events are POSTed here (with retries)',
        env: 'DRIFTLINE_WEBHOOK_URL',
      },
      {
        name: 'workers',
        value: 'N',
        description: 'N processes share the port (1..64, default 1; N > 1 needs --database-url)',
        env: 'DRIFTLINE_WORKERS',
      },
    ],
    env: [{ name: 'DRIFTLINE_DEV_INGEST_KEY', description: 'any non-empty value turns on --dev' }],
    run: async (args) => (await import('./serve-command.ts')).serveCommand(args),
  },
  {
    name: 'keys create',
    summary: 'create an API key; prints the secret once',
    description: KEYS_DESCRIPTION,
    options: [
      { name: 'role', value: KEY_ROLES.join('|'), description: 'what the key may do (required)' },
      { name: 'app', value: 'NAME', description: 'the app an ingest key sends telemetry for' },
      {
        name: 'origins',
        value: 'A,B',
        description: 'browser origins an ingest key is limited to (default: any origin)',
      },
      { name: 'label', value: 'TEXT', description: 'a note shown by keys list' },
      { name: 'expires', value: 'WHEN', description: 'when it stops working: 30d, 12h or an ISO time' },
      ...KEYS_OPTIONS,
    ],
    run: keys,
  },
  {
    name: 'keys list',
    summary: 'list the API keys (never their secrets)',
    description: KEYS_DESCRIPTION,
    options: KEYS_OPTIONS,
    run: keys,
  },
  {
    name: 'keys rotate',
    args: '<id>',
    summary: 'replace a key: prints the new secret; the old one works for a grace period',
    description: KEYS_DESCRIPTION,
    options: [
      {
        name: 'grace',
        value: 'DURATION',
        description: 'how long the old key keeps working (default 1d; 0 ends it now)',
      },
      ...KEYS_OPTIONS,
    ],
    run: keys,
  },
  {
    name: 'keys revoke',
    args: '<id>',
    summary: 'revoke an API key by its id (see keys list)',
    description: KEYS_DESCRIPTION,
    options: KEYS_OPTIONS,
    run: keys,
  },
  {
    name: 'keys audit',
    summary: 'the audit log of admin actions, newest first (who, what, when)',
    description: KEYS_DESCRIPTION,
    options: [
      { name: 'limit', value: 'N', description: 'how many entries (default 50, at most 1000)' },
      ...KEYS_OPTIONS,
    ],
    run: keys,
  },
  {
    name: 'keys signing',
    summary: 'new manifest signing key (retires the previous one); prints the public key',
    description:
      'Makes a manifest signing key pair (Ed25519), stores it and prints the public key for\n' +
      'createRuntime({ publicKey }). Works on the storage directly, or with --url asks a running collector\n' +
      '(admin key), which is the way while the collector holds its PGlite data directory.',
    options: [
      ...STORAGE_OPTIONS,
      { name: 'url', value: 'URL', description: 'ask the collector at URL instead of opening the storage' },
      { name: 'key', value: 'KEY', description: 'admin key, with --url', env: 'DRIFTLINE_KEY' },
    ],
    run: async (args) => (await import('./signing-command.ts')).signingCommand(args),
  },
  {
    name: 'profile',
    args: '<samples.jsonl|samples.csv>',
    summary: 'build a drift reference profile from sample inputs (with a schema: as the device does)',
    description:
      'Builds a reference profile from samples, writes it base64-encoded and prints what it holds.\n' +
      'JSONL: one object per line, tensor name -> {data, dims}, array, number (or, for a columns input, an\n' +
      'object of column values). CSV: a header row; with --schema, the columns of a columns input are read\n' +
      "by the schema's column names, a classes output from columns <output>.<label>. With --schema every\n" +
      'sample is summarized by the schema as on the device, and --labels names the field or column of the\n' +
      'true class (label or index), which lets the collector estimate accuracy without labels.',
    options: [
      { name: 'model', value: 'M', description: 'the model it is a reference of (required)' },
      { name: 'version', value: 'V', description: 'the model version' },
      { name: 'schema', value: 'FILE', description: 'model schema JSON: summarize as the device does' },
      {
        name: 'labels',
        value: 'FIELD',
        description: 'field/column of the true class, with --schema (OUTPUT=FIELD,… for several outputs)',
      },
      { name: 'out', value: 'FILE', description: 'where to write it (default <model>[-<version>].profile)' },
    ],
    run: async (args) => (await import('./profile-command.ts')).profileCommand(args),
  },
  {
    name: 'latency',
    args: '<model>',
    summary: 'latency percentiles of a model, by backend, segment or version',
    options: [
      { name: 'by', value: 'backend|segment|version', description: 'how to group (default backend)' },
      ...RANGE_OPTIONS,
      JSON_OPTION,
      ...REMOTE_OPTIONS,
    ],
    run: async (args) => (await query()).queryCommand('latency', args),
  },
  {
    name: 'drift',
    args: '<model>',
    summary: 'per-feature drift of a model version; exit code 3 when a feature alerts',
    options: [
      {
        name: 'reference',
        value: 'baseline|registry|version:X',
        description: 'what to compare with (default the uploaded reference, else baseline)',
      },
      ...RANGE_OPTIONS,
      JSON_OPTION,
      ...REMOTE_OPTIONS,
    ],
    run: async (args) => (await query()).queryCommand('drift', args),
  },
  {
    name: 'publish',
    args: '<path>',
    summary: 'upload a model (.onnx or TF.js model.json and shards) and publish a version',
    options: [
      { name: 'model', value: 'M', description: 'model name (required)' },
      { name: 'version', value: 'V', description: 'semver of the new version (required)' },
      { name: 'format', value: 'onnx|tfjs', description: 'which model to take when <path> holds both' },
      { name: 'reference', value: 'FILE', description: 'drift reference profile (see driftline profile)' },
      { name: 'schema', value: 'FILE', description: 'model schema JSON: how each tensor is summarized' },
      { name: 'notes', value: 'TEXT', description: 'release notes' },
      ...REMOTE_OPTIONS,
    ],
    run: async (args) => (await import('./publish-command.ts')).publishCommand(args),
  },
  {
    name: 'rollout',
    args: '<model>',
    summary: 'roll a candidate out to a share of devices and/or set its guard',
    options: [
      { name: 'candidate', value: 'V', description: 'the version to roll out' },
      { name: 'percent', value: 'P', description: 'share of devices, 0..100 (required with --candidate)' },
      {
        name: 'guard',
        value: 'k=v,…',
        description: `guard settings: ${Object.keys(DEFAULT_GUARD).join(', ')}`,
      },
      REASON_OPTION,
      JSON_OPTION,
      ...REMOTE_OPTIONS,
    ],
    run: async (args) => (await rollout()).rolloutCommand('rollout', args),
  },
  {
    name: 'promote',
    args: '<model>',
    summary: 'make the candidate the stable version',
    options: [REASON_OPTION, JSON_OPTION, ...REMOTE_OPTIONS],
    run: async (args) => (await rollout()).rolloutCommand('promote', args),
  },
  {
    name: 'rollback',
    args: '<model>',
    summary: 'drop the candidate, or return to the previous stable version',
    options: [REASON_OPTION, JSON_OPTION, ...REMOTE_OPTIONS],
    run: async (args) => (await rollout()).rolloutCommand('rollback', args),
  },
  {
    name: 'pin',
    args: '<model> <device> [<version>]',
    summary: 'pin one device to a version (or --unpin it)',
    options: [
      { name: 'unpin', description: 'remove the pin instead' },
      REASON_OPTION,
      JSON_OPTION,
      ...REMOTE_OPTIONS,
    ],
    run: async (args) => (await rollout()).rolloutCommand('pin', args),
  },
  {
    name: 'shadow',
    args: '<model>',
    summary: 'run a version in shadow next to stable on a share of devices (or --off)',
    options: [
      { name: 'version', value: 'V', description: 'the version to shadow' },
      { name: 'percent', value: 'P', description: 'share of devices, 0..100 (required unless --off)' },
      { name: 'sample', value: 'S', description: 'share of their inferences, 0..100' },
      { name: 'off', description: 'stop shadowing' },
      REASON_OPTION,
      JSON_OPTION,
      ...REMOTE_OPTIONS,
    ],
    run: async (args) => (await rollout()).rolloutCommand('shadow', args),
  },
  {
    name: 'status',
    args: '<model>',
    summary: 'rollout policy, pins, live versions and the last verdict; exit code 3 when it failed',
    options: [JSON_OPTION, ...REMOTE_OPTIONS],
    run: async (args) => (await rollout()).rolloutCommand('status', args),
  },
];
