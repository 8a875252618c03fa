// Loading Hugging Face folders: config.json, safetensors in every float dtype, shards, prefixes, and every
// way a folder can be wrong.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AlbertModel, ErrorCodes } from '../dist/index.js';
import { fixture } from './helpers/fixtures.mjs';
import { copyFixtureFolder, modelFolder, readRawTensors, tempDir } from './helpers/temp-model.mjs';
import { encodeSafetensors, fromBfloat16, fromHalf, toBfloat16, toHalf } from './helpers/write-safetensors.mjs';
import { rejectsWith } from './helpers/errors.mjs';

const tiny = fixture('models', 'albert-tiny');
const tinyConfig = JSON.parse(readFileSync(join(tiny, 'config.json'), 'utf8'));
const tinyTensors = readRawTensors(join(tiny, 'model.safetensors'));
const sampleIds = [[2, 15, 99, 1024, 7, 3]];

async function run(folder) {
  const model = await AlbertModel.fromPretrained(folder);
  try {
    const out = await model.forward({ inputIds: sampleIds, tokenTypeIds: [[0, 0, 0, 1, 1, 1]] }, { outputHiddenStates: true });
    return out;
  } finally {
    model.dispose();
  }
}

function convertTensors(convert, dtype) {
  return tinyTensors.map((t) => {
    const f = new Float32Array(t.bytes.buffer.slice(t.bytes.byteOffset, t.bytes.byteOffset + t.bytes.length));
    const bits = Uint16Array.from(f, convert);
    return { ...t, dtype, bytes: new Uint8Array(bits.buffer) };
  });
}

function roundedF32(convert, back) {
  return tinyTensors.map((t) => {
    const f = new Float32Array(t.bytes.buffer.slice(t.bytes.byteOffset, t.bytes.byteOffset + t.bytes.length));
    const r = Float32Array.from(f, (v) => back(convert(v)));
    return { ...t, bytes: new Uint8Array(r.buffer) };
  });
}

describe('loading', () => {
  it('reads config.json with Hugging Face names and fills defaults for absent fields', async () => {
    const { layer_norm_eps: _eps, hidden_dropout_prob: _drop, ...partial } = tinyConfig;
    const folder = modelFolder({ config: partial, weights: readFileSync(join(tiny, 'model.safetensors')) });
    const model = await AlbertModel.fromPretrained(folder, { threads: 1 });
    assert.equal(model.config.hidden_size, 32);
    assert.equal(model.config.layer_norm_eps, 1e-12);
    assert.equal(model.config.hidden_dropout_prob, 0);
    assert.deepEqual(model.config.architectures, ['AlbertModel']);
    assert.equal(model.info.threads, 1);
    assert.equal(model.info.hasPooler, true);
    model.dispose();
  });

  it('accepts keys with and without the albert. prefix', async () => {
    const prefixed = encodeSafetensors(tinyTensors.map((t) => ({ ...t, name: `albert.${t.name}` })));
    const a = await run(tiny);
    const b = await run(modelFolder({ config: tinyConfig, weights: prefixed }));
    assert.deepEqual(b.lastHiddenState.data, a.lastHiddenState.data);
  });

  for (const [dtype, to, from] of [
    ['F16', toHalf, fromHalf],
    ['BF16', toBfloat16, fromBfloat16],
  ]) {
    it(`reads ${dtype} weights exactly`, async () => {
      const half = await run(modelFolder({ config: tinyConfig, weights: encodeSafetensors(convertTensors(to, dtype)) }));
      const reference = await run(modelFolder({ config: tinyConfig, weights: encodeSafetensors(roundedF32(to, from)) }));
      assert.deepEqual(half.lastHiddenState.data, reference.lastHiddenState.data);
      assert.deepEqual(half.poolerOutput.data, reference.poolerOutput.data);
    });
  }

  it('reads sharded checkpoints (model.safetensors.index.json)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config.json'), JSON.stringify(tinyConfig));
    const half = Math.ceil(tinyTensors.length / 2);
    const shards = [tinyTensors.slice(0, half), tinyTensors.slice(half)];
    const weightMap = {};
    shards.forEach((tensors, i) => {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      writeFileSync(join(dir, file), encodeSafetensors(tensors));
      for (const t of tensors) weightMap[t.name] = file;
    });
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    const sharded = await run(dir);
    const single = await run(tiny);
    assert.deepEqual(sharded.lastHiddenState.data, single.lastHiddenState.data);
    assert.equal(sharded.hiddenStates.length, 4);
  });

  it('ignores tensors the base model does not use (heads, buffers)', async () => {
    const extra = [
      ...tinyTensors,
      { name: 'embeddings.position_ids', dtype: 'I64', shape: [1, 4], bytes: new Uint8Array(32) },
      { name: 'classifier.weight', dtype: 'F32', shape: [2, 32], bytes: new Uint8Array(256) },
    ];
    const out = await run(modelFolder({ config: tinyConfig, weights: encodeSafetensors(extra) }));
    const reference = await run(tiny);
    assert.deepEqual(out.lastHiddenState.data, reference.lastHiddenState.data);
  });

  it('returns no pooler output for checkpoints without pooler weights', async () => {
    const out = await run(fixture('models', 'albert-tiny-qa'));
    assert.equal(out.poolerOutput, undefined);
  });
});

