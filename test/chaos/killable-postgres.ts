import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { openStorage } from '@driftline/collector';
import { startEmbeddedPostgres } from '../../packages/collector/test/embedded-postgres.ts';

/** A throwaway PostgreSQL whose server can be killed with SIGKILL and started again in place. */
export interface KillablePostgres {
  /** Admin URL (`…/postgres`). */
  url: string;
  /** Creates an empty database and answers its URL. */
  createDatabase(name: string): Promise<string>;
  /** SIGKILL to the postmaster: no checkpoint, no shutdown; the backends die with it. */
  kill9(): Promise<void>;
  /** Starts the server again on the same data directory and port (crash recovery replays the WAL). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

interface Layout {
  bin: string;
  data: string;
  port: string;
  flags: string[];
}

/**
 * Starts PostgreSQL with {@link startEmbeddedPostgres}, then learns from the server itself where
 * its binaries and data directory are, so that it can be killed and started again there: the
 * embedded helper only knows how to start a fresh one.
 */
export async function startKillablePostgres(flags: string[] = []): Promise<KillablePostgres> {
  const server = await startEmbeddedPostgres({ flags });
  const layout = await describeServer(server.url, flags);
  let restarted: ChildProcess | undefined;
  const onExit = () => restarted?.kill('SIGKILL');
  process.once('exit', onExit);

  return {
    url: server.url,
    async createDatabase(name) {
      const admin = await openStorage({ databaseUrl: server.url });
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.close();
      }
      const url = new URL(server.url);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async kill9() {
      const pid = Number((await readFile(join(layout.data, 'postmaster.pid'), 'utf8')).split('\n')[0]);
      process.kill(pid, 'SIGKILL');
      while (alive(pid)) await sleep(10);
    },
    async restart() {
      restarted = await startInPlace(layout);
    },
    async stop() {
      process.removeListener('exit', onExit);
      if (restarted) await stopChild(restarted);
      await server.stop();
    },
  };
}

// openStorage migrates the admin database too: harmless on a server that lives for one test file.
async function describeServer(url: string, flags: string[]): Promise<Layout> {
  const storage = await openStorage({ databaseUrl: url });
  try {
    const [data] = await storage.query<{ setting: string }>(
      `SELECT setting FROM pg_settings WHERE name = 'data_directory'`,
    );
    const [bin] = await storage.query<{ setting: string }>(
      `SELECT setting FROM pg_config WHERE name = 'BINDIR'`,
    );
    return { bin: bin!.setting, data: data!.setting, port: new URL(url).port, flags };
  } finally {
    await storage.close();
  }
}

// Backends of the killed postmaster notice its death and exit on their own; until the last one has
// left, the new postmaster refuses the shared memory block still in use, so starting is retried.
async function startInPlace(layout: Layout): Promise<ChildProcess> {
  const owner = await stat(layout.data);
  const runAs = process.getuid?.() === 0 ? { uid: owner.uid, gid: owner.gid } : {};
  for (let attempt = 0; ; attempt++) {
    const child = spawn(
      join(layout.bin, 'postgres'),
      [
        '-D',
        layout.data,
        '-p',
        layout.port,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        ...layout.flags,
      ],
      { cwd: dirname(layout.data), env: { ...process.env, LC_ALL: 'C' }, ...runAs },
    );
    try {
      await ready(child);
      return child;
    } catch (error) {
      if (attempt >= 50) throw error;
      await sleep(100);
    }
  }
}

function ready(child: ChildProcess): Promise<void> {
  let output = '';
  return new Promise((resolve, reject) => {
    const onClose = (code: number | null) => reject(new Error(`postgres exited with ${code}:\n${output}`));
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!output.includes('database system is ready to accept connections')) return;
      child.removeListener('close', onClose);
      child.stderr?.removeListener('data', onData);
      child.stderr?.resume();
      resolve();
    };
    child.once('error', reject);
    child.once('close', onClose);
    child.stdout?.resume();
    child.stderr?.on('data', onData);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
