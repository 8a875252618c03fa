// Writers of torch.save()-style files for the tests, from tensors given as { name, dtype, shape, bytes }
// (readRawTensors): stored zip archives (optionally with ZIP64 records), state dict pickles (protocol 2 as
// torch writes them, or protocol 4 with FRAME / MEMOIZE / STACK_GLOBAL), and the legacy stream format.
// Every layout detail can be overridden per tensor, so the tests can build broken files on purpose.
import { crc32 } from 'node:zlib';

const STORAGE_TYPES = { F32: 'FloatStorage', F16: 'HalfStorage', BF16: 'BFloat16Storage', F64: 'DoubleStorage', I64: 'LongStorage', I32: 'IntStorage' };
export const ELEMENT_SIZE = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4 };
// 0x1950a86a20f9469cfc6c, little-endian, as LONG1 writes it.
const LEGACY_MAGIC = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

const u16 = (v) => { const b = Buffer.alloc(2); b.writeUInt16LE(v); return b; };
const u32 = (v) => { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); return b; };
const u64 = (v) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); return b; };

/** Pickle opcodes, written one call at a time. */
export class PickleWriter {
  constructor(protocol = 2) {
    this.protocol = protocol;
    this.parts = [];
    this.memo = 0;
    this.op(0x80, protocol);
  }
  op(...bytes) {
    this.parts.push(Buffer.from(bytes));
    return this;
  }
  raw(buffer) {
    this.parts.push(Buffer.from(buffer));
    return this;
  }
  put() {
    if (this.protocol >= 4) return this.op(0x94);
    const index = this.memo++;
    return index < 256 ? this.op(0x71, index) : this.op(0x72).raw(u32(index));
  }
  str(s) {
    const b = Buffer.from(s, 'utf8');
    if (this.protocol >= 4 && b.length < 256) return this.op(0x8c, b.length).raw(b);
    return this.op(0x58).raw(u32(b.length)).raw(b);
  }
  int(n) {
    if (n >= 0 && n < 256) return this.op(0x4b, n);
    if (n >= 0 && n < 65536) return this.op(0x4d).raw(u16(n));
    if (n >= -(2 ** 31) && n < 2 ** 31) { const b = Buffer.alloc(4); b.writeInt32LE(n); return this.op(0x4a).raw(b); }
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(BigInt(n));
    return this.op(0x8a, 8).raw(b);
  }
  global(module, name) {
    if (this.protocol >= 4) return this.str(module).str(name).op(0x93);
    return this.op(0x63).raw(Buffer.from(`${module}\n${name}\n`, 'ascii'));
  }
  tuple(items, writeItem) {
    if (items.length === 0) return this.op(0x29);
    if (items.length > 3) this.op(0x28);
    for (const item of items) writeItem(item);
    return items.length > 3 ? this.op(0x74) : this.op(0x84 + items.length);
  }
  orderedDict() {
    return this.global('collections', 'OrderedDict').op(0x29, 0x52);
  }
  stop() {
    this.op(0x2e);
    const body = Buffer.concat(this.parts.slice(1));
    // Protocol 4 frames its opcodes; one frame over the whole body is valid.
    if (this.protocol >= 4) return Buffer.concat([this.parts[0], Buffer.from([0x95]), u64(body.length), body]);
    return Buffer.concat([this.parts[0], body]);
  }
}

/**
 * How each tensor is laid out: storage key, element offset, size and stride (defaults: its own storage,
 * offset 0, contiguous strides). `layout(tensor, index)` may override any field.
 */
function placements(tensors, layout) {
  return tensors.map((t, i) => {
    const shape = t.shape;
    const stride = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
    const numel = shape.reduce((a, b) => a * b, 1);
    return { key: String(i), type: STORAGE_TYPES[t.dtype], offset: 0, shape, stride, numel, storageNumel: numel, ...layout(t, i) };
  });
}

