// pytorch_model.bin as a source of weights, read without running its pickle: torch's zip and legacy
// formats reproduce the goldens of albert-tiny-seqcls on every kernel set; pickles that call os.system are
// refused before anything runs; broken archives, pickles, storages and strides fail with coded errors; and
// thousands of mutated files either parse or fail cleanly (FUZZ_CASES, FUZZ_SEED).
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { binding } from '../dist/binding.js';
import { AlbertForSequenceClassification, cpuInfo, ErrorCodes, isAlbertNodeError } from '../dist/index.js';
import { maxAbsDiff } from './helpers/compare.mjs';
import { rejectsWith } from './helpers/errors.mjs';
import { fixture, repoRoot, TOLERANCE } from './helpers/fixtures.mjs';
import { fuzzSeed, rng } from './helpers/random.mjs';
import { readSafetensors } from './helpers/safetensors.mjs';
import { readRawTensors, tempDir } from './helpers/temp-model.mjs';
import { encodeSafetensors, toHalf } from './helpers/write-safetensors.mjs';
import { convertTensors, PickleWriter, storedZip, torchLegacy, torchZip } from './helpers/write-torch-bin.mjs';

const native = binding();
const kernels = cpuInfo().kernels;
const SEQCLS = fixture('models', 'albert-tiny-seqcls');
const torchFixture = (...parts) => fixture('torch-bin', ...parts);
const goldens = readSafetensors(join(SEQCLS, 'goldens.safetensors'));
const cases = JSON.parse(readFileSync(join(SEQCLS, 'goldens.json'), 'utf8')).cases.map((c) => c.name);
const tensors = readRawTensors(join(SEQCLS, 'model.safetensors'));
const FOLDER_FILES = ['config.json', 'spiece.model', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];
const CASES = Number(process.env.FUZZ_CASES ?? 3000);
// What the malicious fixtures' pickles would run: `echo this-pickle-ran-code > pwned.txt` (in the working directory).
const SENTINEL = 'pwned.txt';
// fp16 weights differ from the float32 ones by up to 2^-11 relative (round to nearest); through the tiny
// model that moves its logits (|logit| <= 1.4) by about 1.5e-3, so the goldens are checked within 1e-2.
const FP16_GOLDEN_TOLERANCE = 1e-2;

function caseInputs(caseName) {
  const ids = goldens.get(`${caseName}.input_ids`);
  return {
    inputIds: { data: ids.data, dims: ids.shape },
    attentionMask: { data: goldens.get(`${caseName}.attention_mask`).data, dims: ids.shape },
    tokenTypeIds: { data: goldens.get(`${caseName}.token_type_ids`).data, dims: ids.shape },
  };
}

async function allLogits(model) {
  const out = {};
  for (const caseName of cases) out[caseName] = (await model.forward(caseInputs(caseName))).logits.data;
  return out;
}

/** A model folder (config and tokenizer of albert-tiny-seqcls) with `files`: { name: Buffer }. */
function folderWith(files) {
  const dir = tempDir('albert-node-torch-');
  for (const name of FOLDER_FILES) copyFileSync(join(SEQCLS, name), join(dir, name));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  return dir;
}

/** The entries of a zip archive without ZIP64 records (the fixtures), as [{ name, data }]. */
function unzipStored(bytes) {
  const end = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = bytes.readUInt16LE(end + 10);
  let at = bytes.readUInt32LE(end + 16);
  const entries = [];
  for (let i = 0; i < count; i++) {
    const size = bytes.readUInt32LE(at + 24);
    const nameLength = bytes.readUInt16LE(at + 28);
    const name = bytes.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    const local = bytes.readUInt32LE(at + 42);
    const start = local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28);
    entries.push({ name, data: Buffer.from(bytes.subarray(start, start + size)) });
    at += 46 + nameLength + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
  }
  return entries;
}

function parse(bytes) {
  return native.testing.parseTorchBin(new Uint8Array(bytes));
}

function throwsCoded(fn, code, ...mentions) {
  assert.throws(fn, (error) => {
    assert.ok(isAlbertNodeError(error), `expected a coded error, got ${error?.stack ?? error}`);
    assert.equal(error.code, code, error.message);
    for (const m of mentions) assert.ok(error.message.includes(m), `message "${error.message}" should mention "${m}"`);
    return true;
  });
}

// ---- the fixtures: goldens on every kernel set ----

const GOOD = [
  { folder: 'albert-tiny-seqcls-zip', format: 'zip', dtype: 'F32', tolerance: TOLERANCE },
  { folder: 'albert-tiny-seqcls-legacy', format: 'legacy', dtype: 'F32', tolerance: TOLERANCE },
  { folder: 'albert-tiny-seqcls-fp16', format: 'zip', dtype: 'F16', tolerance: FP16_GOLDEN_TOLERANCE },
];

