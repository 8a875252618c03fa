// Every task head against transformers' outputs (goldens of each fixture model, on every kernel set), the
// MLM head at chosen positions, head outputs through forwardPacked/forwardMany, and the head loading errors.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  AlbertForMaskedLM,
  AlbertForMultipleChoice,
  AlbertForPreTraining,
  AlbertForQuestionAnswering,
  AlbertForSequenceClassification,
  AlbertForTokenClassification,
  AlbertModel,
  cpuInfo,
} from '../dist/index.js';
import { maxAbsDiff } from './helpers/compare.mjs';
import { fixture, TOLERANCE } from './helpers/fixtures.mjs';
import { readSafetensors } from './helpers/safetensors.mjs';
import { modelFolder } from './helpers/temp-model.mjs';

// Model folder -> its head class, task and the golden outputs it must reproduce (golden name -> output name,
// and whether the output is per position, so masked positions are skipped and must be zeros).
const HEADS = [
  { model: 'albert-tiny-pretraining', Class: AlbertForPreTraining, task: 'pretraining', outputs: { prediction_logits: ['predictionLogits', true], sop_logits: ['sopLogits', false] } },
  { model: 'albert-tiny-pretraining-tied', Class: AlbertForPreTraining, task: 'pretraining', outputs: { prediction_logits: ['predictionLogits', true], sop_logits: ['sopLogits', false] } },
  { model: 'albert-tiny-groups', Class: AlbertForPreTraining, task: 'pretraining', outputs: { prediction_logits: ['predictionLogits', true], sop_logits: ['sopLogits', false] } },
  { model: 'albert-tiny-seqcls', Class: AlbertForSequenceClassification, task: 'sequence-classification', outputs: { logits: ['logits', false] } },
  { model: 'albert-tiny-tokcls', Class: AlbertForTokenClassification, task: 'token-classification', outputs: { logits: ['logits', true] } },
  { model: 'albert-tiny-qa', Class: AlbertForQuestionAnswering, task: 'question-answering', outputs: { start_logits: ['startLogits', true], end_logits: ['endLogits', true] } },
  { model: 'albert-tiny-mc', Class: AlbertForMultipleChoice, task: 'multiple-choice', outputs: { logits: ['logits', false] } },
];

const kernels = cpuInfo().kernels;

function caseInputs(goldens, caseName) {
  const ids = goldens.get(`${caseName}.input_ids`);
  const mask = goldens.get(`${caseName}.attention_mask`);
  const types = goldens.get(`${caseName}.token_type_ids`);
  const dims = ids.shape;
  return {
    mask,
    inputs: {
      inputIds: { data: ids.data, dims },
      attentionMask: { data: mask.data, dims },
      tokenTypeIds: { data: types.data, dims },
    },
  };
}

function checkOutput(t, name, actual, expected, perPosition, mask) {
  assert.ok(actual, `${name} expected`);
  assert.equal(actual.data.length, expected.data.length, `${name} size`);
  const rowSize = perPosition ? expected.data.length / mask.data.length : undefined;
  const diff = maxAbsDiff(actual.data, expected.data, perPosition ? { rowSize, mask: mask.data } : {});
  if (perPosition) {
    for (let i = 0; i < mask.data.length; i++) {
      if (mask.data[i] === 0n) assert.ok(actual.data.subarray(i * rowSize, (i + 1) * rowSize).every((v) => v === 0), `${name}: masked cell ${i} holds zeros`);
    }
  }
  t.diagnostic(`${name} max abs diff ${diff.toExponential(2)}`);
  assert.ok(diff <= TOLERANCE, `${name} differs by ${diff} (> ${TOLERANCE})`);
}

