/// <reference lib="es2024.sharedmemory" />
import type { SerializedError } from '../errors.ts';
import type { NamedTensors, TensorData, TensorType } from '../tensor.ts';
import type { Result, RunMeta } from './messages.ts';

/**
 * The layout of the shared-memory data plane for `run` (used when the page is cross-origin
 * isolated): eight Int32 control words, then one message area that holds a request, and later its
 * answer. One call is in the buffer at a time; the page queues the others.
 *
 * A message is a binary header, then the tensors' bytes, each aligned to 8:
 * - Int32 words: kind (request, outputs, error, port), call id, tensor count, text length, then per
 *   tensor: array class, declared type (-1 when none), byte offset from the data start, element
 *   count, name length, rank, dims…
 * - UTF-16 text: every tensor name, then the request's meta or the answer's error as JSON (none
 *   when the meta is empty).
 * A binary header rather than JSON keeps the per-call cost to a few microseconds each way.
 */
export const SHARED_RUN_BYTES = 1 << 20;

/** Control word indexes. */
export const REQUEST = 0; // sequence number of the latest request (written by the page)
export const ANSWER = 1; // sequence number of the latest answer (written by the worker)
export const QUEUED = 2; // calls queued on the page behind the one in the buffer (written by the page)
const AREA = 32; // the message area's byte offset

/** What a message in the area is. */
const Kind = { Request: 0, Outputs: 1, Error: 2, Port: 3 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

type Ctor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => TensorData;
const arrays: Ctor[] = [Float32Array, Int32Array, BigInt64Array, Uint8Array];
const types: TensorType[] = ['float32', 'int32', 'int64', 'uint8', 'bool'];

function arrayIndex(data: unknown): number {
  if (data instanceof Float32Array) return 0;
  if (data instanceof Int32Array) return 1;
  if (data instanceof BigInt64Array) return 2;
  if (data instanceof Uint8Array) return 3;
  return -1;
}

const align = (n: number) => (n + 7) & ~7;
const isDim = (d: unknown) => Number.isInteger(d) && (d as number) >= 0 && (d as number) < 2 ** 31;

/** A message laid out and ready to copy into the area. */
export interface Packed {
  kind: Kind;
  id: number;
  names: string[];
  tensors: Array<{ array: number; type: number; dims: readonly number[]; data: TensorData }>;
  text: string;
  /** Int32 words of the header, UTF-16 units of its text, and the bytes of the whole message. */
  words: number;
  units: number;
  bytes: number;
}

/**
 * Lays out a message; undefined when something is not a tensor this codec carries (the MessagePort
 * path then takes the call, and the worker's checks answer it).
 */
function pack(kind: Kind, id: number, tensors: NamedTensors, text: string): Packed | undefined {
  const names = Object.keys(tensors);
  const laid: Packed['tensors'] = [];
  let words = 4;
  let units = text.length;
  let data = 0;
  for (const name of names) {
    const t = tensors[name];
    const array = arrayIndex(t?.data);
    const type = t?.type === undefined ? -1 : types.indexOf(t.type);
    if (!t || array < 0 || (t.type !== undefined && type < 0)) return undefined;
    if (!Array.isArray(t.dims) || !t.dims.every(isDim)) return undefined;
    laid.push({ array, type, dims: t.dims, data: t.data });
    words += 6 + t.dims.length;
    units += name.length;
    data += align(t.data.byteLength);
  }
  const bytes = align(words * 4 + units * 2) + data;
  return { kind, id, names, tensors: laid, text, words, units, bytes };
}

/** Packs a request; undefined when it cannot travel in shared memory (see {@link pack}). */
export function packRequest(id: number, inputs: NamedTensors, meta: RunMeta): Packed | undefined {
  return pack(Kind.Request, id, inputs, Object.keys(meta).length ? JSON.stringify(meta) : '');
}

/** Whether a packed message fits the buffer's message area. */
export function fits(buffer: SharedArrayBuffer, packed: Packed): boolean {
  return packed.bytes <= buffer.byteLength - AREA;
}

/** Copies a packed message into the area. */
export function write(buffer: SharedArrayBuffer, packed: Packed): void {
  const head = new Int32Array(buffer, AREA, packed.words);
  const text = new Uint16Array(buffer, AREA + packed.words * 4, packed.units);
  const bytes = new Uint8Array(buffer, AREA);
  const start = align(packed.words * 4 + packed.units * 2);
  head[0] = packed.kind;
  head[1] = packed.id;
  head[2] = packed.tensors.length;
  head[3] = packed.text.length;
  let w = 4;
  let u = 0;
  let offset = 0;
  packed.tensors.forEach((t, i) => {
    const name = packed.names[i]!;
    head[w++] = t.array;
    head[w++] = t.type;
    head[w++] = offset;
    head[w++] = t.data.length;
    head[w++] = name.length;
    head[w++] = t.dims.length;
    for (const d of t.dims) head[w++] = d;
    for (let k = 0; k < name.length; k++) text[u++] = name.charCodeAt(k);
    bytes.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), start + offset);
    offset += align(t.data.byteLength);
  });
  for (let k = 0; k < packed.text.length; k++) text[u++] = packed.text.charCodeAt(k);
}

