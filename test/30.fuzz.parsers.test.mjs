// Fuzzing the untrusted-file parsers: thousands of mutated safetensors files, config.json texts and TensorFlow
// checkpoint indexes. Each must either parse or fail with a coded error; a crash, hang or uncoded error fails the run.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { binding } from '../dist/binding.js';
import { AlbertModel, ErrorCodes, isAlbertNodeError } from '../dist/index.js';
import { fixture } from './helpers/fixtures.mjs';
import { fuzzSeed, rng } from './helpers/random.mjs';
import { tempDir } from './helpers/temp-model.mjs';
import {
  DT,
  assembleTable,
  blockContents,
  buildTable,
  decodeBlock,
  readTfCheckpoint,
  snappyLiteral,
  splitTable,
  varint,
  writeTfCheckpoint,
} from './helpers/write-tf-checkpoint.mjs';

const native = binding();
const tinyWeights = readFileSync(fixture('models', 'albert-tiny', 'model.safetensors'));
const tinyConfigText = readFileSync(fixture('models', 'albert-tiny', 'config.json'), 'utf8');
const headerEnd = 8 + Number(tinyWeights.readBigUInt64LE(0));
// The sanitizer run (test/90) lowers the case count; everything else runs the full count.
const CASES = Number(process.env.FUZZ_CASES ?? 20000);
// Index cases that rebuild tables in JS cost more each: a quarter of the count.
const TABLE_CASES = Math.ceil(CASES / 4);

const JSON_TOKENS = ['"', '{', '}', '[', ']', ',', ':', '-', '0', '9', 'e', '.', '\\', 'null', 'true', '1e309', '-1', '18446744073709551616', '"F16"', '"I64"', '[]', '{}'];

function mutateBytes(source, r, regionEnd) {
  const bytes = Buffer.from(source);
  const kind = r.int(6);
  if (kind === 0) {
    // flip random bits, mostly in the header
    const flips = 1 + r.int(8);
    for (let i = 0; i < flips; i++) bytes[r.int(regionEnd)] ^= 1 << r.int(8);
    return bytes;
  }
  if (kind === 1) return bytes.subarray(0, r.int(bytes.length));
  if (kind === 2) {
    // lie about the header length
    const lies = [0n, 1n, 2n, BigInt(headerEnd - 9), BigInt(headerEnd), BigInt(bytes.length), 2n ** 63n, 2n ** 64n - 1n, BigInt(r.int(1 << 20))];
    bytes.writeBigUInt64LE(r.pick(lies), 0);
    return bytes;
  }
  if (kind === 3) {
    // splice a JSON token into the header text
    const at = 8 + r.int(regionEnd - 8);
    const token = Buffer.from(r.pick(JSON_TOKENS));
    const out = Buffer.concat([bytes.subarray(0, at), token, bytes.subarray(at + r.int(4))]);
    out.writeBigUInt64LE(BigInt(regionEnd - 8 + token.length), 0);
    return out;
  }
  if (kind === 4) {
    // rewrite a number inside the header (offsets and shapes)
    const text = bytes.subarray(8, regionEnd).toString('latin1');
    const numbers = [...text.matchAll(/\d+/g)];
    if (numbers.length === 0) return bytes;
    const m = r.pick(numbers);
    const replacement = String(r.pick([0, 1, Number(m[0]) + 1, Number(m[0]) * 2, 4294967296, 9007199254740993, r.int(1e9)]));
    const header = Buffer.from(text.slice(0, m.index) + replacement + text.slice(m.index + m[0].length), 'latin1');
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(header.length));
    return Buffer.concat([prefix, header, bytes.subarray(regionEnd)]);
  }
  // random garbage of random length
  const out = Buffer.alloc(r.int(64));
  for (let i = 0; i < out.length; i++) out[i] = r.int(256);
  return out;
}

/** Loads the model in `dir` and runs one forward: true when it ran, false when refused with a coded error. */
async function loadsOrRefusesCoded(dir, context) {
  try {
    const model = await AlbertModel.fromPretrained(dir);
    await model.forward({ inputIds: [[2, 5, 9, 3]] });
    model.dispose();
    return true;
  } catch (error) {
    assert.ok(isAlbertNodeError(error), `${context}: uncoded error ${error?.stack ?? error}`);
    return false;
  }
}

