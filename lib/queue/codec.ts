/**
 * @internal How a batch's outcome is stored in Redis: JSON, with Tensors and TypedArrays as base64 of their
 * bytes and non-finite numbers (and -0) spelled out, so what the collector decodes equals, value for value,
 * what the worker's pipeline returned.
 */
import { albertError, ErrorCodes } from '../errors';
import { Tensor, type DataType } from '../tensor';

/** A batch's stored outcome: its rows' results, or the one error that failed the whole batch. */
export type BatchRecord =
  | { v: 1; ok: true; first: number; results: unknown[] }
  | { v: 1; ok: false; first: number; count: number; error: { code: string; message: string } };

const TYPED: Record<string, new (buffer: ArrayBuffer) => ArrayBufferView> = {
  Float32Array,
  Float64Array,
  Int8Array,
  Uint8Array,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  BigInt64Array,
  BigUint64Array,
};

function bytes(view: ArrayBufferView): string {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('base64');
}

function typed(name: string, base64: string): ArrayBufferView {
  const Ctor = TYPED[name];
  if (!Ctor) throw albertError(ErrorCodes.INTERNAL, `unknown typed array ${name} in a stored result`);
  const buf = Buffer.from(base64, 'base64');
  const copy = new ArrayBuffer(buf.byteLength); // aligned, and owned by the value
  new Uint8Array(copy).set(buf);
  return new Ctor(copy);
}

function replacer(this: unknown, key: string, value: unknown): unknown {
  // `value` may already be toJSON()'d; the holder's own property is the original.
  const original = this !== null && typeof this === 'object' ? (this as Record<string, unknown>)[key] : value;
  if (original instanceof Tensor) {
    return { $tensor: [original.dtype, original.dims, original.data.constructor.name, bytes(original.data)] };
  }
  if (ArrayBuffer.isView(original) && !(original instanceof DataView)) {
    return { $typed: [original.constructor.name, bytes(original)] };
  }
  if (typeof value === 'number' && (!Number.isFinite(value) || Object.is(value, -0))) return { $number: String(value) };
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const v = value as Record<string, unknown>;
  if (Array.isArray(v.$tensor)) {
    const [dtype, dims, ctor, base64] = v.$tensor as [DataType, number[], string, string];
    return new Tensor(dtype, typed(ctor, base64) as never, dims);
  }
  if (Array.isArray(v.$typed)) {
    const [ctor, base64] = v.$typed as [string, string];
    return typed(ctor, base64);
  }
  if (typeof v.$number === 'string') return v.$number === '-0' ? -0 : Number(v.$number);
  if (typeof v.$bigint === 'string') return BigInt(v.$bigint);
  return value;
}

/** @internal */
export function encodeRecord(record: BatchRecord): string {
  return JSON.stringify(record, replacer);
}

/** @internal */
export function decodeRecord(text: string, where: string): BatchRecord {
  let record: BatchRecord;
  try {
    record = JSON.parse(text, reviver) as BatchRecord;
  } catch (error) {
    throw albertError(ErrorCodes.INVALID_JSON, `${where}: the stored result is not valid JSON (${(error as Error).message})`);
  }
  if (record === null || typeof record !== 'object' || record.v !== 1 || typeof record.ok !== 'boolean') {
    throw albertError(ErrorCodes.INVALID_INPUT, `${where}: the stored value is not an albert-node batch record`);
  }
  return record;
}