/** The storages of `tensors` by key: { key: { type, numel, bytes } } (tensors sharing a key share bytes). */
function storagesOf(tensors, places) {
  const storages = new Map();
  tensors.forEach((t, i) => {
    const p = places[i];
    if (!storages.has(p.key)) storages.set(p.key, { type: p.type, numel: p.storageNumel, bytes: p.storageBytes ?? t.bytes });
  });
  return storages;
}

/**
 * A state dict pickle. Options: protocol, legacy (6-item persistent ids), ordered (OrderedDict + _metadata),
 * parameters (_rebuild_parameter), fromType (_rebuild_from_type_v2 with a state dict), extra (opcodes before SETITEMS).
 */
export function stateDictPickle(tensors, places, { protocol = 2, legacy = false, ordered = false, parameters = false, fromType = false, extra } = {}) {
  const w = new PickleWriter(protocol);
  if (ordered) w.orderedDict().put();
  else w.op(0x7d).put();
  w.op(0x28);
  tensors.forEach((t, i) => {
    const p = places[i];
    w.str(t.name).put();
    if (parameters) w.global('torch._utils', '_rebuild_parameter').put().op(0x28);
    // Tensors with Python attributes: _rebuild_from_type_v2(_rebuild_tensor_v2, torch.Tensor, args, state)
    if (fromType) w.global('torch._tensor', '_rebuild_from_type_v2').op(0x28).global('torch._utils', '_rebuild_tensor_v2').global('torch', 'Tensor');
    else w.global('torch._utils', '_rebuild_tensor_v2').put();
    w.op(0x28);
    w.op(0x28).str('storage').global('torch', p.type).str(p.key).str('cpu').int(p.numelInPid ?? p.storageNumel);
    if (legacy) w.op(0x4e);
    w.op(0x74).put().op(0x51);
    w.int(p.offset);
    w.tuple(p.shape, (d) => w.int(d));
    w.tuple(p.stride, (d) => w.int(d));
    w.op(0x89).orderedDict().op(0x74).put();
    if (fromType) w.op(0x7d).str('note').str('x').op(0x73, 0x74);
    w.op(0x52).put();
    if (parameters) w.op(0x88).orderedDict().op(0x74, 0x52).put();
  });
  if (extra) extra(w);
  w.op(0x75);
  if (ordered) {
    // state = {'_metadata': OrderedDict({'': {'version': 1}})}, applied with BUILD as OrderedDict.__reduce__ asks
    w.op(0x7d).str('_metadata').orderedDict().str('').op(0x7d).str('version').int(1).op(0x73).op(0x73).op(0x73).op(0x62);
  }
  return w.stop();
}

/** A zip archive of STORED entries [{ name, data }], data 64-byte aligned as torch writes them. */
export function storedZip(entries, { zip64 = false } = {}) {
  const chunks = [];
  const central = [];
  let offset = 0;
  for (const { name, data, method = 0, flags = 0, crc } of entries) {
    const nameBytes = Buffer.from(name, 'utf8');
    const headerEnd = offset + 30 + nameBytes.length + 4;
    const pad = (64 - (headerEnd % 64)) % 64;
    const extra = Buffer.concat([u16(0x4b50), u16(pad), Buffer.alloc(pad)]); // torch's padding field ('PK')
    const sum = crc ?? crc32(data);
    const local = Buffer.concat([u32(0x04034b50), u16(20), u16(flags), u16(method), u16(0), u16(0), u32(sum), u32(data.length), u32(data.length), u16(nameBytes.length), u16(extra.length), nameBytes, extra]);
    const zip64Extra = zip64 ? Buffer.concat([u16(1), u16(24), u64(data.length), u64(data.length), u64(offset)]) : Buffer.alloc(0);
    const size32 = zip64 ? 0xffffffff : data.length;
    central.push(Buffer.concat([u32(0x02014b50), u16(45), u16(45), u16(flags), u16(method), u16(0), u16(0), u32(sum), u32(size32), u32(size32), u16(nameBytes.length), u16(zip64Extra.length), u16(0), u16(0), u16(0), u32(0), u32(zip64 ? 0xffffffff : offset), nameBytes, zip64Extra]));
    chunks.push(local, data);
    offset += local.length + data.length;
  }
  const directory = Buffer.concat(central);
  const tail = [];
  if (zip64) {
    const recordAt = offset + directory.length;
    tail.push(Buffer.concat([u32(0x06064b50), u64(44), u16(45), u16(45), u32(0), u32(0), u64(entries.length), u64(entries.length), u64(directory.length), u64(offset)]));
    tail.push(Buffer.concat([u32(0x07064b50), u32(0), u64(recordAt), u32(1)]));
    tail.push(Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(0xffff), u16(0xffff), u32(0xffffffff), u32(0xffffffff), u16(0)]));
  } else {
    tail.push(Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(entries.length), u16(entries.length), u32(directory.length), u32(offset), u16(0)]));
  }
  return Buffer.concat([...chunks, directory, ...tail]);
}

