// TensorFlow checkpoints rebuilt by the test writer (helpers/write-tf-checkpoint.mjs): first valid variants of
// the google-tiny fixture (several data blocks, Snappy blocks, TF-Hub's module/ scope) that must load and give
// the same outputs, then broken ones. Every broken checkpoint must be refused with the right coded error whose
// message names the file and/or the variable at fault, without crashing, hanging or writing any file.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { binding } from '../dist/binding.js';
import { AlbertForPreTraining, ErrorCodes } from '../dist/index.js';
import { rejectsWith } from './helpers/errors.mjs';
import { fixture } from './helpers/fixtures.mjs';
import { tempDir } from './helpers/temp-model.mjs';
import {
  DT,
  assembleTable,
  blockContents,
  buildBlock,
  decodeBlock,
  encodeHeader,
  fixturePrefix,
  readTfCheckpoint,
  reemitTfCheckpoint,
  snappyLiteral,
  splitTable,
  varint,
} from './helpers/write-tf-checkpoint.mjs';

const GOOGLE = fixture('tf', 'google-tiny');
const BRIGHTMART = fixture('tf', 'brightmart-tiny');
const WORD = 'bert/embeddings/word_embeddings';
const FFN = 'bert/encoder/transformer/group_0/inner_group_0/ffn_1/intermediate/dense/kernel';
const MAPPING = 'bert/encoder/embedding_hidden_mapping_in/kernel';
const SOP_BIAS = 'cls/seq_relationship/output_bias';
const TIMEOUT = 60_000;

const single = JSON.parse(readFileSync(join(GOOGLE, 'goldens.json'), 'utf8')).cases.find((c) => c.name === 'single').inputs;

async function outputs(path) {
  const model = await AlbertForPreTraining.fromPretrained(path, { cacheDir: join(tempDir(), 'unused-cache') });
  try {
    const out = await model.forward(
      { inputIds: single.input_ids, attentionMask: single.input_mask, tokenTypeIds: single.token_type_ids },
      { predictionPositions: [[0, 1], [0, 4]] },
    );
    return { lastHiddenState: out.lastHiddenState.data, sopLogits: out.sopLogits.data, predictionLogits: out.predictionLogits.data };
  } finally {
    model.dispose();
  }
}

const reference = outputs(GOOGLE);

async function assertSameOutputs(path, label) {
  const [expected, actual] = await Promise.all([reference, outputs(path)]);
  for (const key of Object.keys(expected)) {
    assert.equal(actual[key].length, expected[key].length, `${label}: ${key} length`);
    assert.deepEqual(Buffer.from(actual[key].buffer, actual[key].byteOffset, actual[key].byteLength),
      Buffer.from(expected[key].buffer, expected[key].byteOffset, expected[key].byteLength), `${label}: ${key} differs`);
  }
}

/** A re-emitted google-tiny (or `source`) in a fresh folder; options go to writeTfCheckpoint(). */
function variant(options = {}, source = GOOGLE) {
  const dir = tempDir();
  return { dir, ...reemitTfCheckpoint(source, dir, options) };
}

/** Every file under `dir` with its size and modification time. */
function snapshot(dir) {
  const out = {};
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out[p] = [st.size, st.mtimeMs];
    }
  };
  walk(dir);
  return out;
}

/**
 * Loading `path` must reject with `code` and a message holding every string of `mentions`, leaving `dir` (the
 * checkpoint folder) exactly as it was and creating no cache folder.
 */
async function assertRefused(path, dir, code, mentions) {
  const before = snapshot(dir);
  const cacheDir = join(tempDir(), 'cache');
  let message;
  const load = AlbertForPreTraining.fromPretrained(path, { cacheDir }).catch((error) => {
    message = error?.message;
    throw error;
  });
  await rejectsWith(load, code, ...mentions);
  assert.deepEqual(snapshot(dir), before, 'the failed load changed the checkpoint folder');
  assert.ok(!existsSync(cacheDir), 'the failed load created a cache folder');
  return message;
}

const entryOf = (written, name) => written.entries.find((e) => e.name === name);

const asFloats = (bytes) => new Float32Array(Uint8Array.from(bytes).buffer);