for (const { model: modelName, Class, task, outputs } of HEADS) {
  const folder = fixture('models', modelName);
  const goldens = readSafetensors(join(folder, 'goldens.safetensors'));
  const cases = JSON.parse(readFileSync(join(folder, 'goldens.json'), 'utf8')).cases.map((c) => c.name);
  for (const kernel of kernels) {
    describe(`${modelName} head goldens (${Class.name}, ${kernel} kernels)`, () => {
      let model;
      it('loads the head named by config.json, and the typed class', async () => {
        const auto = await AlbertModel.fromPretrained(folder, { kernel, task: 'auto' });
        assert.equal(auto.task, task);
        assert.equal(auto.info.task, task);
        auto.dispose();
        model = await Class.fromPretrained(folder, { kernel });
        assert.ok(model instanceof Class && model instanceof AlbertModel);
        assert.equal(model.task, task);
      });
      for (const caseName of cases) {
        it(caseName, async (t) => {
          const { inputs, mask } = caseInputs(goldens, caseName);
          const out = await model.forward(inputs);
          for (const [golden, [output, perPosition]] of Object.entries(outputs)) {
            const expected = goldens.get(`${caseName}.${golden}`);
            if (!expected) continue;
            assert.deepEqual(out[output].dims, expected.shape, `${output} dims`);
            checkOutput(t, output, out[output], expected, perPosition, mask);
          }
        });
      }
      it('disposes', () => model.dispose());
    });
  }
}

describe('multiple choice inputs', () => {
  const folder = fixture('models', 'albert-tiny-mc');
  const goldens = readSafetensors(join(folder, 'goldens.safetensors'));
  it('takes number[][][] and Tensor-like inputs, checks the choice counts', async () => {
    const model = await AlbertForMultipleChoice.fromPretrained(folder);
    const ids = goldens.get('mc_single.input_ids');
    const [batch, choices, seqLen] = ids.shape;
    const nested = Array.from({ length: batch }, (_, b) =>
      Array.from({ length: choices }, (_, c) => Array.from(ids.data.subarray((b * choices + c) * seqLen, (b * choices + c + 1) * seqLen), Number)),
    );
    const fromNested = await model.forward({ inputIds: nested });
    const fromFlat = await model.forward({ inputIds: { data: ids.data, dims: ids.shape } });
    assert.deepEqual(fromNested.logits.dims, [batch, choices]);
    assert.deepEqual(Array.from(fromNested.logits.data), Array.from(fromFlat.logits.data));
    const full = await model.forward({
      inputIds: { data: ids.data, dims: ids.shape },
      attentionMask: { data: goldens.get('mc_single.attention_mask').data, dims: ids.shape },
      tokenTypeIds: { data: goldens.get('mc_single.token_type_ids').data, dims: ids.shape },
    });
    assert.ok(maxAbsDiff(full.logits.data, goldens.get('mc_single.logits').data) <= TOLERANCE);
    await assert.rejects(model.forward({ inputIds: { data: ids.data, dims: [batch * choices, seqLen] } }), { code: 'ERR_ALBERT_INVALID_INPUT' });
    await assert.rejects(model.forward({ inputIds: [[[1, 2]], [[1, 2], [3, 4]]] }), { code: 'ERR_ALBERT_INVALID_INPUT', message: /choices/ });
    model.dispose();
  });
});