/**
 * A zip-format pytorch_model.bin. Options: top (folder name), protocol, ordered, parameters, zip64,
 * layout (per-tensor overrides), pickle (replaces data.pkl), entries (edits the entry list), extra (more opcodes).
 */
export function torchZip(tensors, { top = 'archive', layout = () => ({}), pickle, entries: editEntries = (e) => e, zip64, ...pickleOptions } = {}) {
  const places = placements(tensors, layout);
  const storages = storagesOf(tensors, places);
  const entries = [
    { name: `${top}/data.pkl`, data: pickle ?? stateDictPickle(tensors, places, pickleOptions) },
    { name: `${top}/byteorder`, data: Buffer.from('little') },
    ...[...storages].map(([key, s]) => ({ name: `${top}/data/${key}`, data: Buffer.from(s.bytes) })),
    { name: `${top}/version`, data: Buffer.from('3\n') },
  ];
  return storedZip(editEntries(entries), { zip64 });
}

/** A legacy-format pytorch_model.bin (torch < 1.6, or _use_new_zipfile_serialization=False). */
export function torchLegacy(tensors, { layout = () => ({}), pickle, keys, counts = {}, ...pickleOptions } = {}) {
  const places = placements(tensors, layout);
  const storages = storagesOf(tensors, places);
  const magic = new PickleWriter(2).op(0x8a, LEGACY_MAGIC.length).raw(Buffer.from(LEGACY_MAGIC)).stop();
  const version = new PickleWriter(2).int(1001).stop();
  const info = new PickleWriter(2).op(0x7d).put().op(0x28).str('protocol_version').int(1001).str('little_endian').op(0x88).str('type_sizes')
    .op(0x7d).put().op(0x28).str('short').int(2).str('int').int(4).str('long').int(4).op(0x75).op(0x75).stop();
  const state = pickle ?? stateDictPickle(tensors, places, { ...pickleOptions, legacy: true });
  const keyList = keys ?? [...storages.keys()];
  const list = new PickleWriter(2).op(0x5d).put().op(0x28);
  for (const key of keyList) list.str(key).put();
  const parts = [magic, version, info, state, list.op(0x65).stop()];
  for (const key of keyList) {
    const s = storages.get(key);
    if (!s) continue;
    parts.push(u64(counts[key] ?? s.numel), Buffer.from(s.bytes));
  }
  return Buffer.concat(parts);
}

/** Converts float32 tensors to float64 or bfloat16 (round to nearest even), keeping the others. */
export function convertTensors(tensors, dtype) {
  return tensors.map((t) => {
    if (t.dtype !== 'F32') return t;
    const src = new Float32Array(new Uint8Array(t.bytes).buffer);
    if (dtype === 'F64') return { ...t, dtype, bytes: new Uint8Array(Float64Array.from(src).buffer) };
    const bits = new Uint32Array(src.buffer);
    const out = new Uint16Array(bits.length);
    for (let i = 0; i < bits.length; i++) out[i] = (bits[i] + 0x7fff + ((bits[i] >>> 16) & 1)) >>> 16;
    return { ...t, dtype, bytes: new Uint8Array(out.buffer) };
  });
}
