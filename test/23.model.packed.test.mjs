// Ragged batches: forwardPacked (sequences back to back), ragged number[][] in forward, and the forwardMany
// batching helper. Checked against the goldens and against the padded path.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AlbertModel, ErrorCodes, planBatches } from '../dist/index.js';
import { maxAbsDiff } from './helpers/compare.mjs';
import { fixture, TOLERANCE } from './helpers/fixtures.mjs';
import { readSafetensors } from './helpers/safetensors.mjs';
import { rejectsWith } from './helpers/errors.mjs';

/** The golden case as ragged rows: each row's unmasked tokens. */
function raggedCase(goldens, name) {
  const ids = goldens.get(`${name}.input_ids`);
  const mask = goldens.get(`${name}.attention_mask`).data;
  const types = goldens.get(`${name}.token_type_ids`).data;
  const [batch, seqLen] = ids.shape;
  const rows = [];
  for (let b = 0; b < batch; b++) {
    const row = { ids: [], types: [], cells: [] };
    for (let t = 0; t < seqLen; t++) {
      if (mask[b * seqLen + t] === 0n) continue;
      row.ids.push(Number(ids.data[b * seqLen + t]));
      row.types.push(Number(types[b * seqLen + t]));
      row.cells.push(b * seqLen + t);
    }
    rows.push(row);
  }
  return rows;
}

