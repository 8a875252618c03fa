// Reads a little-endian float32 / int NumPy .npy file (format versions 1-3) into a typed array and its shape.
import { readFileSync } from 'node:fs';

export function readNpy(path) {
  const bytes = readFileSync(path);
  if (bytes.subarray(0, 6).toString('latin1') !== '\x93NUMPY') throw new Error(`${path}: not a .npy file`);
  const major = bytes[6];
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = bytes.subarray(start, start + headerLength).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${path}: Fortran order is not supported`);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const data = bytes.subarray(start + headerLength);
  const copy = data.buffer.slice(data.byteOffset, data.byteOffset + data.length);
  const types = { '<f4': Float32Array, '<i4': Int32Array, '<i8': BigInt64Array, '<f8': Float64Array };
  if (!types[descr]) throw new Error(`${path}: dtype ${descr} is not supported`);
  return { data: new types[descr](copy), shape };
}