describe('pytorch_model.bin fixtures', () => {
  for (const { folder, format, dtype } of GOOD) {
    it(`${folder}: the ${format} format, ${tensors.length} ${dtype} tensors under the safetensors names and shapes`, () => {
      const parsed = parse(readFileSync(torchFixture(folder, 'pytorch_model.bin')));
      assert.equal(parsed.format, format);
      assert.equal(parsed.skipped, 0);
      const expected = new Map(tensors.map((t) => [t.name, t]));
      assert.equal(parsed.tensors.length, expected.size);
      for (const t of parsed.tensors) {
        assert.ok(expected.has(t.name), t.name);
        assert.deepEqual(t.shape, expected.get(t.name).shape, t.name);
        assert.equal(t.dtype, dtype, t.name);
        assert.equal(t.nbytes, (expected.get(t.name).bytes.length * (dtype === 'F16' ? 2 : 4)) / 4, t.name);
      }
    });
  }

  for (const { folder, tolerance } of GOOD) {
    for (const kernel of kernels) {
      describe(`${folder} goldens (${kernel} kernels)`, () => {
        let model;
        it('loads from pytorch_model.bin (source.format "pytorch")', async () => {
          model = await AlbertForSequenceClassification.fromPretrained(torchFixture(folder), { kernel });
          assert.equal(model.source.format, 'pytorch');
          assert.equal(model.source.layout, 'huggingface');
          assert.equal(model.source.checkpoint, torchFixture(folder, 'pytorch_model.bin'));
        });
        for (const caseName of cases) {
          it(caseName, async (t) => {
            const out = await model.forward(caseInputs(caseName));
            const expected = goldens.get(`${caseName}.logits`);
            assert.deepEqual(out.logits.dims, expected.shape);
            const diff = maxAbsDiff(out.logits.data, expected.data);
            t.diagnostic(`logits max abs diff ${diff.toExponential(2)} (bound ${tolerance})`);
            assert.ok(diff <= tolerance, `logits differ by ${diff} (> ${tolerance})`);
          });
        }
        it('disposes', () => model.dispose());
      });
    }
  }

  it('the fp16 file holds exactly the float32 weights rounded to half (same outputs as a float16 safetensors copy)', async () => {
    const half = tensors.map((t) => {
      const src = new Float32Array(new Uint8Array(t.bytes).buffer);
      return { ...t, dtype: 'F16', bytes: new Uint8Array(Uint16Array.from(src, toHalf).buffer) };
    });
    const reference = await AlbertForSequenceClassification.fromPretrained(folderWith({ 'model.safetensors': encodeSafetensors(half) }));
    const model = await AlbertForSequenceClassification.fromPretrained(torchFixture('albert-tiny-seqcls-fp16'));
    const [a, b] = [await allLogits(model), await allLogits(reference)];
    for (const caseName of cases) assert.ok(maxAbsDiff(a[caseName], b[caseName]) <= 1e-6, caseName);
    model.dispose();
    reference.dispose();
  });
});

// ---- malicious pickles ----

