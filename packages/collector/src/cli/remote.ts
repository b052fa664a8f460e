import { CollectorError } from '../errors.ts';
import { type Args, flag, UsageError } from './args.ts';

/** Where and as whom the CLI talks to a collector: `--url`/`--key` or DRIFTLINE_URL/DRIFTLINE_KEY. */
export function target(args: Args): { url: string; key: string } {
  const url = flag(args, 'url') ?? process.env.DRIFTLINE_URL ?? 'http://127.0.0.1:8787';
  const key = flag(args, 'key') ?? process.env.DRIFTLINE_KEY;
  if (!key)
    throw new UsageError(
      'Give a key with --key or DRIFTLINE_KEY (a read key for queries, an admin key for changes).',
    );
  return { url, key };
}

/** One JSON request to the collector; an error answer becomes a CollectorError with its code. */
export async function request(args: Args, method: string, path: string, body?: unknown): Promise<unknown> {
  const { url, key } = target(args);
  const res = await fetch(new URL(path, url), {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  const json = text ? (JSON.parse(text) as { error?: { code: string; message: string } }) : {};
  if (!res.ok) {
    throw new CollectorError(
      json.error?.code ?? 'http_error',
      res.status,
      json.error?.message ?? res.statusText,
    );
  }
  return json;
}
