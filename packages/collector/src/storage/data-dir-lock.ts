import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CollectorError } from '../errors.ts';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Takes the data directory for this process: PGlite must never run twice on one directory.
 * A lock left by a process that died (kill -9) is taken over.
 * @returns a function that releases the lock.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = join(dataDir, 'driftline.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
        throw new CollectorError(
          'data_dir_locked',
          409,
          `${dataDir} is in use by process ${pid} (PGlite allows one process per data directory). Stop that collector first, or use PostgreSQL (--database-url) to run several.`,
        );
      }
      await rm(file, { force: true });
    }
  }
  throw new CollectorError('data_dir_locked', 409, `Could not lock ${dataDir}; retry.`);
}