describe('pickles that would run code are refused, and nothing runs', () => {
  for (const folder of ['malicious-plain', 'malicious-zip']) {
    it(`${folder}: ERR_ALBERT_UNSUPPORTED naming posix.system; no ${SENTINEL} appears`, async () => {
      const work = tempDir('albert-node-sentinel-');
      const previous = process.cwd();
      process.chdir(work); // where `echo ... > pwned.txt` would write
      try {
        await rejectsWith(AlbertForSequenceClassification.fromPretrained(torchFixture(folder)), ErrorCodes.UNSUPPORTED, "'posix.system'", 'pytorch_model.bin', 'nothing was executed');
        throwsCoded(() => parse(readFileSync(torchFixture(folder, 'pytorch_model.bin'))), ErrorCodes.UNSUPPORTED, "'posix.system'");
      } finally {
        process.chdir(previous);
      }
      for (const dir of [work, previous, repoRoot, torchFixture(folder)]) assert.ok(!existsSync(join(dir, SENTINEL)), `${SENTINEL} in ${dir}`);
    });
  }

  const EVIL = [
    ['os', 'system'],
    ['builtins', 'eval'],
    ['builtins', 'exec'],
    ['__builtin__', 'eval'],
    ['subprocess', 'Popen'],
    ['subprocess', 'check_output'],
    ['torch', 'load'],
    ['torch.storage', '_load_from_bytes'],
    ['numpy.core.multiarray', '_reconstruct'],
    ['collections', 'defaultdict'],
  ];
  for (const [module, name] of EVIL) {
    for (const protocol of [2, 4]) {
      it(`global ${module}.${name} (protocol ${protocol}, ${protocol === 2 ? 'GLOBAL' : 'STACK_GLOBAL'}) is refused by name`, () => {
        const extra = (w) => w.str('evil').global(module, name).str('echo hi').op(0x85, 0x52);
        throwsCoded(() => parse(torchZip(tensors, { protocol, extra })), ErrorCodes.UNSUPPORTED, `'${module}.${name}'`, 'nothing was executed');
        throwsCoded(() => parse(torchLegacy(tensors, { protocol, extra })), ErrorCodes.UNSUPPORTED, `'${module}.${name}'`);
      });
    }
  }

  it('opcodes that build or call objects are refused by name: INST, OBJ, NEWOBJ, NEWOBJ_EX, EXT1, PERSID, GET', () => {
    const snippets = [
      ['INST', Buffer.from('(ios\nsystem\n', 'latin1')],
      ['OBJ', Buffer.from([0x28, 0x29, 0x6f])],
      ['NEWOBJ', Buffer.from([0x29, 0x29, 0x81])],
      ['NEWOBJ_EX', Buffer.from([0x29, 0x29, 0x7d, 0x92])],
      ['EXT1', Buffer.from([0x82, 0x01])],
      ['PERSID', Buffer.from('P0\n', 'latin1')],
      ['GET', Buffer.from('g0\n', 'latin1')],
    ];
    for (const [opcode, bytes] of snippets) {
      throwsCoded(() => parse(torchZip(tensors, { extra: (w) => w.raw(bytes) })), ErrorCodes.UNSUPPORTED, opcode);
    }
  });

  it('REDUCE of an allowed name that is no rebuild function is refused (a storage type, a dtype, OrderedDict in _rebuild_from_type_v2)', () => {
    throwsCoded(() => parse(torchZip(tensors, { extra: (w) => w.str('x').global('torch', 'FloatStorage').op(0x29, 0x52) })), ErrorCodes.UNSUPPORTED, 'torch.FloatStorage');
    throwsCoded(() => parse(torchZip(tensors, { extra: (w) => w.str('x').global('torch', 'float32').op(0x29, 0x52) })), ErrorCodes.UNSUPPORTED, 'torch.float32');
    throwsCoded(() => parse(torchZip(tensors, { extra: (w) => w.str('x').op(0x4e, 0x29, 0x52) })), ErrorCodes.UNSUPPORTED, 'REDUCE');
    const fromType = (func) => (w) => w.str('x').global('torch._tensor', '_rebuild_from_type_v2').op(0x28).global(...func).global('torch', 'Tensor').op(0x29, 0x7d, 0x74, 0x52);
    throwsCoded(() => parse(torchZip(tensors, { extra: fromType(['collections', 'OrderedDict']) })), ErrorCodes.UNSUPPORTED, 'function other than');
    throwsCoded(() => parse(torchZip(tensors, { extra: fromType(['torch._tensor', '_rebuild_from_type_v2']) })), ErrorCodes.UNSUPPORTED, 'function other than');
  });
});

// ---- what torch writes besides the fixtures ----

