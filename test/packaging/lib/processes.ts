import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';

const live = new Set<ChildProcess>();

/** The environment for npm and the tools it starts: pnpm's own npm_* variables left out. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const lower = key.toLowerCase();
    if (lower.startsWith('npm_') && lower !== 'npm_config_registry') continue;
    if (lower === 'init_cwd' || lower === 'pnpm_script_src_dir') continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** Starts a command in its own process group, so that it and its children can be stopped together. */
export function start(command: string, args: string[], options: SpawnOptions): ChildProcess {
  const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Stops a process group started by {@link start}: SIGTERM, then SIGKILL after `graceMs`. */
export async function stop(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  signal(child, 'SIGTERM');
  const timer = setTimeout(() => signal(child, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

function signal(child: ChildProcess, name: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, name);
  } catch {
    // The group is already gone.
  }
}

/** Stops every process group this suite started and has not stopped yet. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((child) => stop(child)));
}

/** Kills every live process group at once, synchronously: for `process.on('exit')`. */
export function killAllNow(): void {
  for (const child of live) signal(child, 'SIGKILL');
}

export interface ExecOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Runs a command to completion; a non-zero exit or a timeout throws with the command's output. */
export async function exec(
  command: string,
  args: string[],
  { cwd, env = cleanEnv(), timeoutMs = 180_000 }: ExecOptions,
): Promise<{ stdout: string; stderr: string }> {
  const child = start(command, args, { cwd, env });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void stop(child);
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  }).finally(() => clearTimeout(timer));
  if (code !== 0 || timedOut) {
    const why = timedOut ? `timed out after ${timeoutMs / 1000}s` : `exited with ${code}`;
    throw new Error(
      `\`${command} ${args.join(' ')}\` in ${cwd} ${why}\n--- stdout\n${tail(stdout)}\n--- stderr\n${tail(stderr)}`,
    );
  }
  return { stdout, stderr };
}

/** The last `lines` lines of a command's output. */
export function tail(text: string, lines = 40): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** `text` without ANSI escape sequences (colours, bold). */
export function stripAnsi(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC is what is being removed
  return text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
}

/** Resolves with the first match of `pattern` in a stream's output, or rejects on exit or timeout. */
export function waitForLine(
  child: ChildProcess,
  pattern: RegExp,
  timeoutMs: number,
): Promise<{ match: RegExpMatchArray; output: () => string }> {
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no line matching ${pattern} within ${timeoutMs / 1000}s:\n${tail(output)}`)),
      timeoutMs,
    );
    const onData = (d: Buffer) => {
      output += d;
      // Tools colour their output when `CI` is set (picocolors, chalk): Vite prints the port of
      // `http://127.0.0.1:5173/` in bold, so the pattern is matched against the text without ANSI codes.
      const match = stripAnsi(output).match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve({ match, output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code ?? sig}) before printing ${pattern}:\n${tail(output)}`));
    });
  });
}
