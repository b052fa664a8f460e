import { CollectorError } from '../errors.ts';
import { parseArgs, UsageError } from './args.ts';
import { keysCommand } from './keys-command.ts';
import { serveCommand } from './serve-command.ts';

export const USAGE = `usage: driftline <command> [options]

  serve    [--port 8787] [--host 127.0.0.1] [--data-dir .driftline/data] [--database-url postgres://…]
           [--dev] [--cors-origins a,b] [--log-level info] [--webhook-url URL]
           [--workers N]   N processes share the port (1..64, default 1; needs --database-url)
  keys create --role ingest|read|admin [--app NAME] [--origins a,b] [--label TEXT] [--data-dir|--database-url]
  keys list   [--data-dir|--database-url]
  keys revoke <id> [--data-dir|--database-url]
  profile <samples.jsonl> --model M [--version V] [--out FILE]
  latency <model> [--by backend|segment|version] [--version V] [--url URL] [--key KEY]
  drift   <model> [--version V] [--reference baseline|registry|version:X] [--url URL] [--key KEY]
  keys signing [--data-dir|--database-url | --url URL --key ADMIN]   new manifest signing key; prints the public key
  publish <path> --model M --version V [--format onnx|tfjs] [--reference FILE] [--notes TEXT]
  rollout <model> --candidate V --percent P [--guard key=value,…] [--reason TEXT]
  promote <model> | rollback <model> [--reason TEXT]
  pin     <model> <device> <version> | pin <model> <device> --unpin
  shadow  <model> --version V --percent P [--sample S] | shadow <model> --off
  status  <model> [--json]

Commands other than serve and keys talk to a running collector: --url/--key or DRIFTLINE_URL/DRIFTLINE_KEY.`;

const SWITCHES = new Set(['dev', 'help', 'json', 'unpin', 'off']);

/** Runs the CLI and answers the exit code: 0 ok, 1 failure, 2 usage error. */
export async function main(argv: string[]): Promise<number> {
  try {
    const args = parseArgs(argv, SWITCHES);
    const command = args.positionals[0];
    if (!command || args.flags.has('help')) {
      console.log(USAGE);
      return command || args.flags.has('help') ? 0 : 2;
    }
    switch (command) {
      case 'serve':
        return await serveCommand(args);
      case 'keys':
        if (args.positionals[1] === 'signing') {
          const { signingCommand } = await import('./signing-command.ts');
          return await signingCommand(args);
        }
        return await keysCommand(args);
      case 'publish': {
        const { publishCommand } = await import('./publish-command.ts');
        return await publishCommand(args);
      }
      case 'rollout':
      case 'promote':
      case 'rollback':
      case 'pin':
      case 'shadow':
      case 'status': {
        const { rolloutCommand } = await import('./rollout-command.ts');
        return await rolloutCommand(command, args);
      }
      case 'profile': {
        const { profileCommand } = await import('./profile-command.ts');
        return await profileCommand(args);
      }
      case 'latency':
      case 'drift': {
        const { queryCommand } = await import('./query-command.ts');
        return await queryCommand(command, args);
      }
      default:
        throw new UsageError(`Unknown command "${command}".`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`driftline: ${err.message}\n\n${USAGE}`);
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