describe('packed and ragged inputs', () => {
  const folder = fixture('models', 'albert-tiny');
  const goldens = readSafetensors(join(folder, 'goldens.safetensors'));
  let model;
  before(async () => {
    model = await AlbertModel.fromPretrained(folder);
  });
  after(() => model.dispose());

  for (const caseName of ['batch_padded', 'two_segments', 'max_length']) {
    it(`forwardPacked matches the goldens (${caseName})`, async (t) => {
      const rows = raggedCase(goldens, caseName);
      const out = await model.forwardPacked({
        inputIds: rows.flatMap((r) => r.ids),
        tokenTypeIds: rows.flatMap((r) => r.types),
        lengths: rows.map((r) => r.ids.length),
      });
      const H = 32;
      const expected = goldens.get(`${caseName}.last_hidden_state`).data;
      const cells = rows.flatMap((r) => r.cells);
      assert.deepEqual(out.lastHiddenState.dims, [cells.length, H]);
      assert.deepEqual([...out.offsets], [0, ...rows.map((r) => r.ids.length)].map((_, i, a) => a.slice(0, i + 1).reduce((x, y) => x + y)));
      const gathered = new Float32Array(cells.length * H);
      cells.forEach((cell, i) => gathered.set(expected.subarray(cell * H, (cell + 1) * H), i * H));
      const diff = maxAbsDiff(out.lastHiddenState.data, gathered);
      const poolDiff = maxAbsDiff(out.poolerOutput.data, goldens.get(`${caseName}.pooler_output`).data);
      t.diagnostic(`max abs diff: last_hidden_state ${diff.toExponential(2)}, pooler_output ${poolDiff.toExponential(2)}`);
      assert.ok(diff <= TOLERANCE && poolDiff <= TOLERANCE);
    });
  }

  it('ragged number[][] in forward() is padded and masked implicitly', async () => {
    const rows = raggedCase(goldens, 'batch_padded');
    const ragged = await model.forward({ inputIds: rows.map((r) => r.ids) });
    const ids = goldens.get('batch_padded.input_ids');
    const padded = await model.forward({
      inputIds: { data: ids.data, dims: ids.shape },
      attentionMask: { data: goldens.get('batch_padded.attention_mask').data, dims: ids.shape },
    });
    assert.deepEqual(ragged.lastHiddenState.dims, padded.lastHiddenState.dims);
    assert.deepEqual(ragged.lastHiddenState.data, padded.lastHiddenState.data);
    assert.deepEqual(ragged.poolerOutput.data, padded.poolerOutput.data);
    await rejectsWith(model.forward({ inputIds: [[2, 3], [2, 4, 3]], tokenTypeIds: [[0, 0, 0], [0, 0]] }), ErrorCodes.INVALID_INPUT, 'tokenTypeIds[0]');
  });

  it('forwardPacked: hidden states, zero-length rows, errors', async () => {
    const out = await model.forwardPacked({ inputIds: new Int32Array([2, 7, 3, 2, 3]), lengths: new Int32Array([3, 0, 2]) }, { outputHiddenStates: true });
    assert.equal(out.hiddenStates.length, 4);
    assert.deepEqual(out.hiddenStates[3].data, out.lastHiddenState.data);
    assert.deepEqual([...out.offsets], [0, 3, 3, 5]);
    const alone = await model.forward({ inputIds: [[2, 3]] });
    assert.deepEqual(out.lastHiddenState.data.subarray(3 * 32), alone.lastHiddenState.data);
    await rejectsWith(model.forwardPacked({ inputIds: [2, 3], lengths: [3] }), ErrorCodes.INVALID_INPUT, 'lengths add up to 3');
    await rejectsWith(model.forwardPacked({ inputIds: [2, 3], lengths: [3, -1] }), ErrorCodes.INVALID_INPUT, 'lengths[1]');
    await rejectsWith(model.forwardPacked({ inputIds: [2, 5000], lengths: [2] }), ErrorCodes.INPUT_OUT_OF_RANGE, 'inputIds[0][1] = 5000');
    await rejectsWith(model.forwardPacked({ inputIds: [2, 3, 4], lengths: [1, 2], tokenTypeIds: [0, 0, 7] }), ErrorCodes.INPUT_OUT_OF_RANGE, 'tokenTypeIds[1][1] = 7');
    const long = new Int32Array(65).fill(5);
    await rejectsWith(model.forwardPacked({ inputIds: long, lengths: [65] }), ErrorCodes.SEQUENCE_TOO_LONG, '65');
    await rejectsWith(model.forwardPacked({ inputIds: [2, 3], lengths: 'x' }), ErrorCodes.INVALID_INPUT, 'lengths');
  });

  it('forwardMany returns one output per sequence, in input order, across many batches', async () => {
    const sequences = Array.from({ length: 40 }, (_, i) => Array.from({ length: 1 + ((i * 13) % 30) }, (_, t) => 5 + ((i * 31 + t * 7) % 1900)));
    sequences[5] = { inputIds: sequences[5], tokenTypeIds: sequences[5].map((_, t) => (t > 3 ? 1 : 0)) };
    const progress = [];
    const outputs = await model.forwardMany(sequences, { tokenBudget: 64, onProgress: (done, total) => progress.push([done, total]) });
    assert.equal(outputs.length, 40);
    assert.ok(progress.length > 5, 'several batches');
    assert.deepEqual(progress.at(-1), [40, 40]);
    for (const i of [0, 5, 17, 39]) {
      const s = sequences[i];
      const single = await model.forward(Array.isArray(s) ? { inputIds: [s] } : { inputIds: [s.inputIds], tokenTypeIds: [s.tokenTypeIds] });
      assert.deepEqual(outputs[i].lastHiddenState.dims, [single.lastHiddenState.dims[1], 32]);
      assert.deepEqual(outputs[i].lastHiddenState.data, single.lastHiddenState.data);
      assert.deepEqual(outputs[i].poolerOutput.data, single.poolerOutput.data);
    }
    const poolerOnly = await model.forwardMany(sequences, { outputs: { lastHiddenState: false } });
    assert.equal(poolerOnly[17].lastHiddenState, undefined);
    assert.deepEqual(poolerOnly[17].poolerOutput.data, outputs[17].poolerOutput.data);
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await assert.rejects(model.forwardMany(sequences, { signal: controller.signal }), /stop/);
    await rejectsWith(model.forwardMany([[2, 3], 'x']), ErrorCodes.INVALID_INPUT, 'sequences[1]');
    await rejectsWith(model.forwardMany([[2, 3]], { tokenBudget: 0 }), ErrorCodes.INVALID_INPUT, 'tokenBudget');
  });

  it('forwardMany tokenizes texts and text pairs with options.tokenizer', async () => {
    const { Tokenizer } = await import('../dist/index.js');
    const tokenizer = await Tokenizer.fromPretrained(folder);
    const texts = ['The capital of France is Paris.', ['Where is the dog?', 'In the garden.'], 'A third text, longer than the others, to vary the lengths.'];
    const outputs = await model.forwardMany(texts, { tokenizer, tokenBudget: 16 });
    for (let i = 0; i < texts.length; i++) {
      const t = texts[i];
      const enc = Array.isArray(t) ? tokenizer.encode(t[0], { textPair: t[1] }) : tokenizer.encode(t);
      const single = await model.forward({ inputIds: [enc.ids], tokenTypeIds: [enc.typeIds] });
      assert.deepEqual(outputs[i].lastHiddenState.data, single.lastHiddenState.data);
    }
    // Truncation to maxLength (default: max_position_embeddings).
    const long = 'word '.repeat(200);
    const [truncated] = await model.forwardMany([long], { tokenizer, maxLength: 20 });
    assert.deepEqual(truncated.lastHiddenState.dims, [20, 32]);
    const [full] = await model.forwardMany([long], { tokenizer });
    assert.deepEqual(full.lastHiddenState.dims, [64, 32]);
    await rejectsWith(model.forwardMany(['text']), ErrorCodes.INVALID_INPUT, 'tokenizer');
    tokenizer.dispose();
  });

  it('planBatches sorts by length and respects the token budget', () => {
    const { batches } = planBatches([3, 10, 1, 7, 7, 2], 12);
    assert.deepEqual(batches, [[1], [3], [4, 0, 5], [2]]);
    const all = batches.flat().sort((a, b) => a - b);
    assert.deepEqual(all, [0, 1, 2, 3, 4, 5]);
  });
});
