// The ceiling for the collector ingest benchmark: a bare Fastify route that only parses the same
// JSON body and answers 200. Started by bench/collector.bench.ts as its own process.
import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 256 * 1024 });
app.post('/v1/telemetry', async (req) => {
  const body = req.body as { batchId?: string };
  return { accepted: typeof body.batchId === 'string', duplicate: false };
});
await app.listen({ port: 0, host: '127.0.0.1' });
const addr = app.server.address();
process.stderr.write(`listening on http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}\n`);
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
