// forward(): every accepted input form, defaults, reused outputs, the event loop staying free, concurrency,
// dispose, and bad inputs.
import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import { AlbertModel, ErrorCodes, Tensor } from '../dist/index.js';
import { fixture } from './helpers/fixtures.mjs';
import { rejectsWith } from './helpers/errors.mjs';

const ids = [
  [2, 40, 41, 42, 43, 3],
  [2, 50, 51, 3, 0, 0],
];
const mask = [
  [1, 1, 1, 1, 1, 1],
  [1, 1, 1, 1, 0, 0],
];

describe('forward inputs', () => {
  let model;
  let reference;
  before(async () => {
    model = await AlbertModel.fromPretrained(fixture('models', 'albert-tiny'));
    reference = await model.forward({ inputIds: ids, attentionMask: mask });
  });
  after(() => model.dispose());

  it('returns float32 tensors with the documented dims', () => {
    assert.ok(reference.lastHiddenState instanceof Tensor);
    assert.equal(reference.lastHiddenState.dtype, 'float32');
    assert.deepEqual(reference.lastHiddenState.dims, [2, 6, 32]);
    assert.deepEqual(reference.poolerOutput.dims, [2, 32]);
    assert.equal(reference.hiddenStates, undefined);
    assert.ok(reference.lastHiddenState.data.buffer instanceof ArrayBuffer);
  });

  it('accepts Tensors, flat Int32Array/BigInt64Array with dims, and {data, dims}', async () => {
    const flat = Int32Array.from(ids.flat());
    const flatMask = Int32Array.from(mask.flat());
    const forms = [
      { inputIds: new Tensor('int32', flat, [2, 6]), attentionMask: new Tensor('int32', flatMask, [2, 6]) },
      { inputIds: new Tensor('int64', BigInt64Array.from(flat, BigInt), [2, 6]), attentionMask: new Tensor('uint8', Uint8Array.from(flatMask), [2, 6]) },
      { inputIds: Object.assign(flat, { dims: [2, 6] }), attentionMask: Object.assign(BigInt64Array.from(flatMask, BigInt), { dims: [2, 6] }) },
      { inputIds: { data: flat, dims: [2, 6] }, attentionMask: { data: flatMask, dims: [2, 6] } },
      { inputIds: new Tensor('int32', flat, [2, 6]), attentionMask: new Tensor('bool', Uint8Array.from(flatMask), [2, 6]) },
    ];
    for (const inputs of forms) {
      const out = await model.forward(inputs);
      assert.deepEqual(out.lastHiddenState.data, reference.lastHiddenState.data);
      assert.deepEqual(out.poolerOutput.data, reference.poolerOutput.data);
    }
  });

  it('defaults: mask of ones, token types of zeros, positions 0..T-1', async () => {
    const row = [ids[0]];
    const implicit = await model.forward({ inputIds: row });
    const explicit = await model.forward({
      inputIds: row,
      attentionMask: [[1, 1, 1, 1, 1, 1]],
      tokenTypeIds: [[0, 0, 0, 0, 0, 0]],
      positionIds: [[0, 1, 2, 3, 4, 5]],
    });
    assert.deepEqual(implicit.lastHiddenState.data, explicit.lastHiddenState.data);
    const shifted = await model.forward({ inputIds: row, positionIds: [[1, 2, 3, 4, 5, 6]] });
    assert.notDeepEqual(shifted.lastHiddenState.data, implicit.lastHiddenState.data);
    const typed = await model.forward({ inputIds: row, tokenTypeIds: [[0, 0, 0, 1, 1, 1]] });
    assert.notDeepEqual(typed.lastHiddenState.data, implicit.lastHiddenState.data);
  });

  it('padding never changes the other tokens (a row alone equals the row in a padded batch)', async () => {
    const alone = await model.forward({ inputIds: [ids[1].slice(0, 4)] });
    const H = 32;
    assert.deepEqual(alone.lastHiddenState.data, reference.lastHiddenState.data.subarray(6 * H, 10 * H));
  });

  it('writes into preallocated outputs', async () => {
    const lastHiddenState = Tensor.zeros('float32', [2, 6, 32]);
    const poolerOutput = Tensor.zeros('float32', [2, 32]);
    const hiddenStates = Array.from({ length: 4 }, () => Tensor.zeros('float32', [2, 6, 32]));
    const out = await model.forward(
      { inputIds: ids, attentionMask: mask },
      { outputHiddenStates: true, outputs: { lastHiddenState, poolerOutput, hiddenStates } },
    );
    assert.equal(out.lastHiddenState, lastHiddenState);
    assert.equal(out.poolerOutput, poolerOutput);
    assert.equal(out.hiddenStates[3], hiddenStates[3]);
    assert.deepEqual(lastHiddenState.data, reference.lastHiddenState.data);
    assert.deepEqual(hiddenStates[3].data, reference.lastHiddenState.data);
    await rejectsWith(
      model.forward({ inputIds: ids }, { outputs: { lastHiddenState: Tensor.zeros('float32', [2, 5, 32]) } }),
      ErrorCodes.INVALID_INPUT,
      'lastHiddenState',
    );
  });

  it('handles empty batches and rows that are all padding', async () => {
    const empty = await model.forward({ inputIds: { data: new Int32Array(0), dims: [0, 6] } });
    assert.deepEqual(empty.lastHiddenState.dims, [0, 6, 32]);
    const padded = await model.forward({ inputIds: [[2, 3], [0, 0]], attentionMask: [[1, 1], [0, 0]] });
    assert.ok(padded.lastHiddenState.data.subarray(64).every((v) => v === 0));
    const zeroLength = await model.forward({ inputIds: [[], []] });
    assert.deepEqual(zeroLength.lastHiddenState.dims, [2, 0, 32]);
  });
});

