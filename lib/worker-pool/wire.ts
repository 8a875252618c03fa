/**
 * @internal What crosses between the pool and its workers: pipeline results with their Tensors flattened to
 * plain objects (structured clone keeps no classes) and their buffers transferred, and errors as code + message.
 */
import { albertError, ErrorCodes, isAlbertNodeError, type ErrorCode } from '../errors';
import { Tensor, type DataType } from '../tensor';

interface WireTensor {
  __albertTensor: true;
  dtype: DataType;
  dims: number[];
  data: ArrayBufferView;
}

export interface WireError {
  code: string;
  message: string;
}

/** Replaces Tensors (anywhere in arrays and plain objects) by wire objects; collects their buffers to transfer. */
export function toWire(value: unknown, transfer: ArrayBuffer[]): unknown {
  if (value instanceof Tensor) {
    const data = value.data as ArrayBufferView;
    if (data.buffer instanceof ArrayBuffer && !transfer.includes(data.buffer)) transfer.push(data.buffer);
    return { __albertTensor: true, dtype: value.dtype, dims: [...value.dims], data } satisfies WireTensor;
  }
  if (Array.isArray(value)) return value.map((v) => toWire(v, transfer));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toWire(v, transfer)]));
  }
  return value;
}

/** Rebuilds the Tensors toWire() flattened. */
export function fromWire(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromWire);
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    const wire = value as Partial<WireTensor>;
    if (wire.__albertTensor === true) return new Tensor(wire.dtype as DataType, wire.data as never, wire.dims);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromWire(v)]));
  }
  return value;
}

export function errorToWire(error: unknown): WireError {
  if (isAlbertNodeError(error)) return { code: error.code, message: error.message };
  return { code: ErrorCodes.INTERNAL, message: error instanceof Error ? error.message : String(error) };
}

export function errorFromWire(error: WireError): Error {
  const known = (Object.values(ErrorCodes) as string[]).includes(error.code);
  return albertError((known ? error.code : ErrorCodes.INTERNAL) as ErrorCode, error.message);
}