describe('other torch.save layouts', () => {
  const variants = [
    ['protocol 4 (FRAME, MEMOIZE, SHORT_BINUNICODE, STACK_GLOBAL), OrderedDict with _metadata, Parameters', () => torchZip(tensors, { protocol: 4, ordered: true, parameters: true, top: 'model' })],
    ['ZIP64 records and extra fields', () => torchZip(tensors, { zip64: true })],
    ['tensors with Python attributes (_rebuild_from_type_v2)', () => torchZip(tensors, { fromType: true })],
    ['legacy format with an OrderedDict state dict', () => torchLegacy(tensors, { ordered: true })],
    ['float64 weights', () => torchZip(convertTensors(tensors, 'F64'))],
    ['an int64 position_ids buffer the model ignores', () => torchZip([...tensors, { name: 'albert.embeddings.position_ids', dtype: 'I64', shape: [1, 64], bytes: new Uint8Array(BigInt64Array.from({ length: 64 }, (_, i) => BigInt(i)).buffer) }])],
    [
      'tensors sharing one storage at offsets (legacy, all in storage "0")',
      () => {
        const all = Buffer.concat(tensors.map((t) => Buffer.from(t.bytes)));
        const offsets = [];
        tensors.reduce((at, t) => (offsets.push(at), at + t.bytes.length / 4), 0);
        return torchLegacy(tensors, { layout: (t, i) => ({ key: '0', offset: offsets[i], storageNumel: all.length / 4, storageBytes: all }) });
      },
    ],
  ];
  for (const [label, make] of variants) {
    it(`${label}: loads and reproduces the goldens`, async () => {
      const model = await AlbertForSequenceClassification.fromPretrained(folderWith({ 'pytorch_model.bin': make() }));
      assert.equal(model.source.format, 'pytorch');
      const logits = await allLogits(model);
      for (const caseName of cases) {
        const diff = maxAbsDiff(logits[caseName], goldens.get(`${caseName}.logits`).data);
        assert.ok(diff <= TOLERANCE, `${caseName}: ${diff}`);
      }
      model.dispose();
    });
  }

  it('bfloat16 weights load (within bfloat16 rounding of the goldens)', async () => {
    const model = await AlbertForSequenceClassification.fromPretrained(folderWith({ 'pytorch_model.bin': torchZip(convertTensors(tensors, 'BF16')) }));
    const logits = await allLogits(model);
    // bfloat16 keeps 8 bits of mantissa (2^-9 relative rounding): 8x fp16's error, about 1e-2 on these logits.
    for (const caseName of cases) assert.ok(maxAbsDiff(logits[caseName], goldens.get(`${caseName}.logits`).data) <= 5e-2, caseName);
    model.dispose();
  });

  it('sharded: pytorch_model.bin.index.json and its shards', async () => {
    const half = Math.floor(tensors.length / 2);
    const shards = { 'pytorch_model-00001-of-00002.bin': tensors.slice(0, half), 'pytorch_model-00002-of-00002.bin': tensors.slice(half) };
    const weightMap = {};
    for (const [file, list] of Object.entries(shards)) for (const t of list) weightMap[t.name] = file;
    const files = { 'pytorch_model.bin.index.json': JSON.stringify({ metadata: {}, weight_map: weightMap }) };
    files['pytorch_model-00001-of-00002.bin'] = torchZip(shards['pytorch_model-00001-of-00002.bin']);
    files['pytorch_model-00002-of-00002.bin'] = torchLegacy(shards['pytorch_model-00002-of-00002.bin']);
    const folder = folderWith(files);
    const model = await AlbertForSequenceClassification.fromPretrained(folder);
    assert.equal(model.source.format, 'pytorch');
    assert.equal(model.source.checkpoint, join(folder, 'pytorch_model.bin.index.json'));
    const logits = await allLogits(model);
    for (const caseName of cases) assert.ok(maxAbsDiff(logits[caseName], goldens.get(`${caseName}.logits`).data) <= TOLERANCE, caseName);
    model.dispose();

    const wrong = { ...weightMap, 'albert.pooler.bias': 'pytorch_model-00001-of-00002.bin' };
    const misplaced = folderWith({ ...files, 'pytorch_model.bin.index.json': JSON.stringify({ weight_map: wrong }) });
    await rejectsWith(AlbertForSequenceClassification.fromPretrained(misplaced), ErrorCodes.INVALID_CHECKPOINT, 'albert.pooler.bias', 'does not hold it');
    const escaping = folderWith({ ...files, 'pytorch_model.bin.index.json': JSON.stringify({ weight_map: { ...weightMap, 'albert.pooler.bias': '../x.bin' } }) });
    await rejectsWith(AlbertForSequenceClassification.fromPretrained(escaping), ErrorCodes.INVALID_CHECKPOINT, 'invalid shard file');
  });

  it('model.safetensors wins over pytorch_model.bin when both are there', async () => {
    const folder = folderWith({ 'model.safetensors': readFileSync(join(SEQCLS, 'model.safetensors')), 'pytorch_model.bin': readFileSync(torchFixture('malicious-zip', 'pytorch_model.bin')) });
    const model = await AlbertForSequenceClassification.fromPretrained(folder);
    assert.equal(model.source.format, 'safetensors');
    model.dispose();
  });

  it('savePretrained writes model.safetensors from a pytorch_model.bin model', async () => {
    const model = await AlbertForSequenceClassification.fromPretrained(torchFixture('albert-tiny-seqcls-zip'));
    const target = join(tempDir(), 'saved');
    await model.savePretrained(target);
    const saved = await AlbertForSequenceClassification.fromPretrained(target);
    assert.equal(saved.source.format, 'safetensors');
    assert.ok(existsSync(join(target, 'tokenizer.json')) && existsSync(join(target, 'spiece.model')), 'tokenizer files copied');
    const [a, b] = [await allLogits(model), await allLogits(saved)];
    for (const caseName of cases) assert.deepEqual(Array.from(a[caseName]), Array.from(b[caseName]), caseName);
    model.dispose();
    saved.dispose();
  });
});

// ---- broken files ----