function expectParsedOrCoded(fn, allowed, context) {
  try {
    fn();
  } catch (error) {
    assert.ok(isAlbertNodeError(error), `${context}: uncoded error ${error?.stack ?? error}`);
    assert.ok(allowed.includes(error.code), `${context}: unexpected code ${error.code}: ${error.message}`);
    return false;
  }
  return true;
}

describe(`parser fuzzing (seed ${fuzzSeed}; set FUZZ_SEED to reproduce)`, () => {
  it(`safetensors headers: ${CASES} mutations`, (t) => {
    const r = rng(fuzzSeed);
    let parsed = 0;
    for (let i = 0; i < CASES; i++) {
      const input = mutateBytes(tinyWeights, r, headerEnd);
      const ok = expectParsedOrCoded(
        () => native.testing.parseSafetensors(new Uint8Array(input)),
        [ErrorCodes.INVALID_SAFETENSORS, ErrorCodes.INVALID_JSON],
        `case ${i}`,
      );
      if (ok) parsed++;
    }
    t.diagnostic(`${parsed} of ${CASES} mutated files still parsed; the rest were refused with coded errors`);
  });

  it(`config.json: ${CASES} mutations`, (t) => {
    const r = rng(fuzzSeed + 1);
    const source = Buffer.from(tinyConfigText);
    let parsed = 0;
    for (let i = 0; i < CASES; i++) {
      let text;
      const kind = r.int(4);
      if (kind === 0) {
        const b = Buffer.from(source);
        for (let f = 1 + r.int(4); f > 0; f--) b[r.int(b.length)] ^= 1 << r.int(7);
        text = b.toString('utf8');
      } else if (kind === 1) {
        text = tinyConfigText.slice(0, r.int(tinyConfigText.length));
      } else if (kind === 2) {
        const at = r.int(tinyConfigText.length);
        text = tinyConfigText.slice(0, at) + r.pick(JSON_TOKENS) + tinyConfigText.slice(at + r.int(3));
      } else {
        const config = JSON.parse(tinyConfigText);
        const key = r.pick(Object.keys(config));
        config[key] = r.pick([null, -1, 0, 1.5, 1e12, 'x', '', [], {}, true, 2 ** 31, -(2 ** 31)]);
        text = JSON.stringify(config);
      }
      if (expectParsedOrCoded(() => native.testing.parseConfig(text), [ErrorCodes.INVALID_JSON, ErrorCodes.INVALID_CONFIG, ErrorCodes.UNSUPPORTED], `case ${i}: ${text.slice(0, 80)}`)) parsed++;
    }
    t.diagnostic(`${parsed} of ${CASES} mutated configs still parsed`);
  });

  it('deep nesting and huge numbers in JSON are refused cleanly', () => {
    for (const text of ['['.repeat(100000), '{"a":'.repeat(5000), '1'.repeat(100000), '"' + '\\u'.repeat(1000)]) {
      expectParsedOrCoded(() => native.testing.parseConfig(text), [ErrorCodes.INVALID_JSON, ErrorCodes.INVALID_CONFIG], text.slice(0, 20));
    }
  });

  it(`whole-model loads of ${Math.min(300, CASES)} mutated checkpoints`, async (t) => {
    const r = rng(fuzzSeed + 2);
    const dir = tempDir();
    writeFileSync(join(dir, 'config.json'), tinyConfigText);
    let loaded = 0;
    for (let i = 0; i < Math.min(300, CASES); i++) {
      writeFileSync(join(dir, 'model.safetensors'), mutateBytes(tinyWeights, r, headerEnd));
      if (await loadsOrRefusesCoded(dir, `case ${i}`)) loaded++;
    }
    t.diagnostic(`${loaded} of ${Math.min(300, CASES)} mutated checkpoints loaded and ran; the rest were refused with coded errors`);
  });
});

// ---- TensorFlow checkpoint indexes (.index: a sorted table of BundleEntryProto values) ----

const TF_FIXTURES = ['google-tiny', 'google-tiny-groups', 'zh-google-tiny', 'brightmart-tiny', 'brightmart-preln-tiny'];
const TF_INDEXES = [
  ...TF_FIXTURES.map((name) => {
    const file = readdirSync(fixture('tf', name)).find((n) => n.endsWith('.index'));
    return [`tf/${name}/${file}`, fixture('tf', name, file)];
  }),
  // real TensorFlow indexes with Snappy-compressed blocks
  ...['minigo', 'style', 'transformer'].map((name) => [`tf-index/${name}.index`, fixture('tf-index', `${name}.index`)]),
].map(([label, path]) => {
  const bytes = readFileSync(path);
  const table = splitTable(bytes);
  assert.deepEqual(assembleTable(table), bytes, `${label}: the test writer does not round-trip it`);
  const entries = table.dataBlocks.flatMap((b) => decodeBlock(blockContents(b)));
  return { label, bytes, table, entries };
});
const TF_DONORS = TF_INDEXES.map((s) => s.bytes);
const INTERESTING_BYTES = [0x00, 0x01, 0x3f, 0x40, 0x7f, 0x80, 0xfe, 0xff];
const INTERESTING_NUMBERS = [0, 1, 2, 3, 7, 9, 19, 99, 127, 128, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53, 2n ** 63n, 2n ** 64n - 1n, -1];

