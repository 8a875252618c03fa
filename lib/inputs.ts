/**
 * @internal Normalizes the many shapes forward() accepts into flat int32/int64 arrays with [batch, seqLen].
 * Typed arrays of the right type are passed through untouched (the native code reads them in place).
 */
import { albertError, ErrorCodes } from './errors';
import { Tensor } from './tensor';

/** A [batch, seqLen] integer matrix as forward() accepts it. */
export type IndexInput =
  | Tensor<'int32'>
  | Tensor<'int64'>
  | Tensor<'uint8'>
  | Tensor<'bool'>
  | readonly (readonly number[])[]
  | ((Int32Array | BigInt64Array) & { dims: readonly number[] })
  | { data: Int32Array | BigInt64Array | Uint8Array; dims: readonly number[] };

export interface Matrix {
  batch: number;
  seqLen: number;
  data: Int32Array | BigInt64Array;
  /** Set when the input was a ragged number[][]: each row's length before padding with 0 to seqLen. */
  rowLengths?: Int32Array;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function checkDims(name: string, dims: unknown): [number, number] {
  if (!Array.isArray(dims) || dims.length !== 2) {
    throw albertError(ErrorCodes.INVALID_INPUT, `${name} must have dims [batch, seqLen] (got ${JSON.stringify(dims)})`);
  }
  const [b, t] = dims as number[];
  if (!Number.isSafeInteger(b) || b < 0 || !Number.isSafeInteger(t) || t < 0) {
    throw albertError(ErrorCodes.INVALID_INPUT, `${name} dims [${String(b)}, ${String(t)}] must be non-negative integers`);
  }
  return [b, t];
}

function fromFlat(name: string, data: unknown, dims: unknown): Matrix {
  const [batch, seqLen] = checkDims(name, dims);
  let array: Int32Array | BigInt64Array;
  if (data instanceof Int32Array || data instanceof BigInt64Array) {
    array = data;
  } else if (data instanceof Uint8Array) {
    array = Int32Array.from(data);
  } else {
    throw albertError(ErrorCodes.INVALID_INPUT, `${name} data must be an Int32Array, BigInt64Array or Uint8Array`, true);
  }
  if (array.length !== batch * seqLen) {
    throw albertError(
      ErrorCodes.INVALID_INPUT,
      `${name} has ${array.length} elements but dims [${batch}, ${seqLen}] need ${batch * seqLen}`,
    );
  }
  return { batch, seqLen, data: array };
}

function fromNested(name: string, rows: readonly (readonly unknown[])[], allowRagged: boolean): Matrix {
  const batch = rows.length;
  let seqLen = 0;
  let ragged = false;
  for (let b = 0; b < batch; b++) {
    const row = rows[b];
    if (!Array.isArray(row) && !(row instanceof Int32Array)) {
      throw albertError(ErrorCodes.INVALID_INPUT, `${name}[${b}] is not an array`, true);
    }
    if (b > 0 && row.length !== seqLen) ragged = true;
    seqLen = Math.max(seqLen, row.length);
  }
  if (ragged && !allowRagged) {
    throw albertError(
      ErrorCodes.INVALID_INPUT,
      `${name} rows have different lengths: give inputIds ragged rows (padding is then implied) or pad them`,
    );
  }
  const data = new Int32Array(batch * seqLen);
  const rowLengths = ragged ? new Int32Array(batch) : undefined;
  for (let b = 0; b < batch; b++) {
    const row = rows[b];
    if (rowLengths) rowLengths[b] = row.length;
    for (let t = 0; t < row.length; t++) {
      let v: unknown = row[t];
      if (typeof v === 'bigint') v = Number(v);
      if (typeof v === 'boolean') v = v ? 1 : 0;
      if (typeof v !== 'number' || !Number.isInteger(v)) {
        throw albertError(ErrorCodes.INVALID_INPUT, `${name}[${b}][${t}] = ${String(row[t])} is not an integer`, true);
      }
      if (v < INT32_MIN || v > INT32_MAX) {
        throw albertError(ErrorCodes.INPUT_OUT_OF_RANGE, `${name}[${b}][${t}] = ${v} is out of range`);
      }
      data[b * seqLen + t] = v;
    }
  }
  return rowLengths ? { batch, seqLen, data, rowLengths } : { batch, seqLen, data };
}

/**
 * Reads one [batch, seqLen] input in any accepted form. With `allowRagged`, a number[][] whose rows differ in
 * length is padded with 0 to the longest row and its lengths are returned.
 */
export function toMatrix(name: string, value: unknown, allowRagged = false): Matrix {
  if (value instanceof Tensor) {
    if (!['int32', 'int64', 'uint8', 'bool'].includes(value.dtype)) {
      throw albertError(ErrorCodes.INVALID_INPUT, `${name} must be an int32, int64, uint8 or bool tensor (got ${value.dtype})`, true);
    }
    return fromFlat(name, value.data, value.dims);
  }
  if (Array.isArray(value)) return fromNested(name, value as unknown[][], allowRagged);
  if (value instanceof Int32Array || value instanceof BigInt64Array || value instanceof Uint8Array) {
    const dims = (value as unknown as { dims?: unknown }).dims;
    if (dims === undefined) {
      throw albertError(ErrorCodes.INVALID_INPUT, `${name} is a flat ${value.constructor.name}: give it a dims: [batch, seqLen] field`, true);
    }
    return fromFlat(name, value, dims);
  }
  if (value !== null && typeof value === 'object' && 'data' in value && 'dims' in value) {
    const v = value as { data: unknown; dims: unknown };
    return fromFlat(name, v.data, v.dims);
  }
  throw albertError(
    ErrorCodes.INVALID_INPUT,
    `${name} must be a Tensor, a number[][], or an Int32Array/BigInt64Array with dims (got ${describe(value)})`,
    true,
  );
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'an object';
  return typeof value;
}

/** A flat list of token values: an Int32Array/BigInt64Array (kept as is) or numbers (converted). */
export function toFlat(name: string, value: unknown): Int32Array | BigInt64Array {
  if (value instanceof Int32Array || value instanceof BigInt64Array) return value;
  if (Array.isArray(value)) {
    const out = new Int32Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (typeof v !== 'number' || !Number.isInteger(v)) {
        throw albertError(ErrorCodes.INVALID_INPUT, `${name}[${i}] = ${String(v)} is not an integer`, true);
      }
      if (v < INT32_MIN || v > INT32_MAX) throw albertError(ErrorCodes.INPUT_OUT_OF_RANGE, `${name}[${i}] = ${v} is out of range`);
      out[i] = v;
    }
    return out;
  }
  throw albertError(ErrorCodes.INVALID_INPUT, `${name} must be an Int32Array, a BigInt64Array or a number[] (got ${describe(value)})`, true);
}
