import { DEV_KEYS } from '../server/options.ts';
import { startCollector } from '../server/start-collector.ts';
import { type Args, flag, intFlag } from './args.ts';

/** `driftline serve`: runs until SIGINT/SIGTERM, then shuts down gracefully. */
export async function serveCommand(args: Args): Promise<number> {
  const dev = args.flags.get('dev') === true || Boolean(process.env.DRIFTLINE_DEV_INGEST_KEY);
  const databaseUrl = flag(args, 'database-url') ?? process.env.DATABASE_URL;
  const cors = flag(args, 'cors-origins') ?? process.env.DRIFTLINE_CORS_ORIGINS;
  const collector = await startCollector({
    port: intFlag(args, 'port', Number(process.env.PORT ?? 8787)),
    host: flag(args, 'host') ?? process.env.HOST ?? '127.0.0.1',
    dataDir: flag(args, 'data-dir') ?? process.env.DRIFTLINE_DATA_DIR ?? '.driftline/data',
    databaseUrl,
    logLevel: flag(args, 'log-level') ?? process.env.LOG_LEVEL ?? 'info',
    webhookUrl: flag(args, 'webhook-url') ?? process.env.DRIFTLINE_WEBHOOK_URL,
    corsOrigins: cors ? cors.split(',') : dev ? ['*'] : [],
    dev,
  });
  if (dev) {
    console.error(`driftline: DEV MODE - well-known keys, never expose this collector:
  ingest key: ${DEV_KEYS.ingest}
  read key:   ${DEV_KEYS.read}
  admin key:  ${DEV_KEYS.admin}`);
  }
  console.error(`driftline: collector listening on ${collector.url} (storage: ${collector.storage.kind})`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await collector.close();
  return 0;
}