describe('broken pytorch_model.bin files fail with coded errors', () => {
  const zipBytes = readFileSync(torchFixture('albert-tiny-seqcls-zip', 'pytorch_model.bin'));
  const legacyBytes = readFileSync(torchFixture('albert-tiny-seqcls-legacy', 'pytorch_model.bin'));
  const fixtureEntries = unzipStored(zipBytes);
  const rezip = (edit) => storedZip(edit(fixtureEntries.map((e) => ({ ...e }))));

  it('the test zip writer round-trips the fixture (so the cases below change only what they say)', () => {
    assert.deepEqual(parse(rezip((e) => e)), parse(zipBytes));
  });

  it('truncated files', () => {
    for (const length of [0, 3, 4, 21, 100, 3300, zipBytes.length - 2238, zipBytes.length - 23, zipBytes.length - 1]) {
      throwsCoded(() => parse(zipBytes.subarray(0, length)), ErrorCodes.INVALID_CHECKPOINT);
    }
    for (const length of [1, 2, 14, 15, 100, 3000, 4051, 4055, 4100, legacyBytes.length - 1]) {
      throwsCoded(() => parse(legacyBytes.subarray(0, length)), ErrorCodes.INVALID_CHECKPOINT);
    }
    throwsCoded(() => parse(legacyBytes.subarray(0, 4100)), ErrorCodes.INVALID_CHECKPOINT, 'runs past the end of the file');
    throwsCoded(() => parse(Buffer.concat([legacyBytes, Buffer.from([0])])), ErrorCodes.INVALID_CHECKPOINT, 'unexpected bytes');
  });

  it('bad zip directories and entries', () => {
    const end = zipBytes.length - 22;
    const patch = (at, write) => {
      const b = Buffer.from(zipBytes);
      write(b, at);
      return b;
    };
    const directory = zipBytes.readUInt32LE(end + 16);
    const zip64Record = Number(zipBytes.readBigUInt64LE(end - 12));
    const cases = [
      ['directory offset past the end', patch(end + 16, (b, at) => b.writeUInt32LE(0xfffffff0, at)), 'central directory'],
      ['directory size past the end', patch(end + 12, (b, at) => b.writeUInt32LE(zipBytes.length, at)), 'central directory'],
      ['entry count larger than the directory', patch(end + 8, (b, at) => (b.writeUInt16LE(0xfff0, at), b.writeUInt16LE(0xfff0, at + 2))), 'entry count'],
      // torch always writes ZIP64 end records: the 64-bit values are the ones used
      ['ZIP64 directory offset past the end', patch(zip64Record + 48, (b, at) => (b.writeBigUInt64LE(2n ** 40n, at), b.writeUInt32LE(0xffffffff, end + 16))), 'outside the archive'],
      ['ZIP64 entry count larger than the directory', patch(zip64Record + 24, (b, at) => (b.writeBigUInt64LE(2n ** 40n, at), b.writeBigUInt64LE(2n ** 40n, at + 8), b.writeUInt32LE(0xffffffff, end + 8))), 'entries'],
      ['ZIP64 locator pointing elsewhere', patch(end - 12, (b, at) => b.writeBigUInt64LE(0n, at)), 'no ZIP64 end record'],
      ['central header signature', patch(directory, (b, at) => b.writeUInt32LE(0x12345678, at)), 'bad signature'],
      ['name length past the directory', patch(directory + 28, (b, at) => b.writeUInt16LE(0xffff, at)), 'runs past the directory'],
      ['local header offset past the data', patch(directory + 42, (b, at) => b.writeUInt32LE(zipBytes.length, at)), 'local header'],
      ['entry size past the data', patch(directory + 20, (b, at) => (b.writeUInt32LE(0x7ffffff0, at), b.writeUInt32LE(0x7ffffff0, at + 4))), 'run past the archive data'],
      ['no end record', Buffer.concat([zipBytes.subarray(0, end), Buffer.alloc(22)]), 'end-of-central-directory'],
    ];
    for (const [label, bytes, mention] of cases) {
      assert.throws(() => parse(bytes), (error) => {
        assert.equal(error.code, ErrorCodes.INVALID_CHECKPOINT, `${label}: ${error.message}`);
        assert.ok(error.message.includes(mention), `${label}: "${error.message}" should mention "${mention}"`);
        return true;
      });
    }
    // a storage byte flipped after the CRC was computed
    const flipped = Buffer.from(zipBytes);
    flipped[zipBytes.indexOf(Buffer.from('pytorch_model/data/4')) + 200] ^= 0x40;
    throwsCoded(() => parse(flipped), ErrorCodes.INVALID_CHECKPOINT, "'pytorch_model/data/4'", 'CRC-32 mismatch');
    throwsCoded(() => parse(rezip((e) => [...e, { name: e[5].name, data: e[5].data }])), ErrorCodes.INVALID_CHECKPOINT, 'appears twice');
    throwsCoded(() => parse(rezip((e) => e.filter((x) => !x.name.endsWith('/data/3')))), ErrorCodes.INVALID_CHECKPOINT, "storage '3'", 'no record');
    throwsCoded(() => parse(rezip((e) => e.filter((x) => !x.name.endsWith('/version')))), ErrorCodes.INVALID_CHECKPOINT, 'version');
    throwsCoded(() => parse(rezip((e) => e.filter((x) => !x.name.endsWith('/data.pkl')))), ErrorCodes.INVALID_CHECKPOINT, 'data.pkl');
    throwsCoded(() => parse(rezip((e) => [...e, { name: 'other/data.pkl', data: e[0].data }])), ErrorCodes.INVALID_CHECKPOINT, 'several data.pkl');
    throwsCoded(() => parse(rezip((e) => e.map((x) => (x.name.endsWith('byteorder') ? { ...x, data: Buffer.from('big') } : x)))), ErrorCodes.UNSUPPORTED, 'big-endian');
  });

  it('compressed and encrypted entries are refused (torch stores entries uncompressed)', () => {
    throwsCoded(() => parse(torchZip(tensors, { entries: (e) => e.map((x) => (x.name.endsWith('data/4') ? { ...x, method: 8 } : x)) })), ErrorCodes.UNSUPPORTED, 'compressed', 'data/4');
    throwsCoded(() => parse(torchZip(tensors, { entries: (e) => e.map((x) => (x.name.endsWith('data.pkl') ? { ...x, flags: 1 } : x)) })), ErrorCodes.UNSUPPORTED, 'encrypted', 'data.pkl');
  });

  it('storage sizes and tensor ranges outside their storage', () => {
    const big = tensors.findIndex((t) => t.name.endsWith('word_embeddings.weight'));
    const name = tensors[big].name;
    const numel = tensors[big].bytes.length / 4;
    // the record is shorter than the persistent id says
    throwsCoded(() => parse(torchZip(tensors, { layout: (t, i) => (i === big ? { numelInPid: numel + 1 } : {}) })), ErrorCodes.INVALID_CHECKPOINT, `data/${big}`, 'needs');
    // the tensor starts inside its storage but runs past it
    throwsCoded(() => parse(torchZip(tensors, { layout: (t, i) => (i === big ? { offset: 1 } : {}) })), ErrorCodes.INVALID_CHECKPOINT, `tensor '${name}'`, 'run past the end of storage');
    throwsCoded(() => parse(torchLegacy(tensors, { layout: (t, i) => (i === big ? { offset: numel * 4 } : {}) })), ErrorCodes.INVALID_CHECKPOINT, 'storage offset');
    // legacy: the element count before the bytes disagrees, or the keys list is wrong
    throwsCoded(() => parse(torchLegacy(tensors, { counts: { [String(big)]: numel * 1000 } })), ErrorCodes.INVALID_CHECKPOINT, `storage '${big}'`);
    throwsCoded(() => parse(torchLegacy(tensors, { keys: ['0', '1'] })), ErrorCodes.INVALID_CHECKPOINT, 'missing from the storage key list');
    throwsCoded(() => parse(torchLegacy(tensors, { keys: [...tensors.keys()].map(String).concat(['0']) })), ErrorCodes.INVALID_CHECKPOINT, 'twice');
    throwsCoded(() => parse(torchLegacy(tensors, { keys: [...tensors.keys()].map(String).concat(['999']) })), ErrorCodes.INVALID_CHECKPOINT, "'999'");
  });

  it('non-contiguous tensors are refused', () => {
    const i = tensors.findIndex((t) => t.name.endsWith('pooler.weight'));
    const [rows, cols] = tensors[i].shape;
    throwsCoded(() => parse(torchZip(tensors, { layout: (t, j) => (j === i ? { stride: [1, rows] } : {}) })), ErrorCodes.UNSUPPORTED, tensors[i].name, 'not contiguous', `stride [1, ${rows}]`);
    throwsCoded(() => parse(torchLegacy(tensors, { layout: (t, j) => (j === i ? { stride: [cols * 2, 1] } : {}) })), ErrorCodes.UNSUPPORTED, 'not contiguous');
    // size-1 dimensions may have any stride, as torch considers them contiguous
    const j = tensors.findIndex((t) => t.shape.length === 1);
    const ok = parse(torchZip(tensors.map((t, k) => (k === j ? { ...t, shape: [1, t.shape[0]] } : t)), { layout: (t, k) => (k === j ? { stride: [12345, 1] } : {}) }));
    assert.deepEqual(ok.tensors[j].shape, [1, tensors[j].shape[0]]);
  });

  it('malformed pickles: unknown opcodes, protocols past 5, bad operands, limits', () => {
    // The opcodes after PROTO 2, then STOP (unless `stop` is false), as the archive's data.pkl.
    const pickled = (build, stop = true) => {
      const w = new PickleWriter(2);
      build(w);
      if (stop) w.op(0x2e);
      return torchZip(tensors, { pickle: Buffer.concat(w.parts) });
    };
    const bad = [
      ['not an opcode', (w) => w.op(0xff), ErrorCodes.INVALID_CHECKPOINT, '0xff', 'not a pickle opcode'],
      ['protocol 6', (w) => w.op(0x80, 6).op(0x7d), ErrorCodes.UNSUPPORTED, 'protocol 6'],
      ['no STOP', (w) => w.op(0x7d), ErrorCodes.INVALID_CHECKPOINT, 'before its STOP', false],
      ['stack underflow', (w) => w.op(0x73), ErrorCodes.INVALID_CHECKPOINT, 'stack underflow'],
      ['SETITEMS on a list', (w) => w.op(0x5d, 0x28).int(1).int(2).op(0x75), ErrorCodes.INVALID_CHECKPOINT, 'SETITEMS needs a dict'],
      ['memo never stored', (w) => w.op(0x68, 7), ErrorCodes.INVALID_CHECKPOINT, 'memo index 7'],
      ['memo index too large', (w) => w.op(0x7d).op(0x72).raw(Buffer.from([0xff, 0xff, 0xff, 0x7f])), ErrorCodes.INVALID_CHECKPOINT, 'memo index'],
      ['string longer than the pickle', (w) => w.op(0x58).raw(Buffer.from([0xff, 0xff, 0xff, 0xff])), ErrorCodes.INVALID_CHECKPOINT, 'truncated'],
      ['invalid UTF-8', (w) => w.op(0x58, 2, 0, 0, 0, 0xc3, 0x28), ErrorCodes.INVALID_CHECKPOINT, 'UTF-8'],
      ['2000 nested MARKs', (w) => w.raw(Buffer.alloc(2000, 0x28)), ErrorCodes.INVALID_CHECKPOINT, 'nested MARK'],
      ['a list, not a state dict', (w) => w.op(0x5d), ErrorCodes.INVALID_CHECKPOINT, 'not a state dict'],
      ['a list holding itself', (w) => w.op(0x5d, 0x71, 0, 0x68, 0, 0x61), ErrorCodes.INVALID_CHECKPOINT, 'not a state dict'],
      ['a dict key that is no string', (w) => w.op(0x7d).int(1).op(0x4e, 0x73), ErrorCodes.INVALID_CHECKPOINT, 'not a str'],
      ['persistent id of another type', (w) => w.op(0x28).str('module').op(0x74, 0x51), ErrorCodes.UNSUPPORTED, "'module'"],
      ['persistent id with an unknown storage type', (w) => w.op(0x28).str('storage').global('torch', 'float32').str('0').str('cpu').int(1).op(0x74, 0x51), ErrorCodes.UNSUPPORTED, 'torch.float32'],
      ['rebuild without a storage', (w) => w.global('torch._utils', '_rebuild_tensor').op(0x28, 0x4e).int(0).op(0x29, 0x29, 0x74, 0x52), ErrorCodes.INVALID_CHECKPOINT, 'without a storage'],
      ['BUILD on a list', (w) => w.op(0x7d, 0x5d).op(0x7d, 0x62), ErrorCodes.UNSUPPORTED, 'BUILD on a list'],
    ];
    for (const [label, build, code, mention, stop = true] of bad) {
      assert.throws(() => parse(pickled(build, stop)), (error) => {
        assert.ok(isAlbertNodeError(error), `${label}: ${error}`);
        assert.equal(error.code, code, `${label}: ${error.message}`);
        assert.ok(error.message.includes(mention), `${label}: "${error.message}" should mention "${mention}"`);
        return true;
      });
    }
    throwsCoded(() => parse(torchLegacy(tensors, { pickle: new PickleWriter(2).op(0x7d).int(1).stop() })), ErrorCodes.INVALID_CHECKPOINT);
    // a plain pickle of a dict is no torch.save file
    throwsCoded(() => parse(new PickleWriter(2).op(0x7d).stop()), ErrorCodes.INVALID_CHECKPOINT, 'no magic number');
  });

  it('model loading reports the file', async () => {
    const folder = folderWith({ 'pytorch_model.bin': zipBytes.subarray(0, 5000) });
    await rejectsWith(AlbertForSequenceClassification.fromPretrained(folder), ErrorCodes.INVALID_CHECKPOINT, join(folder, 'pytorch_model.bin'));
    const empty = folderWith({});
    await rejectsWith(AlbertForSequenceClassification.fromPretrained(empty), ErrorCodes.FILE_NOT_FOUND);
  });
});

