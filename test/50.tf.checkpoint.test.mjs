// TensorFlow 1 checkpoints read directly: the index reader on real TensorFlow index files, and every
// fixture of fixtures/tf (Google's layout with groups, the Chinese model, brightmart's post- and pre-LN
// layouts) against the goldens of the original TensorFlow code, on every kernel set; archives, prefixes,
// the tokenizers of the releases, and conversion to a Hugging Face folder.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { binding } from '../dist/binding.js';
import { AlbertForPreTraining, AlbertModel, Tokenizer, cpuInfo } from '../dist/index.js';
import { fixture, TOLERANCE } from './helpers/fixtures.mjs';
import { readNpy } from './helpers/npy.mjs';
import { tempDir } from './helpers/temp-model.mjs';

const FIXTURES = ['google-tiny', 'google-tiny-groups', 'zh-google-tiny', 'brightmart-tiny', 'brightmart-preln-tiny'];
const kernels = cpuInfo().kernels;

function goldens(name) {
  return JSON.parse(readFileSync(fixture('tf', name, 'goldens.json'), 'utf8'));
}

function golden(name, file) {
  return readNpy(fixture('tf', name, file));
}

/** Max |a - b| over the [B, S, H] rows whose input mask is 1 (TF also computes padded rows; the engine zeroes them). */
function maskedDiff(actual, expected, mask, hidden) {
  let max = 0;
  const flatMask = mask.flat();
  for (let cell = 0; cell < flatMask.length; cell++) {
    if (flatMask[cell] === 0) continue;
    for (let j = 0; j < hidden; j++) {
      const d = Math.abs(actual[cell * hidden + j] - expected[cell * hidden + j]);
      if (!(d <= max)) max = Number.isNaN(d) ? Infinity : d;
    }
  }
  return max;
}

function maxDiff(actual, expected) {
  assert.equal(actual.length, expected.length);
  let max = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= max)) max = Number.isNaN(d) ? Infinity : d;
  }
  return max;
}

/** Runs every case of fixture `name` through `model` and checks every output the goldens hold. */
async function checkGoldens(model, name, label) {
  const g = goldens(name);
  const config = g.config;
  const hidden = config.hidden_size;
  const inner = config.inner_group_num ?? 1;
  let worst = 0;
  for (const c of g.cases) {
    const { input_ids, input_mask, token_type_ids, mlm_positions } = c.inputs;
    const positions = mlm_positions.flatMap((row, b) => row.map((p) => [b, p]));
    const out = await model.forward(
      { inputIds: input_ids, attentionMask: input_mask, tokenTypeIds: token_type_ids },
      { outputHiddenStates: true, predictionPositions: positions },
    );
    const where = `${label} ${c.name}`;
    const check = (what, diff) => {
      worst = Math.max(worst, diff);
      assert.ok(diff <= TOLERANCE, `${where}: ${what} differs from TensorFlow by ${diff}`);
    };
    check('sequence_output', maskedDiff(out.lastHiddenState.data, golden(name, c.outputs.sequence_output.file).data, input_mask, hidden));
    check('pooled_output', maxDiff(out.poolerOutput.data, golden(name, c.outputs.pooled_output.file).data));
    check('sop_logits', maxDiff(out.sopLogits.data, golden(name, c.outputs.sop_logits.file).data));
    check('mlm_logits', maxDiff(out.predictionLogits.data, golden(name, c.outputs.mlm_logits.file).data));
    // all_encoder_layers holds one entry per inner-group application; hidden state l+1 follows layer l's last one.
    const layers = golden(name, c.outputs.all_encoder_layers.file);
    const cells = input_ids.length * input_ids[0].length * hidden;
    for (let l = 0; l < config.num_hidden_layers; l++) {
      const entry = (l + 1) * (layers.shape[0] / config.num_hidden_layers) - 1;
      check(`all_encoder_layers[${entry}]`, maskedDiff(out.hiddenStates[l + 1].data, layers.data.subarray(entry * cells, (entry + 1) * cells), input_mask, hidden));
    }
    assert.equal(layers.shape[0], name.startsWith('brightmart') ? config.num_hidden_layers : config.num_hidden_layers * inner);
    // brightmart's embedding output is H wide: the engine's first hidden state.
    if (c.outputs.embedding_output.shape[2] === hidden) {
      check('embedding_output', maskedDiff(out.hiddenStates[0].data, golden(name, c.outputs.embedding_output.file).data, input_mask, hidden));
    }
  }
  return worst;
}