describe('forward errors', () => {
  let model;
  before(async () => {
    model = await AlbertModel.fromPretrained(fixture('models', 'albert-tiny'));
  });
  after(() => model.dispose());

  it('token ids outside the vocabulary', async () => {
    await rejectsWith(model.forward({ inputIds: [[2, 2000, 3]] }), ErrorCodes.INPUT_OUT_OF_RANGE, 'inputIds[0][1] = 2000');
    await rejectsWith(model.forward({ inputIds: [[2, 5], [3, -1]] }), ErrorCodes.INPUT_OUT_OF_RANGE, 'inputIds[1][1] = -1');
    await rejectsWith(model.forward({ inputIds: [[2, 2 ** 40]] }), ErrorCodes.INPUT_OUT_OF_RANGE, 'inputIds[0][1]');
  });
  it('token types outside type_vocab_size', async () => {
    await rejectsWith(model.forward({ inputIds: [[2, 5, 3]], tokenTypeIds: [[0, 0, 2]] }), ErrorCodes.INPUT_OUT_OF_RANGE, 'tokenTypeIds[0][2] = 2');
  });
  it('mask values other than 0 and 1', async () => {
    await rejectsWith(model.forward({ inputIds: [[2, 5, 3]], attentionMask: [[1, 2, 1]] }), ErrorCodes.INPUT_OUT_OF_RANGE, 'attentionMask[0][1] = 2');
  });
  it('sequences longer than max_position_embeddings', async () => {
    const long = [Array.from({ length: 65 }, () => 5)];
    await rejectsWith(model.forward({ inputIds: long }), ErrorCodes.SEQUENCE_TOO_LONG, '65', '64');
    await rejectsWith(model.forward({ inputIds: [[2, 3]], positionIds: [[0, 64]] }), ErrorCodes.SEQUENCE_TOO_LONG, 'positionIds[0][1] = 64');
  });
  it('dims that disagree with the data length', async () => {
    await rejectsWith(model.forward({ inputIds: { data: new Int32Array(5), dims: [2, 3] } }), ErrorCodes.INVALID_INPUT, '5 elements', '[2, 3]');
    await rejectsWith(model.forward({ inputIds: [[2, 3, 4], [2, 3]], attentionMask: [[1, 1, 1], [1, 1, 1]] }), ErrorCodes.INVALID_INPUT, 'attentionMask[1]');
    await rejectsWith(model.forward({ inputIds: [[2, 3]], attentionMask: [[1, 1, 1]] }), ErrorCodes.INVALID_INPUT, 'attentionMask', 'dims');
    await rejectsWith(model.forward({ inputIds: { data: new Int32Array(6), dims: [2, 3, 1] } }), ErrorCodes.INVALID_INPUT, 'dims');
    assert.throws(() => new Tensor('int32', new Int32Array(5), [2, 3]), { code: ErrorCodes.INVALID_INPUT });
  });
  it('non-integer and wrongly typed JS inputs', async () => {
    await rejectsWith(model.forward({ inputIds: [[2, 1.5, 3]] }), ErrorCodes.INVALID_INPUT, 'inputIds[0][1] = 1.5');
    await rejectsWith(model.forward({ inputIds: [[2, 'a', 3]] }), ErrorCodes.INVALID_INPUT, 'inputIds[0][1]');
    await rejectsWith(model.forward({ inputIds: [[2, NaN]] }), ErrorCodes.INVALID_INPUT, 'inputIds[0][1]');
    await rejectsWith(model.forward({ inputIds: new Float32Array(4) }), ErrorCodes.INVALID_INPUT, 'inputIds');
    await rejectsWith(model.forward({ inputIds: new Int32Array(4) }), ErrorCodes.INVALID_INPUT, 'dims');
    await rejectsWith(model.forward({ inputIds: new Tensor('float32', new Float32Array(2), [1, 2]) }), ErrorCodes.INVALID_INPUT, 'float32');
    await rejectsWith(model.forward({ inputIds: 'hello' }), ErrorCodes.INVALID_INPUT, 'inputIds');
    await rejectsWith(model.forward({}), ErrorCodes.INVALID_INPUT, 'inputIds');
    await rejectsWith(model.forward(null), ErrorCodes.INVALID_INPUT, 'inputs');
    await rejectsWith(model.forward({ inputIds: [[2]] }, 5), ErrorCodes.INVALID_INPUT, 'options');
  });
});

