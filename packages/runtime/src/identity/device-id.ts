import { openDB } from 'idb';

const DB = 'driftline-identity';

/**
 * A random install id kept in IndexedDB: the same for every tab of this origin until site data is
 * cleared. Nothing about the device goes into it (no fingerprinting).
 */
export async function deviceId(): Promise<string> {
  const db = await openDB(DB, 1, {
    upgrade(d) {
      d.createObjectStore('identity');
    },
  });
  try {
    const tx = db.transaction('identity', 'readwrite');
    let id = (await tx.store.get('deviceId')) as string | undefined;
    if (!id) {
      id = crypto.randomUUID();
      await tx.store.put(id, 'deviceId');
    }
    await tx.done;
    return id;
  } finally {
    db.close();
  }
}