// The sanitizer rerun (ALBERT_NODE_TEST_TINY_ONLY=1) keeps to the tiny models, as the goldens test does.
describe('MLM head on base-random (albert-base-v2 shape)', { skip: process.env.ALBERT_NODE_TEST_TINY_ONLY === '1' }, () => {
  const folder = fixture('base-random');
  const goldens = readSafetensors(join(folder, 'goldens.safetensors'));
  let model;
  it('loads AlbertForMaskedLM with the decoder tied to the word embeddings', async () => {
    model = await AlbertForMaskedLM.fromPretrained(folder);
    assert.equal(model.task, 'masked-lm');
  });
  for (const caseName of ['single', 'two_segments']) {
    it(`${caseName}: mlm_logits at every position and at chosen positions`, async (t) => {
      const { inputs, mask } = caseInputs(goldens, caseName);
      const expected = goldens.get(`${caseName}.mlm_logits`);
      const out = await model.forward(inputs);
      checkOutput(t, 'predictionLogits', out.predictionLogits, expected, true, mask);
      // Unsorted, repeated positions: rows come back in the order asked.
      const seqLen = expected.shape[1];
      const vocab = expected.shape[2];
      const pairs = [[0, seqLen - 1], [0, 1], [0, 1], [0, 0]];
      const some = await model.forward(inputs, { predictionPositions: pairs });
      assert.deepEqual(some.predictionLogits.dims, [pairs.length, vocab]);
      pairs.forEach(([, position], i) => {
        const row = expected.data.subarray(position * vocab, (position + 1) * vocab);
        const diff = maxAbsDiff(some.predictionLogits.data.subarray(i * vocab, (i + 1) * vocab), row);
        assert.ok(diff <= TOLERANCE, `position ${position}: ${diff}`);
      });
    });
  }
  it('rejects positions outside the batch or on padding', async () => {
    const ids = { data: new Int32Array([2, 10, 3, 2, 11, 0]), dims: [2, 3] };
    const attentionMask = { data: new Int32Array([1, 1, 1, 1, 1, 0]), dims: [2, 3] };
    await assert.rejects(model.forward({ inputIds: ids, attentionMask }, { predictionPositions: [[1, 2]] }), {
      code: 'ERR_ALBERT_INPUT_OUT_OF_RANGE',
      message: /padding/,
    });
    await assert.rejects(model.forward({ inputIds: ids }, { predictionPositions: [[2, 0]] }), { code: 'ERR_ALBERT_INPUT_OUT_OF_RANGE' });
    await assert.rejects(model.forward({ inputIds: ids }, { predictionPositions: [[0, 3]] }), { code: 'ERR_ALBERT_INPUT_OUT_OF_RANGE' });
    await assert.rejects(model.forwardPacked({ inputIds: [2, 10, 3], lengths: [3], predictionPositions: [3] }), {
      code: 'ERR_ALBERT_INPUT_OUT_OF_RANGE',
    });
  });
  it('disposes', () => model.dispose());
});

describe('head outputs without padding: forwardPacked and forwardMany', () => {
  for (const name of ['albert-tiny-pretraining', 'albert-tiny-seqcls', 'albert-tiny-tokcls', 'albert-tiny-qa']) {
    it(`${name}: packed and batched outputs equal the padded forward`, async () => {
      const folder = fixture('models', name);
      const goldens = readSafetensors(join(folder, 'goldens.safetensors'));
      const model = await AlbertModel.fromPretrained(folder, { task: 'auto' });
      const { inputs, mask } = caseInputs(goldens, 'batch_padded');
      const padded = await model.forward(inputs);
      const [batch, seqLen] = inputs.inputIds.dims;
      const sequences = [];
      for (let b = 0; b < batch; b++) {
        const length = Array.from(mask.data.subarray(b * seqLen, (b + 1) * seqLen)).filter((m) => m === 1n).length;
        const slice = (array) => Int32Array.from(array.subarray(b * seqLen, b * seqLen + length), Number);
        sequences.push({ inputIds: slice(inputs.inputIds.data), tokenTypeIds: slice(inputs.tokenTypeIds.data) });
      }
      const many = await model.forwardMany(sequences, { tokenBudget: 16, outputs: { predictionLogits: true } });
      const packed = await model.forwardPacked({
        inputIds: Int32Array.from(sequences.flatMap((s) => Array.from(s.inputIds))),
        tokenTypeIds: Int32Array.from(sequences.flatMap((s) => Array.from(s.tokenTypeIds))),
        lengths: sequences.map((s) => s.inputIds.length),
      });
      for (const output of ['predictionLogits', 'sopLogits', 'logits', 'startLogits', 'endLogits']) {
        if (!padded[output]) {
          assert.equal(many[0][output], undefined);
          continue;
        }
        const perPosition = output === 'logits' ? model.task === 'token-classification' : output !== 'sopLogits';
        const width = perPosition ? padded[output].data.length / (batch * seqLen) : padded[output].data.length / batch;
        let offset = 0;
        for (let b = 0; b < batch; b++) {
          const length = sequences[b].inputIds.length;
          const expected = perPosition
            ? padded[output].data.subarray(b * seqLen * width, (b * seqLen + length) * width)
            : padded[output].data.subarray(b * width, (b + 1) * width);
          assert.ok(maxAbsDiff(many[b][output].data, expected) <= 1e-6, `${output} of forwardMany sequence ${b}`);
          const fromPacked = perPosition
            ? packed[output].data.subarray(offset * width, (offset + length) * width)
            : packed[output].data.subarray(b * width, (b + 1) * width);
          assert.ok(maxAbsDiff(fromPacked, expected) <= 1e-6, `${output} of forwardPacked sequence ${b}`);
          offset += length;
        }
      }
      // Without asking, forwardMany leaves the large MLM logits out; head: false leaves every head output out.
      const lean = await model.forwardMany(sequences);
      assert.equal(lean[0].predictionLogits, undefined);
      const bare = await model.forwardMany(sequences, { outputs: { head: false } });
      for (const output of ['sopLogits', 'logits', 'startLogits', 'endLogits']) assert.equal(bare[0][output], undefined);
      model.dispose();
    });
  }
});