// ---- fuzzing ----

const OPCODE_BYTES = [...'().NJKMGXTUCBthqrjcQRbsuaelde}]0123IFLSVpgPio'].map((c) => c.charCodeAt(0)).concat([0x80, 0x81, 0x82, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x00, 0xff]);
const SNIPPETS = [
  'cposix\nsystem\n', 'cbuiltins\neval\n', 'ctorch\nFloatStorage\n', 'ccollections\nOrderedDict\n', 'ctorch._utils\n_rebuild_tensor_v2\n',
  '(', 't', 'R', ')R', 'Q', 'b', '}', ']', 'a', 's', 'u', 'e', '.', 'N', '\x88', '\x93', '\x94', 'h\x00', 'h\x02', 'q\xff', 'r\xff\xff\xff\x7f', 'j\x01\x00\x00\x00',
  'K\xff', 'M\xff\xff', 'J\xff\xff\xff\xff', '\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7f', '\x8a\x0a' + '\xff'.repeat(10), 'X\xff\xff\xff\x7f', '\x8c\x05torch', '\x95\xff\xff\xff\xff\xff\xff\xff\xff',
  '(X\x07\x00\x00\x00storagectorch\nHalfStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x10tQ',
].map((s) => Buffer.from(s, 'latin1'));

/** 1-3 mutations of `source`, mostly inside [0, focus). */
function mutate(source, r, focus = source.length) {
  let b = Buffer.from(source);
  for (let n = 1 + r.int(3); n > 0; n--) {
    const at = r.int(10) < 8 ? r.int(Math.min(focus, b.length) + 1) : r.int(b.length + 1);
    switch (r.int(7)) {
      case 0:
        if (b.length) b[Math.min(at, b.length - 1)] ^= 1 << r.int(8);
        break;
      case 1:
        if (b.length) b[Math.min(at, b.length - 1)] = r.pick(OPCODE_BYTES);
        break;
      case 2:
        b = b.subarray(0, at);
        break;
      case 3:
        b = Buffer.concat([b.subarray(0, at), r.pick(SNIPPETS), b.subarray(at + r.int(3))]);
        break;
      case 4:
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + r.int(16))]);
        break;
      case 5: {
        const from = r.int(Math.max(1, focus));
        b = Buffer.concat([b.subarray(0, at), b.subarray(from, from + 1 + r.int(64)), b.subarray(at)]);
        break;
      }
      default:
        if (at + 4 <= b.length) b.writeUInt32LE(r.pick([0, 1, 0x7f, 0xff, 0xffff, 0x7fffffff, 0xffffffff, r.int(2 ** 32)]) >>> 0, at);
    }
  }
  return b;
}