/** Reads `n` UTF-16 units from `text` at `from`, in chunks small enough for `fromCharCode`. */
function decode(text: Uint16Array, from: number, n: number): string {
  let s = '';
  if (n <= 64) {
    for (let i = from; i < from + n; i++) s += String.fromCharCode(text[i]!);
    return s;
  }
  for (let i = from; i < from + n; i += 4096) {
    s += String.fromCharCode(...text.subarray(i, Math.min(from + n, i + 4096)));
  }
  return s;
}

/** Reads the message in the area; its tensors are copied into arrays of their own. */
function read(buffer: SharedArrayBuffer): { kind: Kind; id: number; tensors: NamedTensors; text: string } {
  const head = new Int32Array(buffer, AREA, (buffer.byteLength - AREA) >> 2);
  const count = head[2]!;
  let words = 4;
  let units = head[3]!;
  for (let i = 0; i < count; i++) {
    units += head[words + 4]!;
    words += 6 + head[words + 5]!;
  }
  const text = new Uint16Array(buffer, AREA + words * 4, units);
  const start = AREA + align(words * 4 + units * 2);
  const tensors: NamedTensors = {};
  let w = 4;
  let u = 0;
  for (let i = 0; i < count; i++) {
    const type = head[w + 1]!;
    const nameLength = head[w + 4]!;
    const rank = head[w + 5]!;
    const dims: number[] = [];
    for (let k = 0; k < rank; k++) dims.push(head[w + 6 + k]!);
    const data = new arrays[head[w]!]!(buffer, start + head[w + 2]!, head[w + 3]!).slice() as TensorData;
    w += 6 + rank;
    const name = decode(text, u, nameLength);
    u += nameLength;
    const tensor = type >= 0 ? { data, dims, type: types[type]! } : { data, dims };
    // An own property even for the name `__proto__`, as structured clone would make it.
    Object.defineProperty(tensors, name, {
      value: tensor,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return { kind: head[0] as Kind, id: head[1]!, tensors, text: decode(text, u, units - u) };
}

/** Reads the request in the area (the worker side). */
export function readRequest(buffer: SharedArrayBuffer): { id: number; inputs: NamedTensors; meta: RunMeta } {
  const { id, tensors, text } = read(buffer);
  return { id, inputs: tensors, meta: text ? (JSON.parse(text) as RunMeta) : {} };
}

/**
 * Writes an answer into the area (the worker side); returns false, having written nothing, when
 * the outputs do not fit, so that the caller sends them over the MessagePort instead.
 */
export function writeAnswer(buffer: SharedArrayBuffer, result: Result<NamedTensors>): boolean {
  const packed = result.ok
    ? pack(Kind.Outputs, 0, result.value, '')
    : pack(Kind.Error, 0, {}, JSON.stringify(result.error));
  if (!packed || !fits(buffer, packed)) return false;
  write(buffer, packed);
  return true;
}

/** Marks the answer as sent over the MessagePort. */
export function writePortAnswer(buffer: SharedArrayBuffer): void {
  write(buffer, pack(Kind.Port, 0, {}, '')!);
}

/** Reads the answer in the area (the page side): a result, or `port` when it comes on the port. */
export function readAnswer(buffer: SharedArrayBuffer): Result<NamedTensors> | 'port' {
  const { kind, tensors, text } = read(buffer);
  if (kind === Kind.Port) return 'port';
  if (kind === Kind.Error) return { ok: false, error: JSON.parse(text) as SerializedError };
  return { ok: true, value: tensors };
}
