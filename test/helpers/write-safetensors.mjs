// Writes safetensors files (test helper: derived checkpoints such as fp16, sharded or broken ones).
import { writeFileSync } from 'node:fs';

const SIZES = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, U8: 1 };

/**
 * @param {Array<{ name: string, dtype: string, shape: number[], bytes: Uint8Array }>} tensors
 * @param {{ headerOverride?: (header: object) => object, metadata?: Record<string,string> }} options
 * @returns {Buffer}
 */
export function encodeSafetensors(tensors, { headerOverride, metadata } = {}) {
  const header = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    const expected = t.shape.reduce((a, b) => a * b, 1) * (SIZES[t.dtype] ?? 1);
    if (expected !== t.bytes.length && !headerOverride) throw new Error(`bad byte length for ${t.name}`);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  const json = Buffer.from(JSON.stringify(headerOverride ? headerOverride(header) : header), 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([prefix, json, ...tensors.map((t) => Buffer.from(t.bytes.buffer, t.bytes.byteOffset, t.bytes.length))]);
}

export function writeSafetensors(path, tensors, options) {
  writeFileSync(path, encodeSafetensors(tensors, options));
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 -> IEEE half bits, round to nearest even (normal and subnormal range). */
export function toHalf(value) {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const abs = x & 0x7fffffff;
  if (abs >= 0x7f800000) return sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 : 0);
  if (abs >= 0x477ff000) return sign | 0x7c00;
  if (abs < 0x38800000) {
    f32[0] = Math.abs(value) * 16777216;
    const r = Math.round(f32[0]);
    const nearestEven = f32[0] - Math.floor(f32[0]) === 0.5 && r % 2 === 1 ? r - 1 : r;
    return sign | nearestEven;
  }
  const odd = (abs >>> 13) & 1;
  return sign | (((abs + 0xfff + odd) - 0x38000000) >>> 13);
}

/** IEEE half bits -> float32. */
export function fromHalf(h) {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** float32 -> bfloat16 bits, round to nearest even. */
export function toBfloat16(value) {
  f32[0] = value;
  const x = u32[0];
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

export function fromBfloat16(b) {
  u32[0] = (b << 16) >>> 0;
  return f32[0];
}