/** 1-3 random byte-level mutations: bit flips, special bytes, truncation, splices, insertions, deletions, numbers. */
function mutateBuffer(source, r) {
  let b = Buffer.from(source);
  for (let n = 1 + r.int(3); n > 0; n--) {
    const at = r.int(b.length + 1);
    switch (r.int(8)) {
      case 0:
        if (b.length) b[Math.min(at, b.length - 1)] ^= 1 << r.int(8);
        break;
      case 1:
        if (b.length) b[Math.min(at, b.length - 1)] = r.pick(INTERESTING_BYTES);
        break;
      case 2:
        b = b.subarray(0, r.int(b.length + 1));
        break;
      case 3: {
        // splice in a piece of another index (or of this one)
        const donor = r.pick(TF_DONORS);
        const from = r.int(donor.length);
        b = Buffer.concat([b.subarray(0, at), donor.subarray(from, from + 1 + r.int(48)), b.subarray(at + r.int(48))]);
        break;
      }
      case 4: {
        const insert = Buffer.alloc(1 + r.int(8));
        for (let i = 0; i < insert.length; i++) insert[i] = r.int(256);
        b = Buffer.concat([b.subarray(0, at), insert, b.subarray(at)]);
        break;
      }
      case 5:
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + r.int(16))]);
        break;
      case 6: {
        // a 32-bit number, often where a block's restart array and count sit
        if (b.length < 4) break;
        const p = r.next() < 0.5 ? b.length - 4 - 4 * r.int(Math.min(4, b.length >> 2)) : r.int(b.length - 3);
        b.writeUInt32LE(Number(BigInt.asUintN(32, BigInt(r.pick(INTERESTING_NUMBERS)))), p);
        break;
      }
      default:
        b = Buffer.concat([b.subarray(0, at), varint(r.pick(INTERESTING_NUMBERS)), b.subarray(at + r.int(3))]);
    }
  }
  return b;
}

/** Top-level protobuf fields of `bytes` as [key bytes, payload bytes, wire type], or null when it does not parse. */
function protoFields(bytes) {
  const fields = [];
  let p = 0;
  const readVarint = () => {
    const start = p;
    while (p < bytes.length && bytes[p] & 0x80) p++;
    if (p >= bytes.length || p - start > 9) throw new Error('bad varint');
    p++;
    return bytes.subarray(start, p);
  };
  try {
    while (p < bytes.length) {
      const keyBytes = readVarint();
      const wire = keyBytes[0] & 7;
      const start = p;
      if (wire === 0) readVarint();
      else if (wire === 1) p += 8;
      else if (wire === 5) p += 4;
      else if (wire === 2) {
        let length = 0;
        const lb = readVarint();
        for (let i = lb.length - 1; i >= 0; i--) length = length * 128 + (lb[i] & 0x7f);
        p += length;
      } else throw new Error('bad wire type');
      if (p > bytes.length) throw new Error('truncated');
      fields.push([keyBytes, bytes.subarray(start, p), wire]);
    }
  } catch {
    return null;
  }
  return fields;
}

