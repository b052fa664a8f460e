/// <reference lib="es2024.sharedmemory" />
import type { SerializedError } from '../errors.ts';
import type { NamedTensors, TensorData, TensorType } from '../tensor.ts';
import type { Result, RunMeta } from './messages.ts';

/**
 * The layout of the shared-memory data plane for `run` (used when the page is cross-origin
 * isolated): eight Int32 control words, then one message area that holds a request, and later its
 * answer, as a UTF-8 JSON header followed by the tensors' bytes, each aligned to 8.
 * One call is in the buffer at a time; the page queues the others.
 */
export const SHARED_RUN_BYTES = 1 << 20;

/** Control word indexes. */
export const REQUEST = 0; // sequence number of the latest request (written by the page)
export const ANSWER = 1; // sequence number of the latest answer (written by the worker)
const HEADER_BYTES = 2; // length of the JSON header of the message in the area
export const QUEUED = 3; // calls queued on the page behind the one in the buffer (written by the page)
const AREA = 32; // the message area's byte offset

type ArrayKind = 'f32' | 'i32' | 'i64' | 'u8';
type Ctor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => TensorData;
const ctors: Record<ArrayKind, Ctor> = {
  f32: Float32Array,
  i32: Int32Array,
  i64: BigInt64Array,
  u8: Uint8Array,
};

/**
 * One tensor in a header: name, array class, dims, declared type, byte offset (from the end of the
 * header, rounded up to 8), element count.
 */
type Entry = [string, ArrayKind, readonly number[], TensorType | null, number, number];

/** The header of a request. */
interface RequestHeader {
  id: number;
  meta: RunMeta;
  t: Entry[];
}

/** The header of an answer: outputs, an error, or `port` when the answer went over the MessagePort. */
type AnswerHeader = { t: Entry[] } | { error: SerializedError } | { port: true };

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const align = (n: number) => (n + 7) & ~7;

function kindOf(data: unknown): ArrayKind | undefined {
  if (data instanceof Float32Array) return 'f32';
  if (data instanceof Int32Array) return 'i32';
  if (data instanceof BigInt64Array) return 'i64';
  if (data instanceof Uint8Array) return 'u8';
  return undefined;
}

/** A message laid out and ready to copy into the area. */
export interface Packed {
  header: Uint8Array;
  tensors: TensorData[];
  entries: Entry[];
  bytes: number;
}

/**
 * Lays out `tensors` with `extra` header fields; undefined when something is not a tensor this
 * codec carries (the MessagePort path then takes the call, and the worker's checks answer it).
 */
function pack(tensors: NamedTensors, extra: Record<string, unknown>): Packed | undefined {
  const names = Object.keys(tensors);
  const entries: Entry[] = [];
  const datas: TensorData[] = [];
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    const kind = kindOf(t?.data);
    if (!t || !kind || !Array.isArray(t.dims)) return undefined;
    entries.push([name, kind, t.dims, t.type ?? null, offset, t.data.length]);
    datas.push(t.data);
    offset += align(t.data.byteLength);
  }
  const header = encoder.encode(JSON.stringify({ ...extra, t: entries }));
  return { header, tensors: datas, entries, bytes: align(header.byteLength) + offset };
}

/** Packs a request; undefined when it cannot travel in shared memory (see {@link pack}). */
export function packRequest(id: number, inputs: NamedTensors, meta: RunMeta): Packed | undefined {
  return pack(inputs, { id, meta });
}

/** Whether a packed message fits the buffer's message area. */
export function fits(buffer: SharedArrayBuffer, packed: Packed): boolean {
  return packed.bytes <= buffer.byteLength - AREA;
}

/** Copies a packed message into the area and records its header length. */
export function write(buffer: SharedArrayBuffer, packed: Packed): void {
  const area = new Uint8Array(buffer, AREA);
  area.set(packed.header);
  const start = align(packed.header.byteLength);
  packed.tensors.forEach((data, i) => {
    area.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), start + packed.entries[i]![4]);
  });
  new Int32Array(buffer, 0, 8)[HEADER_BYTES] = packed.header.byteLength;
}

/** The header of the message in the area, and where its tensors start. */
function readHeader<T>(buffer: SharedArrayBuffer): [T, number] {
  const length = new Int32Array(buffer, 0, 8)[HEADER_BYTES]!;
  const header = JSON.parse(decoder.decode(new Uint8Array(buffer, AREA, length).slice())) as T;
  return [header, AREA + align(length)];
}

/** Copies the tensors of a header out of shared memory into arrays of their own. */
function unpack(buffer: SharedArrayBuffer, start: number, entries: Entry[]): NamedTensors {
  const out: NamedTensors = {};
  for (const [name, kind, dims, type, offset, length] of entries) {
    const data = new ctors[kind](buffer, start + offset, length).slice() as TensorData;
    out[name] = type ? { data, dims, type } : { data, dims };
  }
  return out;
}

/** Reads the request in the area (the worker side). */
export function readRequest(buffer: SharedArrayBuffer): { id: number; inputs: NamedTensors; meta: RunMeta } {
  const [header, start] = readHeader<RequestHeader>(buffer);
  return { id: header.id, inputs: unpack(buffer, start, header.t), meta: header.meta };
}

/**
 * Writes an answer into the area (the worker side); returns false, having written nothing, when
 * the outputs do not fit, so that the caller sends them over the MessagePort instead.
 */
export function writeAnswer(buffer: SharedArrayBuffer, result: Result<NamedTensors>): boolean {
  const packed = result.ok ? pack(result.value, {}) : pack({}, { error: result.error });
  if (!packed || !fits(buffer, packed)) return false;
  write(buffer, packed);
  return true;
}

/** Marks the answer as sent over the MessagePort. */
export function writePortAnswer(buffer: SharedArrayBuffer): void {
  write(buffer, { header: encoder.encode('{"port":true}'), tensors: [], entries: [], bytes: 0 });
}

/** Reads the answer in the area (the page side): a result, or `port` when it comes on the port. */
export function readAnswer(buffer: SharedArrayBuffer): Result<NamedTensors> | 'port' {
  const [header, start] = readHeader<AnswerHeader>(buffer);
  if ('port' in header) return 'port';
  if ('error' in header) return { ok: false, error: header.error };
  return { ok: true, value: unpack(buffer, start, header.t) };
}
