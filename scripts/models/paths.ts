import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
/** Folder the demo serves as its web root. */
export const PUBLIC_DIR = join(REPO_ROOT, 'demo', 'public');
/** The committed held-out digits. */
export const HELDOUT_PATH = join(PUBLIC_DIR, 'data', 'heldout.bin');

/** Folder of one model version: `demo/public/models/<name>/<version>`. */
export function versionDir(name: string, version: string): string {
  return join(PUBLIC_DIR, 'models', name, version);
}