/** A protobuf-aware mutation (BundleHeaderProto / BundleEntryProto / TensorShapeProto), else a byte mutation. */
function mutateProto(bytes, r, depth = 0) {
  const fields = protoFields(bytes);
  if (!fields || fields.length === 0 || r.next() < 0.2) return mutateBuffer(bytes, r);
  const i = r.int(fields.length);
  const [key, payload, wire] = fields[i];
  const op = r.int(6);
  if (op === 0) fields.splice(i, 1);
  else if (op === 1) fields.splice(i, 0, fields[i]);
  else if (op === 2) fields.push([varint(r.pick([1, 2, 3, 4, 5, 6, 7, 8, 15]) * 8 + r.pick([0, 1, 2, 5])), varint(r.pick(INTERESTING_NUMBERS)), 0]);
  else if (op === 3 && wire === 2 && depth < 3) {
    // nested messages: shape { dim { size } }, version { ... }
    let p = 0;
    while (payload[p] & 0x80) p++;  // skip the length varint
    const inner = mutateProto(payload.subarray(p + 1), r, depth + 1);
    fields[i] = [key, Buffer.concat([varint(inner.length), inner]), wire];
  } else if (wire === 0 || op === 4) {
    fields[i] = [key, varint(r.pick(INTERESTING_NUMBERS)), 0];
  } else {
    fields[i] = [varint(Number((BigInt(key[0]) & ~7n) | BigInt(r.pick([0, 1, 2, 5]))) & 0x7f), payload, wire];
  }
  return Buffer.concat(fields.flatMap(([k, v]) => [k, v]));
}

function copyTable(table) {
  return {
    dataBlocks: table.dataBlocks.map((b) => ({ contents: b.contents, type: b.type })),
    indexKeys: [...table.indexKeys],
    metaBlock: { contents: table.metaBlock.contents, type: table.metaBlock.type },
    indexType: table.indexType,
  };
}

function expectIndexParsedOrCoded(input, context) {
  return expectParsedOrCoded(() => native.testing.parseTfIndex(new Uint8Array(input)), [ErrorCodes.INVALID_CHECKPOINT], context);
}

