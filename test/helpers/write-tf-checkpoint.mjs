// Writes (and takes apart) TensorFlow tensor bundles for tests: PREFIX.index, a LevelDB-style sorted table of
// BundleEntryProto values, and PREFIX.data-NNNNN-of-NNNNN shards of raw bytes. Written from the format
// description (fixtures/tf/FORMAT-NOTES.md), independently of the native reader, so that tests can build valid
// checkpoints with several or Snappy-compressed blocks, and broken ones that lie about any field.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { binding } from '../../dist/binding.js';

/** TensorFlow DataType enum values (types.proto). */
export const DT = {
  FLOAT: 1, DOUBLE: 2, INT32: 3, UINT8: 4, INT16: 5, INT8: 6, STRING: 7, COMPLEX64: 8, INT64: 9, BOOL: 10,
  BFLOAT16: 14, UINT16: 17, COMPLEX128: 18, HALF: 19, UINT32: 22, UINT64: 23,
};
const DT_BY_NAME = Object.fromEntries(Object.entries(DT).map(([name, value]) => [`DT_${name}`, value]));

export const TABLE_MAGIC = 0xdb4775248b80fb57n;
const FOOTER_SIZE = 48;
const TRAILER_SIZE = 5;

// ---- CRC-32C (Castagnoli, reflected polynomial 0x82f63b78) and TensorFlow's mask ----

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let i = 0; i < 8; i++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[b] = c >>> 0;
  }
  return table;
})();