describe('async execution', () => {
  it('keeps the event loop free during a large forward', async () => {
    const model = await AlbertModel.fromPretrained(fixture('base-random'));
    const ids = { data: new Int32Array(8 * 256).fill(100), dims: [8, 256] };
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const started = performance.now();
    await model.forward({ inputIds: ids });
    const elapsed = performance.now() - started;
    clearInterval(timer);
    model.dispose();
    // The forward takes hundreds of milliseconds; a blocked loop would let the timer fire at most once.
    assert.ok(elapsed > 50, `forward took ${elapsed} ms`);
    assert.ok(ticks >= Math.min(10, elapsed / 20), `timer fired ${ticks} times in ${elapsed.toFixed(0)} ms`);
  });

  it('gives correct results for concurrent forwards on one model', async () => {
    const model = await AlbertModel.fromPretrained(fixture('models', 'albert-tiny-groups'), { threads: 1 });
    const inputs = Array.from({ length: 24 }, (_, i) => ({
      inputIds: [Array.from({ length: 5 + (i % 7) }, (_, t) => (t * 37 + i * 11) % 2000)],
    }));
    const sequential = [];
    for (const input of inputs) sequential.push(await model.forward(input));
    const concurrent = await Promise.all(inputs.map((input) => model.forward(input)));
    for (let i = 0; i < inputs.length; i++) {
      assert.deepEqual(concurrent[i].lastHiddenState.data, sequential[i].lastHiddenState.data);
    }
    model.dispose();
  });

  it('loads concurrently without blocking', async () => {
    const folders = ['albert-tiny', 'albert-tiny-groups', 'albert-zh-tiny'].map((m) => fixture('models', m));
    const models = await Promise.all(folders.map((f) => AlbertModel.fromPretrained(f)));
    assert.deepEqual(models.map((m) => m.config.hidden_size), [32, 48, 32]);
    for (const m of models) m.dispose();
  });
});

describe('dispose', () => {
  it('rejects calls after dispose with ERR_ALBERT_DISPOSED, and is idempotent', async () => {
    const model = await AlbertModel.fromPretrained(fixture('models', 'albert-tiny'));
    model.dispose();
    model.dispose();
    assert.equal(model.disposed, true);
    await rejectsWith(model.forward({ inputIds: [[2, 3]] }), ErrorCodes.DISPOSED, 'disposed');
  });

  it('is safe while forwards are running', async () => {
    const model = await AlbertModel.fromPretrained(fixture('base-random'));
    const running = Array.from({ length: 3 }, () => model.forward({ inputIds: { data: new Int32Array(4 * 128).fill(7), dims: [4, 128] } }));
    model.dispose();
    const results = await Promise.all(running);
    for (const r of results) assert.ok(r.lastHiddenState.data.some((v) => v !== 0));
    await rejectsWith(model.forward({ inputIds: [[2, 3]] }), ErrorCodes.DISPOSED);
  });

  it('supports Symbol.dispose and Symbol.asyncDispose', async () => {
    const model = await AlbertModel.fromPretrained(fixture('models', 'albert-tiny'));
    model[Symbol.dispose]();
    assert.equal(model.disposed, true);
    const other = await AlbertModel.fromPretrained(fixture('models', 'albert-tiny'));
    await other[Symbol.asyncDispose]();
    assert.equal(other.disposed, true);
  });
});