describe(`TensorFlow checkpoint index fuzzing (seed ${fuzzSeed}; ${TF_INDEXES.length} real indexes)`, () => {
  it(`whole-file mutations: ${CASES} cases`, (t) => {
    const r = rng(fuzzSeed + 10);
    let parsed = 0;
    for (let i = 0; i < CASES; i++) {
      const source = r.pick(TF_INDEXES);
      let input;
      if (r.next() < 0.3) {
        // the footer only: block handles, padding, magic
        const footerAt = source.bytes.length - 48;
        input = Buffer.concat([source.bytes.subarray(0, footerAt), mutateBuffer(source.bytes.subarray(footerAt), r)]);
      } else {
        input = mutateBuffer(source.bytes, r);
      }
      if (expectIndexParsedOrCoded(input, `case ${i} (${source.label})`)) parsed++;
    }
    t.diagnostic(`${parsed} of ${CASES} mutated indexes still parsed`);
  });

  it(`block mutations behind recomputed CRCs (entries, restarts, Snappy, index block): ${TABLE_CASES} cases`, (t) => {
    const r = rng(fuzzSeed + 11);
    let parsed = 0;
    for (let i = 0; i < TABLE_CASES; i++) {
      const source = r.pick(TF_INDEXES);
      const table = copyTable(source.table);
      const which = r.int(table.dataBlocks.length + 3);
      let input;
      if (which < table.dataBlocks.length) {
        const block = table.dataBlocks[which];
        const mode = r.int(3);
        if (mode === 0) {
          // the stored bytes: raw entries, or the Snappy stream itself
          block.contents = mutateBuffer(block.contents, r);
          if (r.next() < 0.05) block.type = 1 - block.type;
        } else {
          // the uncompressed entries, stored raw or as Snappy literals
          const raw = mutateBuffer(blockContents(block), r);
          Object.assign(block, mode === 1 ? { contents: raw, type: 0 } : { contents: snappyLiteral(raw, 1 + r.int(100)), type: 1 });
        }
        input = assembleTable(table);
      } else if (which === table.dataBlocks.length) {
        table.metaBlock.contents = mutateBuffer(table.metaBlock.contents, r);
        input = assembleTable(table);
      } else if (which === table.dataBlocks.length + 1) {
        input = assembleTable({ ...table, mutateIndex: (contents) => mutateBuffer(contents, r) });
      } else {
        // index keys that no longer bound their blocks
        const k = r.int(table.indexKeys.length);
        table.indexKeys[k] = mutateBuffer(table.indexKeys[k], r);
        input = assembleTable(table);
      }
      if (expectIndexParsedOrCoded(input, `case ${i} (${source.label}, block ${which})`)) parsed++;
    }
    t.diagnostic(`${parsed} of ${TABLE_CASES} indexes with mutated blocks (valid CRCs) still parsed`);
  });

  it(`entry, key and proto mutations re-encoded by the test writer: ${TABLE_CASES} cases`, (t) => {
    const r = rng(fuzzSeed + 12);
    let parsed = 0;
    for (let i = 0; i < TABLE_CASES; i++) {
      const source = r.pick(TF_INDEXES);
      const entries = source.entries.map((e) => ({ key: e.key, value: e.value }));
      for (let n = 1 + r.int(3); n > 0; n--) {
        const k = r.next() < 0.15 ? 0 : r.int(entries.length);  // entry 0 is the header
        const op = r.int(10);
        if (entries.length === 0) break;
        if (op < 5) entries[k] = { key: entries[k].key, value: mutateProto(entries[k].value, r) };
        else if (op === 5) entries[k] = { key: mutateBuffer(entries[k].key, r), value: entries[k].value };
        else if (op === 6) entries.splice(k, 1);
        else if (op === 7) entries.splice(k, 0, entries[k]);
        else if (op === 8) {
          const j = r.int(entries.length);
          [entries[j], entries[k]] = [entries[k], entries[j]];
        } else entries[k] = { key: entries[k].key, value: mutateBuffer(entries[k].value, r) };
      }
      const input = buildTable(entries, {
        sortKeys: r.next() < 0.7,
        blockSize: r.pick([Infinity, 64, 300, 1500]),
        restartInterval: r.pick([1, 3, 16]),
        snappy: r.next() < 0.5,
        snappyChunk: r.pick([7, 60, 300, 65536]),
        shortKeys: r.next() < 0.5,
      });
      if (expectIndexParsedOrCoded(input, `case ${i} (${source.label})`)) parsed++;
    }
    t.diagnostic(`${parsed} of ${TABLE_CASES} re-encoded indexes with mutated entries still parsed`);
  });

  it(`whole-model loads of ${Math.min(200, CASES)} TensorFlow checkpoints whose entries lie`, async (t) => {
    const r = rng(fuzzSeed + 13);
    const source = fixture('tf', 'google-tiny');
    const tensors = readTfCheckpoint(join(source, 'model.ckpt-best'));
    const weights = tensors.filter((x) => !/adam_[mv]$|global_step/.test(x.name));
    const dir = tempDir();
    writeFileSync(join(dir, 'albert_config.json'), readFileSync(join(source, 'albert_config.json')));
    const count = Math.min(200, CASES);
    let loaded = 0;
    for (let i = 0; i < count; i++) {
      const overrides = {};
      for (let n = 1 + r.int(3); n > 0; n--) {
        const victim = r.pick(weights);
        const o = (overrides[victim.name] ??= {});
        const field = r.pick(['dtype', 'shape', 'shape', 'offset', 'size', 'crc', 'shard']);
        if (field === 'dtype') o.dtype = r.pick([DT.DOUBLE, DT.HALF, DT.BFLOAT16, DT.INT32, DT.INT64, DT.UINT8, DT.STRING, DT.BOOL]);
        else if (field === 'shape') {
          // rearrangements of the same element count as well as wrong counts
          const count = victim.bytes.length / 4;
          o.shape = r.pick([[count], [1, count], [count, 1], [...victim.shape].reverse(), [2, Math.floor(count / 2)], [count * 2], [], [0], [...victim.shape, 1]]);
          if (r.next() < 0.5 && o.dtype === undefined) o.size = o.shape.reduce((a, b) => a * b, 1) * 4;
        } else if (field === 'offset') o.offset = r.pick([0, 1, 3, 147356 - victim.bytes.length, 147356, r.int(147356)]);
        else if (field === 'size') o.size = r.pick([0, victim.bytes.length - 4, victim.bytes.length + 4]);
        else if (field === 'crc') o.crc = r.int(2 ** 32);
        else o.shard = r.pick([1, 2]);
        if (o.dtype === DT.DOUBLE && o.shape === undefined && victim.shape.at(-1) % 2 === 0) o.shape = [...victim.shape.slice(0, -1), victim.shape.at(-1) / 2];
        if ((o.dtype === DT.HALF || o.dtype === DT.BFLOAT16) && o.shape === undefined && victim.shape.length) o.shape = [...victim.shape.slice(0, -1), victim.shape.at(-1) * 2];
      }
      writeTfCheckpoint(join(dir, 'model.ckpt'), tensors, { overrides, blockSize: r.pick([Infinity, 500]), snappy: r.next() < 0.5 });
      if (await loadsOrRefusesCoded(dir, `case ${i} (${JSON.stringify(overrides)})`)) loaded++;
    }
    t.diagnostic(`${loaded} of ${count} lying checkpoints loaded and ran; the rest were refused with coded errors`);
  });
});
