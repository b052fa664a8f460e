import type { CacheStorageLike } from './file-cache.ts';

/**
 * Cache Storage kept in memory: a stand-in where a context has no `caches` (Node, unit tests).
 * Matches by exact URL, which is all the model store asks of it.
 */
export class MemoryCaches implements CacheStorageLike {
  readonly entries = new Map<string, Uint8Array>();

  async open(): Promise<Cache> {
    const { entries } = this;
    const key = (request: RequestInfo | URL) => (typeof request === 'string' ? request : String(request));
    return {
      async match(request: RequestInfo | URL) {
        const bytes = entries.get(key(request));
        return bytes ? new Response(bytes.slice()) : undefined;
      },
      async put(request: RequestInfo | URL, response: Response) {
        entries.set(key(request), new Uint8Array(await response.arrayBuffer()));
      },
    } as Cache;
  }
}
