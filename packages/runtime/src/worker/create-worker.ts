/**
 * The runtime's module worker. Without `assetBase` it is created with the exact expression webpack 5,
 * Vite, Rollup, Parcel and Next.js recognise, so each bundles `worker.js` (next to this file in the
 * package) as a worker entry and rewrites the URL; keep it literal. With `assetBase` it is the
 * self-contained `worker.js` that `driftline-runtime copy-assets` put there.
 */
export function createModuleWorker(assetBase: string | undefined): Worker {
  if (assetBase !== undefined)
    return new Worker(new URL('worker.js', assetBase), { type: 'module', name: 'driftline' });
  return new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'driftline' });
}