/** CRC-32C of `bytes`, continuing from `crc`. */
export function crc32c(bytes, crc = 0) {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

export function maskCrc(crc) {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** The masked CRC32C that a block trailer holds: over the block contents and its compression type byte. */
export function blockCrc(contents, type) {
  return maskCrc(crc32c(Uint8Array.of(type), crc32c(contents)));
}

// ---- varints and protobuf fields ----

/** Unsigned LEB128 of a number or bigint (negative values as their 64-bit two's complement, like int32/int64 protos). */
export function varint(value) {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < 2 ** 31) {
    const out = [];
    let v = value;
    while (v >= 0x80) {
      out.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    out.push(v);
    return Buffer.from(out);
  }
  let v = BigInt.asUintN(64, BigInt(value));
  const out = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}

/** Reads a varint at `pos`: [value (number, or bigint past 2^53), next position], or null when truncated. */
export function readVarint(bytes, pos, end = bytes.length) {
  let value = 0n;
  for (let shift = 0n; shift < 70n; shift += 7n) {
    if (pos >= end) return null;
    const byte = bytes[pos++];
    value |= BigInt(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return [value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value, pos];
  }
  return null;
}

const pbKey = (number, wire) => varint(number * 8 + wire);
export const pbVarint = (number, value) => Buffer.concat([pbKey(number, 0), varint(value)]);
export const pbBytes = (number, bytes) => Buffer.concat([pbKey(number, 2), varint(bytes.length), bytes]);
export function pbFixed32(number, value) {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value >>> 0);
  return Buffer.concat([pbKey(number, 5), b]);
}

/**
 * BundleHeaderProto: num_shards (1), endianness (2), version (3, a VersionDef: producer 1, min_consumer 2).
 * Fields at their proto3 default (0) are left out, as TensorFlow does.
 */
export function encodeHeader({ numShards = 1, endianness = 0, producer = 1, minConsumer = 0 } = {}) {
  const parts = [];
  if (numShards) parts.push(pbVarint(1, numShards));
  if (endianness) parts.push(pbVarint(2, endianness));
  const version = Buffer.concat([producer ? pbVarint(1, producer) : Buffer.alloc(0), minConsumer ? pbVarint(2, minConsumer) : Buffer.alloc(0)]);
  parts.push(pbBytes(3, version));
  return Buffer.concat(parts);
}

/**
 * BundleEntryProto: dtype (1), shape (2: TensorShapeProto, dim (2) { size (1) }), shard_id (3), offset (4),
 * size (5), crc32c (6, fixed32), slices (7). `slices: true` adds one empty TensorSliceProto (a partitioned variable).
 */
export function encodeEntry({ dtype, shape = [], shard = 0, offset = 0, size = 0, crc = 0, slices = false }) {
  const parts = [];
  if (dtype) parts.push(pbVarint(1, dtype));
  const dims = shape.map((d) => pbBytes(2, d ? pbVarint(1, d) : Buffer.alloc(0)));
  parts.push(pbBytes(2, Buffer.concat(dims)));
  if (shard) parts.push(pbVarint(3, shard));
  if (offset) parts.push(pbVarint(4, offset));
  if (size) parts.push(pbVarint(5, size));
  if (crc) parts.push(pbFixed32(6, crc));
  if (slices) parts.push(pbBytes(7, Buffer.alloc(0)));
  return Buffer.concat(parts);
}

// ---- Snappy (raw block format) ----

/** A Snappy block made of literals only (`chunk` bytes each at most; small chunks exercise every length form). */
export function snappyLiteral(bytes, chunk = 65536) {
  const parts = [varint(bytes.length)];
  for (let at = 0; at < bytes.length; at += chunk) {
    const piece = bytes.subarray(at, at + chunk);
    const n = piece.length - 1;
    if (n < 60) parts.push(Buffer.of(n << 2));
    else if (n < 0x100) parts.push(Buffer.of(60 << 2, n));
    else if (n < 0x10000) parts.push(Buffer.of(61 << 2, n & 0xff, n >>> 8));
    else if (n < 0x1000000) parts.push(Buffer.of(62 << 2, n & 0xff, (n >>> 8) & 0xff, n >>> 16));
    else parts.push(Buffer.of(63 << 2, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24));
    parts.push(piece);
  }
  return Buffer.concat(parts);
}

/** Decompresses a raw Snappy block; throws a plain Error on malformed input (test-side use only). */
export function snappyUncompress(input) {
  const head = readVarint(input, 0);
  if (!head || typeof head[0] !== 'number') throw new Error('snappy: bad length');
  const [length, start] = head;
  const out = Buffer.alloc(length);
  let o = 0;
  let p = start;
  const le = (n) => {
    if (p + n > input.length) throw new Error('snappy: truncated');
    let v = 0;
    for (let i = 0; i < n; i++) v += input[p + i] * 2 ** (8 * i);
    p += n;
    return v;
  };
  while (p < input.length) {
    const tag = input[p++];
    let n;
    let offset;
    if ((tag & 3) === 0) {
      n = tag >>> 2;
      if (n >= 60) n = le(n - 59);
      n += 1;
      if (p + n > input.length || o + n > length) throw new Error('snappy: bad literal');
      input.copy(out, o, p, p + n);
      p += n;
      o += n;
      continue;
    }
    if ((tag & 3) === 1) {
      n = 4 + ((tag >>> 2) & 7);
      offset = ((tag >>> 5) << 8) | le(1);
    } else {
      n = 1 + (tag >>> 2);
      offset = le((tag & 3) === 2 ? 2 : 4);
    }
    if (offset === 0 || offset > o || o + n > length) throw new Error('snappy: bad copy');
    for (let i = 0; i < n; i++, o++) out[o] = out[o - offset];
  }
  if (o !== length) throw new Error('snappy: short');
  return out;
}

// ---- table blocks ----

/** A growable byte buffer (building blocks entry by entry without a Buffer per field). */
class ByteWriter {
  constructor(capacity = 1024) {
    this.buf = Buffer.allocUnsafe(capacity);
    this.length = 0;
  }
  reserve(n) {
    if (this.length + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.length + n));
    this.buf.copy(grown, 0, 0, this.length);
    this.buf = grown;
  }
  varint(value) {
    if (!(Number.isInteger(value) && value >= 0 && value < 2 ** 31)) return this.bytes(varint(value));
    this.reserve(5);
    let v = value;
    while (v >= 0x80) {
      this.buf[this.length++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.length++] = v;
    return this;
  }
  bytes(b) {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }
  u32(v) {
    this.reserve(4);
    this.buf.writeUInt32LE(v >>> 0, this.length);
    this.length += 4;
    return this;
  }
  result() {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}

/** One block: prefix-compressed entries, a restart point every `restartInterval` entries, the restart array and count. */
export function buildBlock(entries, restartInterval = 16) {
  const w = new ByteWriter();
  const restarts = [];
  let last = null;
  entries.forEach(({ key, value }, i) => {
    let shared = 0;
    if (i % restartInterval === 0) {
      restarts.push(w.length);
    } else {
      const max = Math.min(last.length, key.length);
      while (shared < max && last[shared] === key[shared]) shared++;
    }
    w.varint(shared).varint(key.length - shared).varint(value.length).bytes(key.subarray(shared)).bytes(value);
    last = key;
  });
  if (restarts.length === 0) restarts.push(0);
  for (const r of restarts) w.u32(r);
  return w.u32(restarts.length).result();
}

/** The entries of an uncompressed block (throws a plain Error when malformed). */
export function decodeBlock(block) {
  if (block.length < 4) throw new Error('block too small');
  const restarts = block.readUInt32LE(block.length - 4);
  const end = block.length - 4 - 4 * restarts;
  if (end < 0) throw new Error('bad restart count');
  const entries = [];
  let key = Buffer.alloc(0);
  let p = 0;
  while (p < end) {
    const a = readVarint(block, p, end);
    const b = a && readVarint(block, a[1], end);
    const c = b && readVarint(block, b[1], end);
    if (!c) throw new Error('bad entry');
    const [shared, unshared, valueLength] = [a[0], b[0], c[0]];
    p = c[1];
    if (shared > key.length || p + unshared + valueLength > end) throw new Error('bad entry lengths');
    key = Buffer.concat([key.subarray(0, shared), block.subarray(p, p + unshared)]);
    p += unshared;
    entries.push({ key, value: block.subarray(p, p + valueLength) });
    p += valueLength;
  }
  return entries;
}

/** LevelDB's FindShortestSeparator (limit given) or FindShortSuccessor (limit null): a short key >= start (and < limit). */
export function shortSeparator(start, limit) {
  if (limit) {
    const min = Math.min(start.length, limit.length);
    let i = 0;
    while (i < min && start[i] === limit[i]) i++;
    if (i < min && start[i] < 0xff && start[i] + 1 < limit[i]) return Buffer.concat([start.subarray(0, i), Buffer.of(start[i] + 1)]);
    return start;
  }
  for (let i = 0; i < start.length; i++) {
    if (start[i] !== 0xff) return Buffer.concat([start.subarray(0, i), Buffer.of(start[i] + 1)]);
  }
  return start;
}

/**
 * Lays out a table file from blocks already encoded: `dataBlocks` [{ contents, type }] (contents as stored, i.e.
 * compressed when type is 1), `indexKeys` (one per data block), then the metaindex, the index block and the
 * 48-byte footer. `crc` on a block replaces its trailer CRC; `magic` replaces the footer magic; `mutateIndex`
 * may change the index block's uncompressed contents before it is stored (its trailer CRC is computed after).
 */
export function assembleTable({ dataBlocks, indexKeys, metaBlock = { contents: buildBlock([]), type: 0 }, indexType = 0, magic = TABLE_MAGIC, mutateIndex = (c) => c }) {
  const parts = [];
  let offset = 0;
  const put = (block) => {
    const handle = { offset, size: block.contents.length };
    const trailer = Buffer.alloc(TRAILER_SIZE);
    trailer[0] = block.type;
    trailer.writeUInt32LE(block.crc ?? blockCrc(block.contents, block.type), 1);
    parts.push(block.contents, trailer);
    offset += block.contents.length + TRAILER_SIZE;
    return handle;
  };
  const handles = dataBlocks.map(put);
  const meta = put(metaBlock);
  const indexEntries = handles.map((h, i) => ({ key: indexKeys[i], value: Buffer.concat([varint(h.offset), varint(h.size)]) }));
  const indexContents = mutateIndex(buildBlock(indexEntries, 1));
  const index = put({ contents: indexType === 1 ? snappyLiteral(indexContents) : indexContents, type: indexType });
  const footer = Buffer.alloc(FOOTER_SIZE);
  Buffer.concat([varint(meta.offset), varint(meta.size), varint(index.offset), varint(index.size)]).copy(footer);
  footer.writeBigUInt64LE(magic, 40);
  parts.push(footer);
  return Buffer.concat(parts);
}

/**
 * A whole table from key/value entries (Buffers): sorted bytewise unless `sortKeys` is false, cut into data blocks
 * of about `blockSize` bytes, each stored raw or as a literal-only Snappy block (`snappy`), with trailer type
 * `compressionType` when given (the contents are then left raw, whatever the type claims).
 */
export function buildTable(entries, { blockSize = Infinity, restartInterval = 16, snappy = false, snappyChunk = 65536, compressionType, sortKeys = true, shortKeys = true } = {}) {
  // bytewise order: latin1 strings compare like their bytes
  const sorted = sortKeys
    ? entries.map((e) => [e.key.toString('latin1'), e]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((x) => x[1])
    : entries;
  const groups = [];
  let current = [];
  let estimate = 0;
  for (const entry of sorted) {
    current.push(entry);
    estimate += entry.key.length + entry.value.length + 3 + 4 / restartInterval;
    if (estimate >= blockSize) {
      groups.push(current);
      current = [];
      estimate = 0;
    }
  }
  if (current.length > 0 || groups.length === 0) groups.push(current);
  const dataBlocks = groups.map((group) => {
    const raw = buildBlock(group, restartInterval);
    if (compressionType !== undefined) return { contents: raw, type: compressionType };
    return snappy ? { contents: snappyLiteral(raw, snappyChunk), type: 1 } : { contents: raw, type: 0 };
  });
  const indexKeys = groups.map((group, i) => {
    const last = group.length ? group[group.length - 1].key : Buffer.alloc(0);
    if (!shortKeys) return last;
    return shortSeparator(last, i + 1 < groups.length && groups[i + 1].length ? groups[i + 1][0].key : null);
  });
  return assembleTable({ dataBlocks, indexKeys });
}

/**
 * Takes a table file apart: { dataBlocks: [{ contents, type, offset }], indexKeys, metaBlock } such that
 * assembleTable() of it gives the same bytes back (when the input is a valid table written like TensorFlow's).
 * Throws a plain Error when the structure cannot be followed.
 */
export function splitTable(file) {
  const bytes = Buffer.from(file.buffer, file.byteOffset, file.length);
  if (bytes.length < FOOTER_SIZE) throw new Error('too small');
  const f = bytes.length - FOOTER_SIZE;
  const a = readVarint(bytes, f);
  const b = readVarint(bytes, a[1]);
  const c = readVarint(bytes, b[1]);
  const d = readVarint(bytes, c[1]);
  const block = (offset, size) => ({ contents: Buffer.from(bytes.subarray(offset, offset + size)), type: bytes[offset + size], offset });
  const metaBlock = block(a[0], b[0]);
  const indexStored = block(c[0], d[0]);
  const indexContents = indexStored.type === 1 ? snappyUncompress(indexStored.contents) : indexStored.contents;
  const index = decodeBlock(indexContents);
  const dataBlocks = index.map(({ value }) => {
    const o = readVarint(value, 0);
    const s = readVarint(value, o[1]);
    return block(o[0], s[0]);
  });
  return { dataBlocks, indexKeys: index.map((e) => Buffer.from(e.key)), metaBlock, indexType: indexStored.type };
}

/** The uncompressed contents of a stored block. */
export function blockContents(block) {
  return block.type === 1 ? snappyUncompress(block.contents) : block.contents;
}

// ---- checkpoints ----

const pad5 = (n) => String(n).padStart(5, '0');
export const shardPath = (prefix, shard, shards) => `${prefix}.data-${pad5(shard)}-of-${pad5(shards)}`;

/**
 * Writes PREFIX.index and its data shard(s) for `tensors` [{ name, dtype (enum number), shape, bytes }].
 * Tensors are stored back to back in key order. Options:
 * - blockSize, restartInterval, snappy, snappyChunk, compressionType, sortKeys, shortKeys: see buildTable();
 * - numShards (header num_shards, default 1); shardOf(name) -> shard that stores the tensor (default 0);
 *   omitShards: shard numbers whose file is not written;
 * - header: fields for encodeHeader() ({ numShards, endianness, producer, minConsumer }) or raw Buffer;
 * - overrides: { [name]: { dtype, shape, shard, offset, size, crc, slices, value (raw entry Buffer) } } lies in the index;
 * - omit: names left out of the index (their bytes stay in the data file); extraEntries: raw [{ key, value }].
 * Returns { indexPath, dataPaths, index (Buffer), shards (Buffers), entries ({ name, ...fields }) }.
 */
export function writeTfCheckpoint(prefix, tensors, options = {}) {
  const { numShards = 1, shardOf = () => 0, omitShards = [], overrides = {}, omit = [], extraEntries = [] } = options;
  const ordered = options.sortKeys === false ? tensors : [...tensors].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  const shardParts = Array.from({ length: numShards }, () => []);
  const shardSizes = new Array(numShards).fill(0);
  const entries = [];
  for (const t of ordered) {
    const shard = shardOf(t.name);
    const bytes = Buffer.from(t.bytes.buffer, t.bytes.byteOffset, t.bytes.length);
    const fields = { dtype: t.dtype, shape: t.shape, shard, offset: shardSizes[shard], size: bytes.length, crc: maskCrc(crc32c(bytes)) };
    shardParts[shard].push(bytes);
    shardSizes[shard] += bytes.length;
    if (omit.includes(t.name)) continue;
    const o = overrides[t.name] ?? {};
    const lied = { ...fields, ...o };
    entries.push({ name: t.name, ...lied });
    entries[entries.length - 1].value = o.value ?? encodeEntry(lied);
  }
  const header = Buffer.isBuffer(options.header) ? options.header : encodeHeader({ numShards, ...(options.header ?? {}) });
  const tableEntries = [
    { key: Buffer.alloc(0), value: header },
    ...entries.map((e) => ({ key: Buffer.from(e.name), value: e.value })),
    ...extraEntries,
  ];
  const index = buildTable(tableEntries, options);
  const indexPath = `${prefix}.index`;
  writeFileSync(indexPath, index);
  const dataPaths = [];
  const shards = shardParts.map((parts, s) => {
    const data = Buffer.concat(parts);
    const path = shardPath(prefix, s, numShards);
    if (!omitShards.includes(s)) writeFileSync(path, data);
    dataPaths.push(path);
    return data;
  });
  return { indexPath, dataPaths, index, shards, entries };
}

/** The tensors of an existing checkpoint (parsed by the native index reader): [{ name, dtype, shape, bytes }] in key order. */
export function readTfCheckpoint(prefix) {
  const index = binding().testing.parseTfIndex(new Uint8Array(readFileSync(`${prefix}.index`)));
  const shards = Array.from({ length: index.numShards }, (_, s) => readFileSync(shardPath(prefix, s, index.numShards)));
  return index.entries.map((e) => ({
    name: e.name,
    dtype: DT_BY_NAME[e.dtype] ?? Number(e.dtype.slice(3)),
    shape: e.shape,
    bytes: shards[e.shard].subarray(e.offset, e.offset + e.size),
  }));
}

/** The checkpoint prefix inside a fixture folder (its only *.index file). */
export function fixturePrefix(folder) {
  const indexes = readdirSync(folder).filter((n) => n.endsWith('.index'));
  if (indexes.length !== 1) throw new Error(`${folder}: expected one .index file, found ${indexes.length}`);
  return join(folder, indexes[0].slice(0, -'.index'.length));
}

/**
 * Re-emits the checkpoint of fixture folder `source` into folder `target` with writeTfCheckpoint(): the same
 * prefix name, the config (albert_config*.json) and `checkpoint` state file copied unless `copy` says otherwise.
 * `transform(tensors)` may rename, drop, add or change tensors first. Returns writeTfCheckpoint()'s result plus `prefix`.
 */
export function reemitTfCheckpoint(source, target, { transform = (t) => t, copy, ...options } = {}) {
  const sourcePrefix = fixturePrefix(source);
  const baseName = sourcePrefix.slice(source.length + 1);
  mkdirSync(target, { recursive: true });
  const files = copy ?? readdirSync(source).filter((n) => n === 'checkpoint' || (n.startsWith('albert_config') && n.endsWith('.json')));
  for (const name of files) copyFileSync(join(source, name), join(target, name));
  const prefix = join(target, baseName);
  return { prefix, ...writeTfCheckpoint(prefix, transform(readTfCheckpoint(sourcePrefix)), options) };
}