function parsedOrCoded(bytes, context) {
  try {
    parse(bytes);
    return true;
  } catch (error) {
    assert.ok(isAlbertNodeError(error), `${context}: uncoded error ${error?.stack ?? error}`);
    assert.ok([ErrorCodes.INVALID_CHECKPOINT, ErrorCodes.UNSUPPORTED].includes(error.code), `${context}: unexpected code ${error.code}: ${error.message}`);
    return false;
  }
}

describe(`pytorch_model.bin fuzzing (seed ${fuzzSeed}; FUZZ_SEED / FUZZ_CASES)`, () => {
  const zipBytes = readFileSync(torchFixture('albert-tiny-seqcls-zip', 'pytorch_model.bin'));
  const legacyBytes = readFileSync(torchFixture('albert-tiny-seqcls-legacy', 'pytorch_model.bin'));
  const entries = unzipStored(zipBytes);
  const pickleBytes = entries.find((e) => e.name.endsWith('/data.pkl')).data;
  const legacyPickles = 4051; // the five pickles; the storages follow

  it(`data.pkl in a valid archive: ${CASES} mutations`, (t) => {
    const r = rng(fuzzSeed + 52);
    let parsed = 0;
    for (let i = 0; i < CASES; i++) {
      const pickle = mutate(pickleBytes, r);
      if (parsedOrCoded(storedZip(entries.map((e) => (e.name.endsWith('/data.pkl') ? { ...e, data: pickle } : e))), `case ${i}`)) parsed++;
    }
    t.diagnostic(`${parsed} of ${CASES} still parsed`);
  });

  it(`legacy files: ${CASES} mutations`, (t) => {
    const r = rng(fuzzSeed + 53);
    let parsed = 0;
    for (let i = 0; i < CASES; i++) if (parsedOrCoded(mutate(legacyBytes, r, legacyPickles), `case ${i}`)) parsed++;
    t.diagnostic(`${parsed} of ${CASES} still parsed`);
  });

  it(`zip structure (headers, directory, end records): ${CASES} mutations`, (t) => {
    const r = rng(fuzzSeed + 54);
    const directoryStart = zipBytes.readUInt32LE(zipBytes.length - 22 + 16);
    let parsed = 0;
    for (let i = 0; i < CASES; i++) {
      let bytes;
      if (r.int(2)) {
        // the central directory and end record, then rebuilt so offsets stay plausible
        const tail = mutate(zipBytes.subarray(directoryStart), r);
        bytes = Buffer.concat([zipBytes.subarray(0, directoryStart), tail]);
      } else {
        bytes = mutate(zipBytes, r, 4096);
      }
      if (parsedOrCoded(bytes, `case ${i}`)) parsed++;
    }
    t.diagnostic(`${parsed} of ${CASES} still parsed`);
  });

  it(`malicious pickles: ${Math.min(CASES, 1000)} mutations never get past the global`, () => {
    const r = rng(fuzzSeed + 55);
    const plain = readFileSync(torchFixture('malicious-plain', 'pytorch_model.bin'));
    for (let i = 0; i < Math.min(CASES, 1000); i++) {
      const bytes = mutate(plain, r);
      parsedOrCoded(bytes, `case ${i}`);
    }
    for (const dir of [process.cwd(), repoRoot]) assert.ok(!existsSync(join(dir, SENTINEL)));
  });
});