/** float32 -> bfloat16 bytes (round to nearest even). */
function toBfloat16(values) {
  const bits = new Uint32Array(Float32Array.from(values).buffer);
  const out = new Uint16Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = (bits[i] + 0x7fff + ((bits[i] >>> 16) & 1)) >>> 16;
  return Buffer.from(out.buffer);
}

/** float32 -> IEEE half bytes (normal range; these weights are small). */
function toHalf(values) {
  const out = new Uint16Array(values.length);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < values.length; i++) {
    f[0] = values[i];
    const x = u[0];
    const sign = (x >>> 16) & 0x8000;
    const exponent = ((x >>> 23) & 0xff) - 127 + 15;
    if (exponent <= 0) out[i] = sign;  // flush tiny values to zero
    else out[i] = sign | (exponent << 10) | ((x >>> 13) & 0x3ff);
  }
  return Buffer.from(out.buffer);
}

describe('checkpoints written by the test writer load like the originals', () => {
  it('re-emitting google-tiny unchanged gives the fixture bytes back', () => {
    const v = variant();
    assert.deepEqual(v.index, readFileSync(`${fixturePrefix(GOOGLE)}.index`));
    assert.deepEqual(v.shards[0], readFileSync(`${fixturePrefix(GOOGLE)}.data-00000-of-00001`));
  });

  for (const [label, options] of [
    ['several data blocks (256-byte blocks, restart every 3 entries)', { blockSize: 256, restartInterval: 3 }],
    ['one entry per block, full index keys', { blockSize: 1, restartInterval: 1, shortKeys: false }],
    ['Snappy-compressed data blocks', { blockSize: 1024, snappy: true }],
    ['Snappy blocks of short literals (every literal length form)', { blockSize: 4096, snappy: true, snappyChunk: 61 }],
    ["TF-Hub's module/ scope", { transform: (tensors) => tensors.map((t) => ({ ...t, name: `module/${t.name}` })) }],
    ['module/ scope, small Snappy blocks and no optimizer slots', {
      blockSize: 300,
      snappy: true,
      transform: (tensors) => tensors.filter((t) => !/adam_[mv]$|global_step/.test(t.name)).map((t) => ({ ...t, name: `module/${t.name}` })),
    }],
  ]) {
    it(`${label}: same outputs as the original`, { timeout: TIMEOUT }, async () => {
      const v = variant(options);
      const blocks = splitTable(v.index).dataBlocks;
      if (options.blockSize) assert.ok(blocks.length > 1, `${blocks.length} data block(s)`);
      if (options.snappy) assert.ok(blocks.every((b) => b.type === 1));
      await assertSameOutputs(v.dir, label);
    });
  }

  it('float weights stored as DT_DOUBLE load exactly; DT_BFLOAT16 and DT_HALF load and run', { timeout: TIMEOUT }, async () => {
    const isWeight = (t) => t.dtype === DT.FLOAT && !/adam_[mv]$/.test(t.name);
    const double = variant({
      transform: (tensors) => tensors.map((t) => (isWeight(t) ? { ...t, dtype: DT.DOUBLE, bytes: Buffer.from(Float64Array.from(asFloats(t.bytes)).buffer) } : t)),
    });
    await assertSameOutputs(double.dir, 'DT_DOUBLE');
    for (const [dtype, convert] of [[DT.BFLOAT16, toBfloat16], [DT.HALF, toHalf]]) {
      const v = variant({ transform: (tensors) => tensors.map((t) => (isWeight(t) ? { ...t, dtype, bytes: convert(asFloats(t.bytes)) } : t)) });
      const [expected, actual] = await Promise.all([reference, outputs(v.dir)]);
      for (const key of Object.keys(expected)) {
        assert.equal(actual[key].length, expected[key].length);
        const diff = actual[key].reduce((m, x, i) => Math.max(m, Math.abs(x - expected[key][i])), 0);
        assert.ok(diff < 0.5, `dtype ${dtype}: ${key} differs by ${diff}`);
      }
    }
  });

  it('reads back through parseTfIndex with every entry as written', () => {
    const v = variant({ blockSize: 200, snappy: true, restartInterval: 5 });
    const back = readTfCheckpoint(v.prefix);
    const original = readTfCheckpoint(fixturePrefix(GOOGLE));
    assert.deepEqual(back.map((t) => [t.name, t.dtype, t.shape, Buffer.from(t.bytes)]), original.map((t) => [t.name, t.dtype, t.shape, Buffer.from(t.bytes)]));
  });
});