describe('TensorFlow checkpoint index reader', () => {
  const native = binding();
  const expected = {
    'minigo.index': [333, ['batch_normalization/beta', 'batch_normalization/beta/Momentum', 'global_step']],
    'transformer.index': [148, ['model/h0/attn/c_attn/b', 'model/h0/attn/c_proj/b', 'model/wte']],
    'style.index': [92, ['conv1.conv2d.bias', 'conv1.conv2d.weight', 'res5.in2.weight']],
  };
  for (const [file, [count, names]] of Object.entries(expected)) {
    it(`lists the ${count} entries of tf-index/${file} (Snappy-compressed blocks)`, () => {
      const index = native.testing.parseTfIndex(new Uint8Array(readFileSync(fixture('tf-index', file))));
      assert.equal(index.numShards, 1);
      assert.equal(index.entries.length, count);
      const listed = new Set(index.entries.map((e) => e.name));
      for (const name of names) assert.ok(listed.has(name), `${file} lacks ${name}`);
      for (const e of index.entries) assert.equal(e.shard, 0);
    });
  }

  it('lists every variable of each ALBERT fixture with the dtype and shape TensorFlow reports', () => {
    for (const name of FIXTURES) {
      const g = goldens(name);
      const index = native.testing.parseTfIndex(new Uint8Array(readFileSync(fixture('tf', name, `${g.checkpoint_prefix}.index`))));
      assert.deepEqual(
        index.entries.map((e) => [e.name, e.shape, e.dtype]),
        g.variables.map((v) => [v.name, v.shape, { float32: 'DT_FLOAT', int64: 'DT_INT64' }[v.dtype]]),
        name,
      );
      // Tensors are packed back to back in key order; the data file ends with the last one.
      let offset = 0;
      for (const e of index.entries) {
        assert.equal(e.offset, offset, `${name}: ${e.name}`);
        offset += e.size;
      }
      assert.equal(offset, g.files[`${g.checkpoint_prefix}.data-00000-of-00001`].bytes);
    }
  });
});

describe('TensorFlow ALBERT checkpoints match the original TensorFlow code', () => {
  for (const name of FIXTURES) {
    it(`${name}: sequence, pooled, every layer, MLM and SOP outputs on every kernel set`, async (t) => {
      for (const kernel of kernels) {
        const model = await AlbertForPreTraining.fromPretrained(fixture('tf', name), { kernel, threads: 2 });
        try {
          assert.equal(model.source.format, 'tensorflow');
          assert.equal(model.source.layout, name.startsWith('brightmart') ? 'brightmart' : 'google');
          t.diagnostic(`${kernel}: max abs diff ${(await checkGoldens(model, name, `${name} (${kernel})`)).toExponential(2)}`);
        } finally {
          model.dispose();
        }
      }
    });
  }

  it('loads the encoder alone by default and picks AlbertForPreTraining with task auto', async () => {
    const base = await AlbertModel.fromPretrained(fixture('tf', 'google-tiny'));
    const auto = await AlbertModel.fromPretrained(fixture('tf', 'google-tiny'), { task: 'auto' });
    try {
      assert.equal(base.task, 'base');
      assert.equal(auto.task, 'pretraining');
      assert.equal(base.config.hidden_act, 'gelu_new', "Google's gelu is the tanh approximation");
      assert.equal(base.config.layer_norm_eps, 1e-12);
      assert.deepEqual(base.config.architectures, ['AlbertForPreTraining']);
      assert.equal(base.source.skippedTensors, 65, '64 adam slots and global_step');
      assert.equal(base.source.checkpoint, fixture('tf', 'google-tiny', 'model.ckpt-best'));
      assert.equal(base.source.config, fixture('tf', 'google-tiny', 'albert_config.json'));
    } finally {
      base.dispose();
      auto.dispose();
    }
  });

  it('accepts the folder, the checkpoint prefix and the .index file alike', async () => {
    for (const path of [fixture('tf', 'brightmart-tiny', 'albert_model.ckpt'), fixture('tf', 'brightmart-tiny', 'albert_model.ckpt.index')]) {
      const model = await AlbertForPreTraining.fromPretrained(path);
      try {
        assert.equal(model.source.checkpoint, fixture('tf', 'brightmart-tiny', 'albert_model.ckpt'));
        assert.equal(model.path, fixture('tf', 'brightmart-tiny'));
        await checkGoldens(model, 'brightmart-tiny', path);
      } finally {
        model.dispose();
      }
    }
  });
});