describe('head loading', () => {
  it('AlbertModel loads only the encoder of a head checkpoint unless task says otherwise', async () => {
    const model = await AlbertModel.fromPretrained(fixture('models', 'albert-tiny-seqcls'));
    assert.equal(model.task, 'base');
    assert.equal(model.info.numLabels, 0);
    const out = await model.forward({ inputIds: [[2, 10, 3]] });
    assert.equal(out.logits, undefined);
    model.dispose();
  });
  it('labels come from config.json id2label', async () => {
    const model = await AlbertForSequenceClassification.fromPretrained(fixture('models', 'albert-tiny-seqcls'));
    assert.equal(model.info.numLabels, 3);
    assert.deepEqual(model.id2label, { 0: 'negative', 1: 'neutral', 2: 'positive' });
    assert.deepEqual(model.label2id, { negative: 0, neutral: 1, positive: 2 });
    const tokens = await AlbertForTokenClassification.fromPretrained(fixture('models', 'albert-tiny-tokcls'));
    assert.equal(tokens.id2label[1], 'B-PER');
    assert.equal(tokens.label2id['I-LOC'], 4);
    tokens.dispose();
    model.dispose();
  });
  it('a folder without the head names the missing tensor', async () => {
    await assert.rejects(AlbertForQuestionAnswering.fromPretrained(fixture('models', 'albert-tiny')), {
      code: 'ERR_ALBERT_MISSING_TENSOR',
      message: /qa_outputs\.weight/,
    });
    await assert.rejects(AlbertForMaskedLM.fromPretrained(fixture('models', 'albert-tiny-seqcls')), {
      code: 'ERR_ALBERT_MISSING_TENSOR',
      message: /predictions\.dense\.weight/,
    });
  });
  it('a pooled head on a checkpoint without a pooler is a coded error', async () => {
    await assert.rejects(AlbertForSequenceClassification.fromPretrained(fixture('models', 'albert-tiny-tokcls')), {
      code: 'ERR_ALBERT_MISSING_TENSOR',
      message: /pooler/,
    });
  });
  it('unknown tasks and architectures are rejected by name', async () => {
    await assert.rejects(AlbertModel.fromPretrained(fixture('models', 'albert-tiny'), { task: 'summarization' }), {
      code: 'ERR_ALBERT_INVALID_INPUT',
      message: /summarization/,
    });
    const folder = fixture('models', 'albert-tiny');
    const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8'));
    const weights = readFileSync(join(folder, 'model.safetensors'));
    const custom = modelFolder({ config: { ...config, architectures: ['AlbertForSummarization'] }, weights });
    await assert.rejects(AlbertModel.fromPretrained(custom, { task: 'auto' }), { code: 'ERR_ALBERT_UNSUPPORTED', message: /AlbertForSummarization/ });
    const model = await AlbertModel.fromPretrained(custom);
    assert.equal(model.task, 'base');
    model.dispose();
    const broken = modelFolder({ config: { ...config, architectures: 'AlbertModel' }, weights });
    await assert.rejects(AlbertModel.fromPretrained(broken, { task: 'auto' }), { code: 'ERR_ALBERT_INVALID_CONFIG', message: /architectures/ });
  });
  it('an untied decoder reads predictions.decoder.weight', async () => {
    const folder = fixture('models', 'albert-tiny-pretraining-tied');
    const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8'));
    const weights = readFileSync(join(folder, 'model.safetensors'));
    const untied = modelFolder({ config: { ...config, tie_word_embeddings: false }, weights });
    await assert.rejects(AlbertForPreTraining.fromPretrained(untied), { code: 'ERR_ALBERT_MISSING_TENSOR', message: /predictions\.decoder\.weight/ });
  });
});
