#!/usr/bin/env node
// `pnpm start`: the collector (on its embedded PGlite database, dev keys) and the demo page,
// side by side. Prints the URLs to open, forwards Ctrl-C to both, and exits non-zero when either
// one dies. Ports: PORT (demo, default 5173) and COLLECTOR_PORT (default 8787).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const demoPort = parsePort('PORT', 5173);
const collectorPort = parsePort('COLLECTOR_PORT', 8787);
const collectorUrl = `http://127.0.0.1:${collectorPort}`;
const collectorBin = join(root, 'packages', 'collector', 'bin', 'driftline.mjs');
const dataDir = join('.driftline', 'data');

/** @param {string} name @param {number} fallback */
function parsePort(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`start: ${name}=${raw} is not a port number (0-65535); unset it or pick a free port`);
    process.exit(2);
  }
  return port;
}

let stopping = false;
/** @type {import('node:child_process').ChildProcess | undefined} */
let collector;
/** @type {import('vite').ViteDevServer | undefined} */
let demo;

/** Stops both and exits with `code`. */
async function shutdown(code, signal = 'SIGTERM') {
  if (stopping) return;
  stopping = true;
  const collectorExited =
    collector && collector.exitCode === null && collector.signalCode === null
      ? new Promise((resolve) => collector?.once('exit', resolve))
      : Promise.resolve();
  collector?.kill(signal);
  const killTimer = setTimeout(() => collector?.kill('SIGKILL'), 5000);
  await Promise.allSettled([demo?.close(), collectorExited]);
  clearTimeout(killTimer);
  process.exit(code);
}

for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.on(signal, () => {
    console.log(`\nstart: ${signal} received, stopping the collector and the demo…`);
    void shutdown(0, signal);
  });
}

// The collector serves the analysts' dashboard at `/` from packages/collector/dashboard/dist.
try {
  const { build } = await import('vite');
  await build({
    configFile: join(root, 'packages', 'collector', 'dashboard', 'vite.config.ts'),
    logLevel: 'warn',
  });
} catch (error) {
  console.error(
    `start: the dashboard did not build (${error instanceof Error ? error.message : String(error)}); ` +
      `${collectorUrl}/ will say how to build it`,
  );
}

if (existsSync(collectorBin)) {
  collector = spawn(
    process.execPath,
    // Request logs would bury the URLs: warnings and errors only, unless LOG_LEVEL says otherwise.
    [
      collectorBin,
      'serve',
      '--port',
      String(collectorPort),
      '--data-dir',
      dataDir,
      '--dev',
      '--log-level',
      process.env.LOG_LEVEL ?? 'warn',
    ],
    { cwd: root, stdio: 'inherit' },
  );
  collector.on('error', (error) => {
    console.error(`start: could not start the collector: ${error.message}`);
    void shutdown(1);
  });
  collector.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(
      `start: the collector stopped (${signal ?? `exit code ${code}`}); is port ${collectorPort} free? ` +
        'Set COLLECTOR_PORT to use another. Stopping the demo too.',
    );
    void shutdown(1);
  });
} else {
  console.error(
    `start: the collector is not built yet (${collectorBin} is missing); starting the demo alone, telemetry will not be collected`,
  );
}

try {
  const { createServer } = await import('vite');
  process.env.VITE_DRIFTLINE_COLLECTOR_URL ??= collectorUrl;
  demo = await createServer({
    configFile: join(root, 'demo', 'vite.config.ts'),
    // The config imports @driftline/runtime/vite from the workspace's TypeScript source: Vite's module
    // runner loads it, where Node's own loader (the default) cannot.
    configLoader: 'runner',
    server: { port: demoPort, strictPort: true },
  });
  await demo.listen();
  demo.httpServer?.on('close', () => {
    if (stopping) return;
    console.error('start: the demo server closed; stopping the collector too.');
    void shutdown(1);
  });
} catch (error) {
  console.error(
    `start: the demo server did not start: ${error instanceof Error ? error.message : String(error)}; ` +
      `is port ${demoPort} free? Set PORT to use another.`,
  );
  await shutdown(1);
}

/** Polls the collector's /readyz until it answers 200 (its embedded database is open). */
async function collectorReady(timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !stopping) {
    try {
      if ((await fetch(`${collectorUrl}/readyz`)).ok) return true;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

const ready = collector ? await collectorReady() : false;
if (collector && !ready && !stopping) {
  console.error(
    `start: the collector did not answer ${collectorUrl}/readyz within 60 s; it may still be starting`,
  );
}
// A registry to roll out from: the demo's digit models 1.0.0 (stable) and 1.1.0, each with the
// drift reference of the clean held-out digits, published once (demo/seed/publish-demo-models.ts).
let published = '';
if (ready && !stopping) {
  try {
    const { register } = await import('tsx/esm/api');
    register();
    const { publishDemoModels } = await import('../demo/seed/publish-demo-models.ts');
    const versions = await publishDemoModels(collectorUrl, 'dl_admin_dev_local_only');
    published = versions.length
      ? `    registry   published digits ${versions.join(' and ')} (${versions[0]} is stable) and weather 1.0.0\n`
      : '';
  } catch (error) {
    console.error(
      `start: could not publish the demo models (${error instanceof Error ? error.message : String(error)}); ` +
        'the demo runs, the dashboard has no rollout to show',
    );
  }
}
const demoUrl = demo?.resolvedUrls?.local[0] ?? `http://localhost:${demoPort}/`;
if (!stopping) {
  console.log(`
  Driftline is running. Open:
    demo       ${demoUrl}
    collector  ${collector ? `${collectorUrl}/  (dashboard; API under /v1)` : 'not started (see above)'}
    dashboard  read key dl_read_dev_local_only, admin key dl_admin_dev_local_only (local dev keys)
${published}  Ctrl-C stops both.
`);
}