describe('broken TensorFlow checkpoints are refused with coded errors', () => {
  it('a truncated .index (every kind of cut point)', { timeout: TIMEOUT }, async () => {
    const v = variant({ blockSize: 1024 });
    const full = v.index;
    const cuts = [0, 1, 8, 47, 48, 100, full.length >> 1, full.length - 49, full.length - 48, full.length - 20, full.length - 8, full.length - 1];
    for (const cut of cuts) {
      writeFileSync(v.indexPath, full.subarray(0, cut));
      await assertRefused(v.dir, v.dir, ErrorCodes.INVALID_CHECKPOINT, [v.indexPath]);
    }
  });

  it('a truncated .data file (entries pointing past its end)', { timeout: TIMEOUT }, async () => {
    const v = variant();
    const size = v.shards[0].length;
    for (const cut of [size - 1, size - 8, size >> 1, 0]) {
      truncateSync(v.dataPaths[0], cut);
      const message = await assertRefused(v.dir, v.dir, ErrorCodes.INVALID_CHECKPOINT, [v.dataPaths[0], 'truncated']);
      const last = v.entries.find((e) => e.offset + e.size > cut);
      assert.ok(message.includes(`'${last.name}'`), message);
    }
    rmSync(v.dataPaths[0]);
    await assertRefused(v.dir, v.dir, ErrorCodes.FILE_NOT_FOUND, [v.dataPaths[0]]);
  });

  it('a flipped byte in the .data file fails the CRC32C check of that tensor', { timeout: TIMEOUT }, async () => {
    for (const name of [WORD, FFN, SOP_BIAS]) {
      const v = variant();
      const e = entryOf(v, name);
      const data = Buffer.from(v.shards[0]);
      data[e.offset + (e.size >> 1)] ^= 0x10;
      writeFileSync(v.dataPaths[0], data);
      await assertRefused(v.dir, v.dir, ErrorCodes.INVALID_CHECKPOINT, [v.dataPaths[0], `'${name}'`, 'CRC32C']);
    }
  });

  it('a flipped byte in any block of the index fails the block CRC32C check', { timeout: TIMEOUT }, async () => {
    const v = variant({ blockSize: 1024 });
    const table = splitTable(v.index);
    const metaAt = table.dataBlocks.at(-1).offset + table.dataBlocks.at(-1).contents.length + 5;
    const indexAt = metaAt + table.metaBlock.contents.length + 5;
    // inside data blocks 0 and 1, a trailer's type byte and CRC, the metaindex and the index block
    const positions = [3, 100, table.dataBlocks[1].offset + 10, table.dataBlocks[1].offset - 5, table.dataBlocks[1].offset - 2, metaAt + 1, indexAt + 2];
    for (const at of positions) {
      const bad = Buffer.from(v.index);
      bad[at] ^= 0x04;
      writeFileSync(v.indexPath, bad);
      await assertRefused(v.dir, v.dir, ErrorCodes.INVALID_CHECKPOINT, [v.indexPath, 'CRC32C']);
    }
  });

  it("a wrong CRC32C in a tensor's entry", { timeout: TIMEOUT }, async () => {
    const v = variant({ overrides: { [WORD]: { crc: 0x12345678 } } });
    await assertRefused(v.dir, v.dir, ErrorCodes.INVALID_CHECKPOINT, [v.dataPaths[0], `'${WORD}'`, 'CRC32C']);
    const dropped = variant({ overrides: { [SOP_BIAS]: { crc: 0 } } });  // crc32c field absent: reads as 0
    await assertRefused(dropped.dir, dropped.dir, ErrorCodes.INVALID_CHECKPOINT, [dropped.dataPaths[0], `'${SOP_BIAS}'`, 'CRC32C']);
  });

  it('an entry whose offset or size reaches outside its shard', { timeout: TIMEOUT }, async () => {
    const size = readTfCheckpoint(fixturePrefix(GOOGLE)).reduce((n, t) => n + t.bytes.length, 0);
    for (const offset of [size - 4, size, size + 1, 2 ** 40, 2 ** 53]) {
      const v = variant({ overrides: { [SOP_BIAS]: { offset } } });
      await assertRefused(v.dir, v.dir, ErrorCodes.INVALID_CHECKPOINT, [v.indexPath, `'${SOP_BIAS}'`, v.dataPaths[0]]);
    }
    // offsets, sizes and shard ids past 2^63 read as negative int64
    for (const field of ['offset', 'size', 'shard']) {
      const v = variant({ overrides: { [SOP_BIAS]: { [field]: 2n ** 64n - 8n } } });
      await assertRefused(v.dir, v.dir, ErrorCodes.INVALID_CHECKPOINT, [v.indexPath, `'${SOP_BIAS}'`]);
    }
    // a huge size with a matching (huge) shape
    const huge = variant({ overrides: { [SOP_BIAS]: { shape: [2 ** 40], size: 2 ** 42 } } });
    await assertRefused(huge.dir, huge.dir, ErrorCodes.INVALID_CHECKPOINT, [huge.indexPath, `'${SOP_BIAS}'`]);
  });

  it('an entry whose size disagrees with its shape and dtype', { timeout: TIMEOUT }, async () => {
    for (const o of [{ size: 128 * 16 * 4 + 4 }, { size: 128 * 16 * 2 }, { shape: [128, 17] }, { dtype: DT.HALF }, { shape: [2 ** 32, 2 ** 32, 2 ** 32] }]) {
      const v = variant({ overrides: { [WORD]: o } });
      await assertRefused(v.dir, v.dir, ErrorCodes.INVALID_CHECKPOINT, [v.indexPath, `'${WORD}'`]);
    }
  });

  it('an unknown dtype enum', { timeout: TIMEOUT }, async () => {
    for (const dtype of [99, 20, 0, -1]) {
      const v = variant({ overrides: { [`${WORD}/adam_m`]: { dtype } } });
      const message = await assertRefused(v.dir, v.dir, ErrorCodes.INVALID_CHECKPOINT, [v.indexPath, `'${WORD}/adam_m'`]);
      assert.match(message, /dtype/);
    }
  });

  it('a model weight with a non-float dtype', { timeout: TIMEOUT }, async () => {
    for (const [dtype, name] of [[DT.INT32, 'DT_INT32'], [DT.UINT32, 'DT_UINT32']]) {
      const v = variant({ overrides: { [WORD]: { dtype } } });
      await assertRefused(v.dir, v.dir, ErrorCodes.TENSOR_DTYPE, [`'${WORD}'`, name, v.dataPaths[0]]);
    }
    const int64 = variant({ overrides: { [SOP_BIAS]: { dtype: DT.INT64, shape: [1] } } });
    await assertRefused(int64.dir, int64.dir, ErrorCodes.TENSOR_DTYPE, [`'${SOP_BIAS}'`, 'DT_INT64']);
  });

  it('a shape that disagrees with the config', { timeout: TIMEOUT }, async () => {
    const cases = [
      [WORD, [16, 128], '[16, 128]'],                      // same element count, wrong layout
      [MAPPING, [32, 16], 'stored [32, 16] as [in, out]'],  // a kernel stored [out, in]: the message shows what TF stored
      [MAPPING, [16, 2, 16], '[16, 2, 16]'],               // a 3-D kernel
      ['bert/embeddings/LayerNorm/gamma', [4, 4], '[4, 4]'],
    ];
    for (const [name, shape, mention] of cases) {
      const v = variant({ overrides: { [name]: { shape } } });
      await assertRefused(v.dir, v.dir, ErrorCodes.TENSOR_SHAPE, [`'${name}`, mention, v.dataPaths[0]]);
    }
  });

  it('a missing required variable, named as TensorFlow names it', { timeout: TIMEOUT }, async () => {
    const v = variant({ omit: [FFN] });
    await assertRefused(v.dir, v.dir, ErrorCodes.MISSING_TENSOR, [`'${FFN}'`]);
    const hub = variant({ transform: (tensors) => tensors.filter((t) => t.name !== MAPPING).map((t) => ({ ...t, name: `module/${t.name}` })) });
    await assertRefused(hub.dir, hub.dir, ErrorCodes.MISSING_TENSOR, [`'module/${MAPPING}'`]);
    const bm = 'bert/encoder/layer_shared/output/LayerNorm/gamma';
    const brightmart = variant({ omit: [bm] }, BRIGHTMART);
    await assertRefused(brightmart.dir, brightmart.dir, ErrorCodes.MISSING_TENSOR, [`'${bm}'`]);
    const noEmbeddings = variant({ omit: [WORD] });
    await assertRefused(noEmbeddings.dir, noEmbeddings.dir, ErrorCodes.MISSING_TENSOR, [WORD, noEmbeddings.indexPath]);
  });

  it('num_shards 2 with the second shard missing', { timeout: TIMEOUT }, async () => {
    const v = variant({ numShards: 2, shardOf: (name) => (name.startsWith('cls/') ? 1 : 0), omitShards: [1] });
    assert.ok(v.dataPaths[1].endsWith('.data-00001-of-00002'));
    await assertRefused(v.dir, v.dir, ErrorCodes.FILE_NOT_FOUND, [v.dataPaths[1]]);
    writeFileSync(v.dataPaths[1], v.shards[1]);
    await assertSameOutputs(v.dir, 'two shards');
    // an entry naming a shard past num_shards
    const past = variant({ overrides: { [SOP_BIAS]: { shard: 1 } } });
    await assertRefused(past.dir, past.dir, ErrorCodes.INVALID_CHECKPOINT, [past.indexPath, `'${SOP_BIAS}'`, 'shard']);
  });

  it('an index with a bad magic', { timeout: TIMEOUT }, async () => {
    const v = variant();
    for (const at of [1, 8]) {
      const bad = Buffer.from(v.index);
      bad[bad.length - at] ^= 0xff;
      writeFileSync(v.indexPath, bad);
      await assertRefused(v.dir, v.dir, ErrorCodes.INVALID_CHECKPOINT, [v.indexPath, 'magic']);
    }
    writeFileSync(v.indexPath, readFileSync(fixture('tf', 'google-tiny', 'albert_config.json')));
    await assertRefused(v.dir, v.dir, ErrorCodes.INVALID_CHECKPOINT, [v.indexPath]);
  });

  it('keys out of order, or repeated', { timeout: TIMEOUT }, async () => {
    const reversed = variant({ sortKeys: false, transform: (tensors) => [...tensors].reverse() });
    await assertRefused(reversed.dir, reversed.dir, ErrorCodes.INVALID_CHECKPOINT, [reversed.indexPath, 'out of order']);
    const acrossBlocks = variant({ sortKeys: false, blockSize: 300, transform: (tensors) => [...tensors.slice(40), ...tensors.slice(0, 40)] });
    await assertRefused(acrossBlocks.dir, acrossBlocks.dir, ErrorCodes.INVALID_CHECKPOINT, [acrossBlocks.indexPath]);
    const twice = variant({ sortKeys: false, transform: (tensors) => [...tensors.slice(0, 5), tensors[4], ...tensors.slice(5)] });
    await assertRefused(twice.dir, twice.dir, ErrorCodes.INVALID_CHECKPOINT, [twice.indexPath, 'out of order']);
  });

  it('a data block key beyond its index key', { timeout: TIMEOUT }, async () => {
    const v = variant({ blockSize: 500 });
    const table = splitTable(v.index);
    table.indexKeys[0] = Buffer.from('a');
    writeFileSync(v.indexPath, assembleTable(table));
    await assertRefused(v.dir, v.dir, ErrorCodes.INVALID_CHECKPOINT, [v.indexPath, 'data block 0']);
  });

  it('a Snappy block whose copy reaches before the block start', { timeout: TIMEOUT }, async () => {
    const v = variant({ blockSize: 1024, snappy: true });
    const table = splitTable(v.index);
    const raw = blockContents(table.dataBlocks[1]);
    // a 2-byte-offset copy of 4 bytes, 50 bytes back, after only 10 literal bytes; and a copy with nothing before it
    for (const body of [
      Buffer.concat([snappyLiteral(raw.subarray(0, 10)).subarray(varint(10).length), Buffer.of(((4 - 1) << 2) | 2, 50, 0)]),
      Buffer.of(((4 - 4) << 2) | 1, 1),
      Buffer.concat([snappyLiteral(raw.subarray(0, 8)).subarray(1), Buffer.of(((8 - 1) << 2) | 3, 9, 0, 0, 0)]),
    ]) {
      table.dataBlocks[1] = { contents: Buffer.concat([varint(raw.length), body]), type: 1 };
      writeFileSync(v.indexPath, assembleTable(table));
      await assertRefused(v.dir, v.dir, ErrorCodes.INVALID_CHECKPOINT, [v.indexPath, 'data block 1', 'copy reaches before the start']);
    }
  });

  it('other malformed Snappy blocks', { timeout: TIMEOUT }, async () => {
    const v = variant({ blockSize: 1024, snappy: true });
    const table = splitTable(v.index);
    const raw = blockContents(table.dataBlocks[0]);
    const good = snappyLiteral(raw);
    for (const contents of [
      good.subarray(0, good.length - 1),                                   // a literal runs past the input
      Buffer.concat([varint(raw.length + 1), good.subarray(varint(raw.length).length)]),  // declared length too long
      Buffer.concat([varint(raw.length - 1), good.subarray(varint(raw.length).length)]),  // a literal past the declared length
      Buffer.concat([varint(2 ** 30), good.subarray(varint(raw.length).length)]),         // absurd declared length
      Buffer.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff),                       // bad varint
      Buffer.alloc(0),
    ]) {
      table.dataBlocks[0] = { contents, type: 1 };
      writeFileSync(v.indexPath, assembleTable(table));
      await assertRefused(v.dir, v.dir, ErrorCodes.INVALID_CHECKPOINT, [v.indexPath, 'data block 0']);
    }
  });

  it('indexes that would decode to far more than their size are refused quickly', { timeout: TIMEOUT }, async () => {
    const native = binding();
    // keys that each repeat the whole previous key plus one byte: memory quadratic in the file size
    const header = encodeHeader();
    const pieces = [varint(0), varint(0), varint(header.length), header];
    for (let i = 0; i < 60000; i++) pieces.push(varint(i), varint(1), varint(0), Buffer.of(0x61));
    const growing = Buffer.concat([...pieces, Buffer.from(new Uint32Array([0, 1]).buffer)]);
    // the same data block listed again and again by the index
    const base = splitTable(readFileSync(`${fixturePrefix(fixture('tf', 'google-tiny-groups'))}.index`));
    const handle = Buffer.concat([varint(0), varint(base.dataBlocks[0].contents.length)]);
    const repeated = assembleTable({ ...base, mutateIndex: () => buildBlock(Array.from({ length: 30000 }, () => ({ key: Buffer.of(0xff), value: handle })), 1) });
    // an empty 256 KiB data block (only restart points) listed twice
    const restarts = Buffer.alloc(1 << 18);
    for (let i = 0; i < (1 << 16) - 1; i++) restarts.writeUInt32LE(i, 4 * i);
    restarts.writeUInt32LE((1 << 16) - 1, restarts.length - 4);
    const empty = assembleTable({ dataBlocks: [{ contents: restarts, type: 0 }], indexKeys: [Buffer.of(0xff)] });
    const emptyTwice = assembleTable({ dataBlocks: [{ contents: restarts, type: 0 }], indexKeys: [Buffer.of(0xff)], mutateIndex: () => buildBlock([0, 1].map(() => ({ key: Buffer.of(0xff), value: Buffer.concat([varint(0), varint(restarts.length)]) })), 1) });
    assert.throws(() => native.testing.parseTfIndex(new Uint8Array(empty)), /no header entry/);
    for (const [label, bytes, pattern] of [
      ['growing keys', assembleTable({ dataBlocks: [{ contents: growing, type: 0 }], indexKeys: [Buffer.of(0xff)] }), /decodes to more key and value bytes/],
      ['growing keys, Snappy', assembleTable({ dataBlocks: [{ contents: snappyLiteral(growing), type: 1 }], indexKeys: [Buffer.of(0xff)] }), /decodes to more key and value bytes/],
      ['one block listed 30000 times', repeated, /overlaps the data block before it/],
      ['an empty block listed twice', emptyTwice, /overlaps the data block before it/],
    ]) {
      const started = performance.now();
      assert.throws(() => native.testing.parseTfIndex(new Uint8Array(bytes)), (error) => {
        assert.equal(error.code, ErrorCodes.INVALID_CHECKPOINT, error.message);
        assert.match(error.message, pattern);
        return true;
      }, label);
      const ms = performance.now() - started;
      assert.ok(ms < 5000, `${label}: ${Math.round(ms)} ms`);
    }
    const dir = tempDir();
    writeFileSync(join(dir, 'model.ckpt.index'), repeated);
    writeFileSync(join(dir, 'albert_config.json'), readFileSync(join(GOOGLE, 'albert_config.json')));
    await assertRefused(dir, dir, ErrorCodes.INVALID_CHECKPOINT, [join(dir, 'model.ckpt.index'), 'data block 1']);
  });

  it('an unknown compression type (2)', { timeout: TIMEOUT }, async () => {
    for (const compressionType of [2, 0x80, 0xff]) {
      const v = variant({ compressionType });
      await assertRefused(v.dir, v.dir, ErrorCodes.INVALID_CHECKPOINT, [v.indexPath, `compression type ${compressionType}`]);
    }
  });

  it('a malformed header entry or entry proto', { timeout: TIMEOUT }, async () => {
    const header = [
      [{ endianness: 1 }, 'big-endian'],
      [{ minConsumer: 7 }, 'min_consumer'],
      [{ numShards: 0 }, 'shards'],
      [{ numShards: 2 ** 20 }, 'shards'],
      [Buffer.of(0x08), 'truncated varint'],
      [Buffer.of(0x0a, 0x05, 0x00), 'declares 5 bytes'],
      [Buffer.of(0x1a, 0x02, 0x08), 'declares 2 bytes'],
    ];
    for (const [h, mention] of header) {
      const v = variant({ header: h });
      await assertRefused(v.dir, v.dir, ErrorCodes.INVALID_CHECKPOINT, [v.indexPath, 'header', mention]);
    }
    const entries = [
      Buffer.of(0x08),                                    // truncated dtype
      Buffer.of(0x08, 0x01, 0x12, 0x04, 0x12, 0x02, 0x08), // truncated dim
      Buffer.of(0x08, 0x01, 0x12, 0x02, 0x18, 0x01),      // unknown_rank
      Buffer.of(0x08, 0x01, 0x30, 0x01),                  // crc32c as a varint
      Buffer.of(0x08, 0x01, 0x0f),                        // wire type 7
      Buffer.of(0x00, 0x01),                              // field number 0
      Buffer.alloc(0),                                    // no dtype
    ];
    for (const value of entries) {
      const v = variant({ overrides: { [WORD]: { value } } });
      await assertRefused(v.dir, v.dir, ErrorCodes.INVALID_CHECKPOINT, [v.indexPath, `'${WORD}'`]);
    }
    // keys with control bytes are escaped in messages, and long keys cut short
    const binary = variant({ extraEntries: [{ key: Buffer.from('bert/\x00\x1bbad'), value: Buffer.of(0x08) }] });
    await assertRefused(binary.dir, binary.dir, ErrorCodes.INVALID_CHECKPOINT, [binary.indexPath, "entry 'bert/\\x00\\x1bbad'"]);
    const long = variant({ extraEntries: [{ key: Buffer.alloc(5000, 0x7a), value: Buffer.of(0x08) }] });
    const message = await assertRefused(long.dir, long.dir, ErrorCodes.INVALID_CHECKPOINT, [long.indexPath, '(5000 bytes)']);
    assert.ok(message.length < 1000, `${message.length}-character message`);
    // no header entry at all
    const headless = variant({ header: Buffer.alloc(0), overrides: {} });
    const table = splitTable(headless.index);
    const block = blockContents(table.dataBlocks[0]);
    table.dataBlocks[0] = { contents: buildBlock(decodeBlock(block).slice(1)), type: 0 };
    writeFileSync(headless.indexPath, assembleTable(table));
    await assertRefused(headless.dir, headless.dir, ErrorCodes.INVALID_CHECKPOINT, [headless.indexPath, 'header']);
  });

  it('a partitioned (sliced) model variable is unsupported', { timeout: TIMEOUT }, async () => {
    const v = variant({ overrides: { [WORD]: { slices: true } } });
    await assertRefused(v.dir, v.dir, ErrorCodes.UNSUPPORTED, [`'${WORD}'`, 'partitioned']);
  });

  it("a `checkpoint` state file naming another machine's absolute path falls back to the files beside it", { timeout: TIMEOUT }, async () => {
    for (const state of [
      'model_checkpoint_path: "/home/trainer/runs/albert_tiny/model.ckpt-best"\nall_model_checkpoint_paths: "/home/trainer/runs/albert_tiny/model.ckpt-best"\n',
      'model_checkpoint_path: "gs://albert_bucket/pretrain/model.ckpt-best"\n',
      'model_checkpoint_path: "C:\\\\Users\\\\trainer\\\\albert\\\\model.ckpt-best"\n',
    ]) {
      const v = variant({ blockSize: 700 });
      writeFileSync(join(v.dir, 'checkpoint'), state);
      const before = snapshot(v.dir);
      await assertSameOutputs(v.dir, state);
      assert.deepEqual(snapshot(v.dir), before, 'loading wrote into the folder');
    }
  });

  it('a folder with two *.index files and no `checkpoint` file asks for a prefix', { timeout: TIMEOUT }, async () => {
    const v = variant({ copy: ['albert_config.json'] });
    reemitTfCheckpoint(GOOGLE, v.dir, { copy: [], blockSize: 500 });  // same prefix: rename it to a second one
    for (const suffix of ['.index', '.data-00000-of-00001']) renameSync(`${v.prefix}${suffix}`, `${v.prefix}-2${suffix}`);
    reemitTfCheckpoint(GOOGLE, v.dir, { copy: [] });
    const message = await assertRefused(v.dir, v.dir, ErrorCodes.INVALID_INPUT, [v.dir, 'model.ckpt-best.index', 'model.ckpt-best-2.index', 'prefix']);
    assert.match(message, /checkpoint/);
    // a state file naming neither does not help; the prefix does
    writeFileSync(join(v.dir, 'checkpoint'), 'model_checkpoint_path: "model.ckpt-gone"\n');
    await assertRefused(v.dir, v.dir, ErrorCodes.INVALID_INPUT, ['prefix']);
    await assertSameOutputs(`${v.prefix}-2`, 'second prefix');
  });

  it('a folder without a config', { timeout: TIMEOUT }, async () => {
    const v = variant({ copy: ['checkpoint'] });
    await assertRefused(v.dir, v.dir, ErrorCodes.FILE_NOT_FOUND, ['albert_config.json', v.prefix]);
    await assertRefused(v.prefix, v.dir, ErrorCodes.FILE_NOT_FOUND, ['albert_config.json']);
  });

  it('a config with ln_type "foo" or otherwise invalid', { timeout: TIMEOUT }, async () => {
    const config = JSON.parse(readFileSync(join(GOOGLE, 'albert_config.json'), 'utf8'));
    const v = variant();
    const path = join(v.dir, 'albert_config.json');
    writeFileSync(path, JSON.stringify({ ...config, ln_type: 'foo' }));
    await assertRefused(v.dir, v.dir, ErrorCodes.INVALID_CONFIG, [path, 'ln_type']);
    writeFileSync(path, JSON.stringify({ ...config, ln_type: 3 }));
    await assertRefused(v.dir, v.dir, ErrorCodes.INVALID_CONFIG, [path, 'ln_type']);
    writeFileSync(path, JSON.stringify({ ...config, hidden_size: 33 }));
    await assertRefused(v.dir, v.dir, ErrorCodes.INVALID_CONFIG, ['hidden_size']);
    writeFileSync(path, JSON.stringify({ ...config, embedding_size: 8 }));
    await assertRefused(v.dir, v.dir, ErrorCodes.TENSOR_SHAPE, [WORD]);
    writeFileSync(path, '[1, 2]');
    await assertRefused(v.dir, v.dir, ErrorCodes.INVALID_CONFIG, [path]);
    writeFileSync(path, '{"vocab_size": 128,');
    await assertRefused(v.dir, v.dir, ErrorCodes.INVALID_JSON, [path]);
  });
});
