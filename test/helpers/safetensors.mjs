// Reads a safetensors file into typed arrays (test helper: goldens and fixtures).
import { readFileSync } from 'node:fs';

const TYPED = {
  F32: Float32Array,
  F64: Float64Array,
  I64: BigInt64Array,
  I32: Int32Array,
  U8: Uint8Array,
};

/** @returns {Map<string, { dtype: string, shape: number[], data: ArrayLike<number|bigint> }>} */
export function readSafetensors(path) {
  const bytes = readFileSync(path);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
  const dataStart = 8 + headerLength;
  const tensors = new Map();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const Typed = TYPED[entry.dtype];
    if (!Typed) throw new Error(`unsupported dtype ${entry.dtype} in ${path}`);
    const [begin, end] = entry.data_offsets;
    const slice = bytes.subarray(dataStart + begin, dataStart + end);
    const copy = new Uint8Array(slice); // aligned copy
    tensors.set(name, { dtype: entry.dtype, shape: entry.shape, data: new Typed(copy.buffer, 0, (end - begin) / Typed.BYTES_PER_ELEMENT) });
  }
  return tensors;
}
