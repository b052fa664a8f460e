import { readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * Where `pnpm --filter @driftline/collector build:dashboard` writes the dashboard. The same path
 * from src/dashboard (in the repository) and dist/dashboard (the published package, which ships it).
 */
export const DASHBOARD_DIST = fileURLToPath(new URL('../../dashboard/dist', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

// Built file names are Vite's `name-hash.ext`: nothing from the URL that is not such a name reaches the filesystem.
const SAFE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;

/** The page answered (503) when the dashboard has not been built: says how to build it. */
export function notBuiltPage(dist: string): string {
  return `<!doctype html><html lang="en"><meta charset="utf-8"><title>Driftline dashboard not built</title>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem">
<h1>The dashboard is not built yet</h1>
<p>The collector is running (its API is under <code>/v1</code>, see <a href="/openapi.json">/openapi.json</a>),
but <code>${dist.replace(/[<>&]/g, '')}</code> holds no <code>index.html</code>.</p>
<p>Build it with <code>pnpm --filter @driftline/collector build:dashboard</code> (or run <code>pnpm start</code>,
which builds it), then reload this page.</p>
<p>Error code: <code>dashboard_not_built</code></p></body></html>`;
}

/**
 * The page keeps an API key in localStorage: it runs only its own bundle and talks only to this
 * origin (uPlot and the rollout bars set inline styles, hence 'unsafe-inline' for styles only).
 */
export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

async function sendFile(reply: FastifyReply, path: string, immutable: boolean): Promise<boolean> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return false;
    const body = await readFile(path);
    void reply
      .header('content-type', TYPES[extname(path)] ?? 'application/octet-stream')
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer');
    if (path.endsWith('.html')) void reply.header('content-security-policy', DASHBOARD_CSP);
    await reply.send(body);
    return true;
  } catch {
    return false;
  }
}

/**
 * Serves the built dashboard (public static files; the page asks for a key and sends it to the API):
 * `/` is its index.html, `/assets/*` its hashed bundles. When the build is missing, `/` answers
 * 503 with a page that says how to build it.
 */
export async function serveDashboard(app: FastifyInstance, dist = DASHBOARD_DIST): Promise<void> {
  const index = async (_req: unknown, reply: FastifyReply) => {
    if (await sendFile(reply, join(dist, 'index.html'), false)) return reply;
    return reply.status(503).header('content-type', 'text/html; charset=utf-8').send(notBuiltPage(dist));
  };
  app.get('/', { schema: { summary: 'The analysts dashboard (static page)', tags: ['dashboard'] } }, index);
  app.get('/index.html', { schema: { hide: true } }, index);
  app.get<{ Params: { file: string } }>('/assets/:file', { schema: { hide: true } }, async (req, reply) => {
    const name = req.params.file;
    if (SAFE_NAME.test(name) && !name.includes('..')) {
      if (await sendFile(reply, join(dist, 'assets', name), true)) return reply;
    }
    return reply
      .status(404)
      .send({ error: { code: 'not_found', message: `No dashboard asset ${name}; rebuild the dashboard.` } });
  });
}