describe('TensorFlow release archives (.tar.gz)', () => {
  for (const [name, archive, top] of [
    ['google-tiny', 'google-tiny.tar.gz', 'albert_tiny'],
    ['zh-google-tiny', 'zh-google-tiny.tar.gz', 'albert_tiny_zh'],
  ]) {
    it(`${archive} loads (once unpacked into the cache) and matches the goldens`, async () => {
      const cacheDir = tempDir();
      const path = fixture('tf', name, archive);
      const model = await AlbertForPreTraining.fromPretrained(path, { cacheDir });
      try {
        assert.equal(model.source.archive, path);
        assert.ok(model.path.startsWith(cacheDir) && model.path.endsWith(top), model.path);
        await checkGoldens(model, name, archive);
      } finally {
        model.dispose();
      }
      const again = await AlbertModel.fromPretrained(path, { cacheDir });
      assert.equal(again.path, model.path, 'the second load reuses the unpacked folder');
      again.dispose();
      const tokenizer = await Tokenizer.fromPretrained(path, { cacheDir });
      assert.deepEqual(encodeCases(tokenizer, goldens(name)), goldenIds(goldens(name)));
    });
  }
});

/** The fixture's text cases encoded by `tokenizer`, padded like the goldens (id 0). */
function encodeCases(tokenizer, g) {
  return g.cases.filter((c) => c.text_pairs).map((c) => {
    const rows = c.text_pairs.map(([a, b]) => (b === null ? tokenizer.encode(a) : tokenizer.encode(a, { textPair: b })).ids);
    const width = c.inputs.input_ids[0].length;
    return rows.map((ids) => [...ids, ...new Array(width - ids.length).fill(0)]);
  });
}

function goldenIds(g) {
  return g.cases.filter((c) => c.text_pairs).map((c) => c.inputs.input_ids);
}

describe('tokenizers of the TensorFlow releases', () => {
  for (const name of FIXTURES) {
    it(`${name}: the text cases tokenize to the stored input ids`, async () => {
      const g = goldens(name);
      assert.equal(g.cases.filter((c) => c.text_pairs).length, 2, 'single and batch3 come from text');
      const tokenizer = await Tokenizer.fromPretrained(fixture('tf', name));
      assert.deepEqual(encodeCases(tokenizer, g), goldenIds(g));
      for (const c of g.cases.filter((x) => x.tokens)) {
        c.text_pairs.forEach(([a, b], row) => {
          const enc = b === null ? tokenizer.encode(a) : tokenizer.encode(a, { textPair: b });
          assert.deepEqual(enc.tokens, c.tokens[row], `${name} ${c.name} row ${row}`);
        });
      }
    });
  }
});

describe('savePretrained converts TensorFlow checkpoints into Hugging Face folders', () => {
  for (const name of FIXTURES) {
    it(`${name}: the converted folder loads back, matches the goldens and tokenizes the same`, async () => {
      const folder = join(tempDir(), 'converted');
      const model = await AlbertForPreTraining.fromPretrained(fixture('tf', name));
      await model.savePretrained(folder);
      model.dispose();
      const files = readdirSync(folder).sort();
      assert.ok(files.includes('config.json') && files.includes('model.safetensors'), files.join(','));
      const back = await AlbertForPreTraining.fromPretrained(folder);
      try {
        assert.equal(back.source.format, 'safetensors');
        assert.equal(back.source.layout, 'huggingface');
        const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8'));
        assert.equal(config.model_type, 'albert');
        if (name.startsWith('brightmart')) {
          assert.equal(config.embedding_layout, 'project_then_add');
          assert.equal(config.ln_type, name.includes('preln') ? 'preln' : 'postln');
        }
        await checkGoldens(back, name, `${name} converted`);
      } finally {
        back.dispose();
      }
      const g = goldens(name);
      assert.ok(existsSync(join(folder, 'tokenizer_config.json')));
      assert.ok(existsSync(join(folder, name.startsWith('google') ? 'spiece.model' : 'vocab.txt')));
      const tokenizer = await Tokenizer.fromPretrained(folder);
      assert.deepEqual(encodeCases(tokenizer, g), goldenIds(g));
    });
  }
});

