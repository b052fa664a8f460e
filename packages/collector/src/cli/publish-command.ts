import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { decodeProfile, fromBase64, toBase64 } from '@driftline/protocol';
import { CollectorError } from '../errors.ts';
import { type Args, flag, UsageError } from './args.ts';
import { request, target } from './remote.ts';

interface LocalFile {
  path: string;
  bytes: Uint8Array;
  sha256: string;
}

const exists = (p: string) =>
  stat(p).then(
    (s) => s,
    () => null,
  );

async function load(file: string, path: string): Promise<LocalFile> {
  const bytes = new Uint8Array(await readFile(file));
  return { path, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** The files of a model at `path`: one .onnx, or a TF.js model.json with the shards it names. */
export async function modelFiles(
  path: string,
  format?: string,
): Promise<{ format: 'onnx' | 'tfjs'; files: LocalFile[] }> {
  const s = await exists(path);
  if (!s) throw new UsageError(`${path} does not exist.`);
  let onnx: string | null = null;
  let modelJson: string | null = null;
  if (s.isFile()) {
    if (path.endsWith('.onnx')) onnx = path;
    else if (basename(path) === 'model.json') modelJson = path;
    else throw new UsageError(`${path} is neither a .onnx file nor a TF.js model.json.`);
  } else {
    if (format !== 'tfjs' && (await exists(join(path, 'model.onnx')))) onnx = join(path, 'model.onnx');
    for (const p of [join(path, 'model.json'), join(path, 'tfjs', 'model.json')]) {
      if (!modelJson && format !== 'onnx' && (await exists(p))) modelJson = p;
    }
  }
  if (onnx && format !== 'tfjs') return { format: 'onnx', files: [await load(onnx, basename(onnx))] };
  if (!modelJson)
    throw new UsageError(
      `No model.onnx or model.json found at ${path}${format ? ` for --format ${format}` : ''}.`,
    );
  const json = await load(modelJson, 'model.json');
  const manifest = JSON.parse(new TextDecoder().decode(json.bytes)) as {
    weightsManifest?: { paths: string[] }[];
  };
  const files = [json];
  for (const group of manifest.weightsManifest ?? []) {
    for (const p of group.paths) {
      const file = join(dirname(modelJson), p);
      if (relative(dirname(modelJson), file).startsWith('..'))
        throw new UsageError(`model.json names a file outside its folder: ${p}`);
      files.push(await load(file, p));
    }
  }
  return { format: 'tfjs', files };
}

/** Reads a reference profile: encoded bytes, base64 text, or JSON `{ "profile": "<base64>" }`. */
export async function readReference(file: string): Promise<string> {
  const bytes = new Uint8Array(await readFile(file));
  const tries = [
    () => bytes,
    () => fromBase64(new TextDecoder().decode(bytes).trim()),
    () => fromBase64((JSON.parse(new TextDecoder().decode(bytes)) as { profile: string }).profile),
  ];
  for (const t of tries) {
    try {
      const b = t();
      decodeProfile(b);
      return toBase64(b);
    } catch {}
  }
  throw new UsageError(`${file} is not a reference profile (encoded bytes, base64, or {"profile": base64}).`);
}

/**
 * Reads a model schema file (JSON). Only its syntax is checked here: the collector checks its shape
 * and that it fits the model's tensors, and answers `invalid_schema` / `schema_mismatch`.
 */
export async function readSchema(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`Cannot read the schema file ${file}: ${err.code ?? err.message}.`);
  });
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(
      `${file} is not JSON (${(err as Error).message}); give the model schema as a JSON object.`,
    );
  }
}

const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;

/** Draws a progress bar on stderr (redrawn in place on a terminal, one line per file otherwise). */
function progress(label: string, total: number) {
  const tty = process.stderr.isTTY === true;
  let last = -1;
  return (done: number, note = '') => {
    const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
    if (pct === last || (!tty && pct < 100)) return;
    last = pct;
    const width = 24;
    const fill = Math.round((pct / 100) * width);
    const line = `${label.padEnd(28).slice(0, 28)} [${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${String(pct).padStart(3)}% ${kb(done)}/${kb(total)}${note}`;
    process.stderr.write(tty ? `\r${line}${pct === 100 ? '\n' : ''}` : `${line}\n`);
  };
}

/** PUTs one file to /v1/artifacts/:sha256 as a stream, reporting bytes as the request body is read. */
async function upload(args: Args, f: LocalFile): Promise<void> {
  const { url, key } = target(args);
  const draw = progress(f.path, f.bytes.length);
  const head = await fetch(new URL(`/v1/artifacts/${f.sha256}`, url), { method: 'HEAD' });
  if (head.ok) {
    draw(f.bytes.length, ' (already stored)');
    return;
  }
  const chunk = 64 * 1024;
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= f.bytes.length) {
        controller.close();
        return;
      }
      const part = f.bytes.subarray(sent, sent + chunk);
      sent += part.length;
      draw(sent);
      controller.enqueue(part);
    },
  });
  const res = await fetch(new URL(`/v1/artifacts/${f.sha256}`, url), {
    method: 'PUT',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/octet-stream',
      'content-length': String(f.bytes.length),
    },
    body,
    duplex: 'half',
  } as RequestInit);
  if (!res.ok) {
    const e = ((await res.json().catch(() => ({}))) as { error?: { code: string; message: string } }).error;
    throw new CollectorError(e?.code ?? 'http_error', res.status, e?.message ?? res.statusText);
  }
  draw(f.bytes.length);
}

/**
 * `driftline publish <path> --model M --version V [--format onnx|tfjs] [--reference file] [--schema file] [--notes T]`:
 * uploads each file (progress bar on stderr, files the collector has are skipped), then publishes
 * the version by their hashes.
 */
export async function publishCommand(args: Args): Promise<number> {
  const path = args.positionals[1];
  const model = flag(args, 'model');
  const version = flag(args, 'version');
  if (!path || !model || !version)
    throw new UsageError('publish needs <path> --model NAME --version SEMVER.');
  const format = flag(args, 'format');
  if (format !== undefined && format !== 'onnx' && format !== 'tfjs')
    throw new UsageError('--format must be onnx or tfjs.');
  const local = await modelFiles(path, format);
  const refFile = flag(args, 'reference');
  const reference = refFile ? await readReference(refFile) : undefined;
  const schemaFile = flag(args, 'schema');
  const schema = schemaFile ? await readSchema(schemaFile) : undefined;
  for (const f of local.files) await upload(args, f);
  const answer = (await request(args, 'POST', `/v1/models/${encodeURIComponent(model)}/versions`, {
    version,
    format: local.format,
    files: local.files.map((f) => ({ path: f.path, sha256: f.sha256, size: f.bytes.length })),
    ...(reference ? { reference } : {}),
    ...(schema !== undefined ? { schema } : {}),
    ...(flag(args, 'notes') ? { notes: flag(args, 'notes') } : {}),
  })) as { created: boolean; stable: boolean };
  console.log(
    `${model}@${version} (${local.format}, ${local.files.length} file${local.files.length > 1 ? 's' : ''}) ${answer.created ? 'published' : 'was already published with these files'}${answer.stable ? '; it is the stable version' : ''}.`,
  );
  return 0;
}
