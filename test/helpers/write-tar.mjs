// Builds small tar / tar.gz archives in memory (test helper: crafted good and bad archives for lib/archive.ts).
import { gzipSync } from 'node:zlib';

const BLOCK = 512;

function writeString(block, offset, length, text) {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > length) throw new Error(`write-tar: ${JSON.stringify(text)} does not fit in ${length} bytes`);
  bytes.copy(block, offset);
}

/** An octal field of `length` bytes (digits, then NUL), or GNU base-256 when the value needs it. */
function writeNumber(block, offset, length, value) {
  const big = BigInt(value);
  if (big >= 0n && big < 8n ** BigInt(length - 1)) {
    writeString(block, offset, length, big.toString(8).padStart(length - 1, '0'));
    return;
  }
  // Base-256: two's complement, high bit of the first byte set.
  let v = big < 0n ? (1n << BigInt(8 * length)) + big : big;
  for (let i = length - 1; i >= 0; i--) {
    block[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
  block[offset] |= 0x80;
}

/**
 * One 512-byte header. `size` may be a number or bigint; `rawSize` (Buffer of 12) overrides the size field;
 * `checksum: 'signed'` writes the signed-char sum, `checksum: number` writes that value, `magic: 'gnu'` writes
 * the old GNU magic ("ustar  \0") instead of POSIX ustar.
 */
export function tarHeader({ name, size = 0, type = '0', linkName = '', prefix = '', mode = 0o644, magic = 'ustar', rawSize, checksum, extra }) {
  const block = Buffer.alloc(BLOCK);
  writeString(block, 0, 100, name);
  writeNumber(block, 100, 8, mode);
  writeNumber(block, 108, 8, 0);
  writeNumber(block, 116, 8, 0);
  if (rawSize) rawSize.copy(block, 124);
  else writeNumber(block, 124, 12, size);
  writeNumber(block, 136, 12, 1_700_000_000);
  block.write(type, 156, 'latin1');
  writeString(block, 157, 100, linkName);
  if (magic === 'gnu') block.write('ustar  \0', 257, 'latin1');
  else {
    block.write('ustar\0', 257, 'latin1');
    block.write('00', 263, 'latin1');
  }
  writeString(block, 345, 155, prefix);
  if (extra) extra(block);
  block.fill(0x20, 148, 156);
  let unsigned = 0;
  let signed = 0;
  for (const byte of block) {
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  const sum = typeof checksum === 'number' ? checksum : checksum === 'signed' ? signed : unsigned;
  // Checksums are six octal digits, NUL, space (what GNU tar writes); a negative signed sum is written as 0.
  block.write(`${Math.max(sum, 0).toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

function padded(data) {
  const rest = data.length % BLOCK;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(BLOCK - rest)]);
}

/**
 * A tar stream from entries `{ name, data?, type?, ...header fields }` (data: string or Buffer; size defaults to
 * its length) and raw Buffers (written as they are). `end: false` leaves out the two zero blocks.
 */
export function tar(entries, { end = true } = {}) {
  const parts = [];
  for (const entry of entries) {
    if (Buffer.isBuffer(entry)) {
      parts.push(entry);
      continue;
    }
    const data = entry.data === undefined ? Buffer.alloc(0) : Buffer.from(entry.data);
    parts.push(tarHeader({ size: data.length, ...entry }), padded(data));
  }
  if (end) parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

/** A pax extended header member ('x', or 'g' for global) holding `records` (key -> value). */
export function paxEntry(records, type = 'x') {
  const lines = Object.entries(records).map(([key, value]) => {
    const body = ` ${key}=${value}\n`;
    let length = Buffer.byteLength(body) + 1;
    while (String(length).length + Buffer.byteLength(body) !== length) length = String(length).length + Buffer.byteLength(body);
    return `${length}${body}`;
  });
  return { name: 'PaxHeaders/entry', type, data: lines.join('') };
}

/** A GNU long name ('L') or long link name ('K') member announcing `name` for the next member. */
export function gnuLongName(name, type = 'L') {
  return { name: '././@LongLink', type, magic: 'gnu', data: Buffer.concat([Buffer.from(name), Buffer.alloc(1)]) };
}

/** tar(...) gzipped. */
export function targz(entries, options) {
  return gzipSync(tar(entries, options));
}