describe('loading errors', () => {
  const weights = readFileSync(join(tiny, 'model.safetensors'));

  it('missing folder', async () => {
    await rejectsWith(AlbertModel.fromPretrained('/nonexistent/albert'), ErrorCodes.FILE_NOT_FOUND, '/nonexistent/albert');
  });
  it('missing config.json', async () => {
    const folder = modelFolder({ weights });
    await rejectsWith(AlbertModel.fromPretrained(folder), ErrorCodes.FILE_NOT_FOUND, 'config.json');
  });
  it('missing weights', async () => {
    const folder = modelFolder({ config: tinyConfig });
    await rejectsWith(AlbertModel.fromPretrained(folder), ErrorCodes.FILE_NOT_FOUND, 'model.safetensors');
  });
  it('invalid JSON in config.json', async () => {
    const folder = modelFolder({ config: '{"hidden_size": 32,', weights });
    await rejectsWith(AlbertModel.fromPretrained(folder), ErrorCodes.INVALID_JSON, 'config.json');
  });
  it('config.json that is not an object', async () => {
    const folder = modelFolder({ config: '[1, 2]', weights });
    await rejectsWith(AlbertModel.fromPretrained(folder), ErrorCodes.INVALID_CONFIG, 'config.json');
  });

  const badFields = [
    ['hidden_size', '32', ErrorCodes.INVALID_CONFIG],
    ['num_attention_heads', 0, ErrorCodes.INVALID_CONFIG],
    ['num_hidden_layers', 2.5, ErrorCodes.INVALID_CONFIG],
    ['vocab_size', -1, ErrorCodes.INVALID_CONFIG],
    ['layer_norm_eps', 0, ErrorCodes.INVALID_CONFIG],
    ['layer_norm_eps', 'tiny', ErrorCodes.INVALID_CONFIG],
    ['num_attention_heads', 5, ErrorCodes.INVALID_CONFIG],
    ['hidden_act', 'swiglu', ErrorCodes.UNSUPPORTED],
    ['hidden_act', 7, ErrorCodes.INVALID_CONFIG],
    ['position_embedding_type', 'relative_key', ErrorCodes.UNSUPPORTED],
    ['model_type', 'bert', ErrorCodes.UNSUPPORTED],
  ];
  for (const [field, value, code] of badFields) {
    it(`config field ${field} = ${JSON.stringify(value)}`, async () => {
      const folder = modelFolder({ config: { ...tinyConfig, [field]: value }, weights });
      await rejectsWith(AlbertModel.fromPretrained(folder), code, field);
    });
  }

  it('a tensor whose shape disagrees with the config', async () => {
    const folder = modelFolder({ config: { ...tinyConfig, intermediate_size: 40 }, weights });
    await rejectsWith(
      AlbertModel.fromPretrained(folder),
      ErrorCodes.TENSOR_SHAPE,
      'encoder.albert_layer_groups.0.albert_layers.0.ffn.weight',
      '[37, 32]',
      '[40, 32]',
    );
  });
  it('a missing tensor, named', async () => {
    const name = 'encoder.albert_layer_groups.0.albert_layers.0.attention.key.bias';
    const folder = modelFolder({ config: tinyConfig, weights: encodeSafetensors(tinyTensors.filter((t) => t.name !== name)) });
    await rejectsWith(AlbertModel.fromPretrained(folder), ErrorCodes.MISSING_TENSOR, name);
  });
  it('layers of a group the config needs but the checkpoint lacks', async () => {
    const folder = modelFolder({ config: { ...tinyConfig, inner_group_num: 2 }, weights });
    await rejectsWith(AlbertModel.fromPretrained(folder), ErrorCodes.MISSING_TENSOR, 'albert_layers.1');
  });
  it('a weight stored as integers', async () => {
    const tensors = tinyTensors.map((t) => (t.name === 'pooler.bias' ? { ...t, dtype: 'I32' } : t));
    const folder = modelFolder({ config: tinyConfig, weights: encodeSafetensors(tensors) });
    await rejectsWith(AlbertModel.fromPretrained(folder), ErrorCodes.TENSOR_DTYPE, 'pooler.bias', 'I32');
  });

  const brokenFiles = [
    ['a truncated file', () => weights.subarray(0, weights.length - 100), 'run past the end'],
    ['a file shorter than its header length field', () => weights.subarray(0, 5), 'too short'],
    [
      'a header length larger than the file',
      () => {
        const b = Buffer.from(weights);
        b.writeBigUInt64LE(BigInt(b.length + 10), 0);
        return b;
      },
      'exceeds the file size',
    ],
    [
      'overlapping tensor offsets',
      () =>
        encodeSafetensors(tinyTensors, {
          headerOverride: (h) => {
            const names = Object.keys(h);
            const a = h[names[0]];
            const b = h[names[1]];
            const size = b.data_offsets[1] - b.data_offsets[0];
            b.data_offsets = [a.data_offsets[0], a.data_offsets[0] + size];
            return h;
          },
        }),
      'overlap',
    ],
    [
      'offsets past the data',
      () =>
        encodeSafetensors(tinyTensors, {
          headerOverride: (h) => {
            const last = h[Object.keys(h).at(-1)];
            last.data_offsets = [last.data_offsets[0] + 8, last.data_offsets[1] + 8];
            return h;
          },
        }),
      'run past the end',
    ],
    [
      'an unknown dtype',
      () =>
        encodeSafetensors(tinyTensors, {
          headerOverride: (h) => {
            h['pooler.bias'].dtype = 'F12';
            return h;
          },
        }),
      "unknown dtype 'F12'",
    ],
    [
      'a byte size that disagrees with dtype and shape',
      () =>
        encodeSafetensors(tinyTensors, {
          headerOverride: (h) => {
            h['pooler.bias'].shape = [31];
            return h;
          },
        }),
      'pooler.bias',
    ],
    ['a header that is not JSON', () => Buffer.concat([Buffer.from([4, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{{{{')]), 'invalid JSON'],
  ];
  for (const [what, make, mention] of brokenFiles) {
    it(`safetensors: ${what}`, async () => {
      const folder = modelFolder({ config: tinyConfig, weights: make() });
      const code = mention === 'invalid JSON' ? ErrorCodes.INVALID_JSON : ErrorCodes.INVALID_SAFETENSORS;
      await rejectsWith(AlbertModel.fromPretrained(folder), code, 'model.safetensors', mention);
    });
  }

  it('a shard index that points outside the folder', async () => {
    const folder = modelFolder({
      config: tinyConfig,
      files: { 'model.safetensors.index.json': JSON.stringify({ weight_map: { 'pooler.bias': '../model.safetensors' } }) },
    });
    await rejectsWith(AlbertModel.fromPretrained(folder), ErrorCodes.INVALID_SAFETENSORS, 'pooler.bias');
  });
  it('a shard index that names a missing shard', async () => {
    const folder = modelFolder({
      config: tinyConfig,
      files: { 'model.safetensors.index.json': JSON.stringify({ weight_map: { 'pooler.bias': 'model-2.safetensors' } }) },
    });
    await rejectsWith(AlbertModel.fromPretrained(folder), ErrorCodes.FILE_NOT_FOUND, 'model-2.safetensors');
  });

  it('wrong JS argument types', async () => {
    await rejectsWith(AlbertModel.fromPretrained(42), ErrorCodes.INVALID_INPUT, 'folder');
    await rejectsWith(AlbertModel.fromPretrained(tiny, { threads: -1 }), ErrorCodes.INVALID_INPUT, 'threads');
    await rejectsWith(AlbertModel.fromPretrained(tiny, { threads: '2' }), ErrorCodes.INVALID_INPUT, 'threads');
    await rejectsWith(AlbertModel.fromPretrained(tiny, { kernel: 'sse9' }), ErrorCodes.INVALID_INPUT, 'kernel');
    await rejectsWith(AlbertModel.fromPretrained(tiny, null), ErrorCodes.INVALID_INPUT, 'options');
  });

  it('copies of fixture folders load (sanity for the helpers above)', async () => {
    const folder = copyFixtureFolder(tiny, ['config.json', 'model.safetensors']);
    const out = await run(folder);
    assert.equal(out.lastHiddenState.dims.join(), '1,6,32');
  });
});