describe('savePretrained of a Hugging Face folder', () => {
  it('writes a folder that loads back with identical outputs and the same tokenizer', async () => {
    const source = fixture('models', 'albert-tiny-pretraining');
    const folder = join(tempDir(), 'copy');
    const model = await AlbertForPreTraining.fromPretrained(source);
    const inputs = { inputIds: [[2, 15, 99, 1024, 7, 3]], tokenTypeIds: [[0, 0, 0, 1, 1, 1]] };
    const before = await model.forward(inputs);
    await model.savePretrained(folder);
    await assert.rejects(model.savePretrained(source), { code: 'ERR_ALBERT_INVALID_INPUT', message: /loaded from/ });
    await assert.rejects(model.savePretrained(42), { code: 'ERR_ALBERT_INVALID_INPUT' });
    model.dispose();
    await assert.rejects(model.savePretrained(folder), { code: 'ERR_ALBERT_DISPOSED' });
    const back = await AlbertForPreTraining.fromPretrained(folder);
    const after = await back.forward(inputs);
    back.dispose();
    assert.deepEqual(after.lastHiddenState.data, before.lastHiddenState.data);
    assert.deepEqual(after.predictionLogits.data, before.predictionLogits.data);
    assert.deepEqual(after.sopLogits.data, before.sopLogits.data);
    const text = 'a quick test of the copied tokenizer';
    assert.deepEqual((await Tokenizer.fromPretrained(folder)).encode(text).ids, (await Tokenizer.fromPretrained(source)).encode(text).ids);
  });
});

describe("run_classifier.py's fine-tuned head", () => {
  it('output_weights / output_bias load as AlbertForSequenceClassification with labels from their shape', async () => {
    const { reemitTfCheckpoint, DT } = await import('./helpers/write-tf-checkpoint.mjs');
    const { AlbertForSequenceClassification } = await import('../dist/index.js');
    const labels = 3;
    const hidden = 32;
    const weights = Float32Array.from({ length: labels * hidden }, (_, i) => Math.sin(i) * 0.3);
    const bias = Float32Array.from([0.1, -0.2, 0.05]);
    const folder = join(tempDir(), 'finetuned');
    // A fine-tuned checkpoint: the encoder plus the classifier, no pre-training heads or optimizer slots.
    reemitTfCheckpoint(fixture('tf', 'google-tiny'), folder, {
      transform: (tensors) => [
        ...tensors.filter((t) => t.name.startsWith('bert/') && !/adam_[mv]$/.test(t.name)),
        { name: 'output_weights', dtype: DT.FLOAT, shape: [labels, hidden], bytes: Buffer.from(weights.buffer) },
        { name: 'output_bias', dtype: DT.FLOAT, shape: [labels], bytes: Buffer.from(bias.buffer) },
      ],
    });
    const auto = await AlbertModel.fromPretrained(folder, { task: 'auto' });
    assert.equal(auto.task, 'sequence-classification');
    assert.equal(auto.info.numLabels, labels);
    assert.deepEqual(auto.config.architectures, ['AlbertForSequenceClassification']);
    auto.dispose();
    const model = await AlbertForSequenceClassification.fromPretrained(folder);
    const inputs = goldens('google-tiny').cases[0].inputs;
    const out = await model.forward({ inputIds: inputs.input_ids, attentionMask: inputs.input_mask, tokenTypeIds: inputs.token_type_ids });
    model.dispose();
    // logits = pooled . output_weights^T + output_bias (run_classifier.py's matmul with transpose_b).
    const pooled = out.poolerOutput.data;
    for (let l = 0; l < labels; l++) {
      let expected = bias[l];
      for (let j = 0; j < hidden; j++) expected += pooled[j] * weights[l * hidden + j];
      assert.ok(Math.abs(out.logits.data[l] - expected) < 1e-5, `label ${l}: ${out.logits.data[l]} vs ${expected}`);
    }
  });
});
