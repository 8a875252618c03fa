// The public Tokenizer API: loading every fixture model folder (its text goldens through encodeBatch,
// straight into AlbertModel.forward), batches, robustness on hostile strings, and argument errors.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AlbertModel, ErrorCodes, Tensor, Tokenizer, isAlbertNodeError } from '../dist/index.js';
import { fixture, goldenModelFolders } from './helpers/fixtures.mjs';
import { readSafetensors } from './helpers/safetensors.mjs';
import { tempFolder } from './helpers/temp.mjs';

// The goldens' text cases: [rows, inputs] where inputs are texts or [text, pair] pairs (multiple choice:
// each question paired with each of its choices).
function textCases(folder) {
  const cases = JSON.parse(readFileSync(join(folder, 'goldens.json'), 'utf8')).cases.filter((c) => c.texts);
  return cases.map((c) => {
    let inputs = c.texts;
    if (c.text_pairs) {
      inputs = c.texts.flatMap((text, i) => (Array.isArray(c.text_pairs[i]) ? c.text_pairs[i].map((p) => [text, p]) : [[text, c.text_pairs[i]]]));
    }
    return { name: c.name, inputs };
  });
}

for (const { name, folder } of goldenModelFolders()) {
  describe(`model folder ${name}`, () => {
    const goldens = readSafetensors(join(folder, 'goldens.safetensors'));
    let tokenizer;
    it('loads its tokenizer', async () => {
      tokenizer = await Tokenizer.fromPretrained(folder);
      assert.equal(tokenizer.kind, name === 'albert-zh-tiny' ? 'bert' : 'albert');
    });
    for (const { name: caseName, inputs } of textCases(folder)) {
      it(`${caseName}: encodeBatch gives the goldens' inputs`, async () => {
        // transformers: padding='longest', truncation to max_position_embeddings (= model_max_length).
        const batch = await tokenizer.encodeBatch(inputs, { truncation: true });
        for (const [key, tensor] of [['input_ids', batch.inputIds], ['attention_mask', batch.attentionMask], ['token_type_ids', batch.tokenTypeIds]]) {
          const expected = goldens.get(`${caseName}.${key}`);
          assert.equal(tensor.dtype, 'int32');
          assert.equal(tensor.data.length, expected.data.length, key);
          assert.deepEqual(Array.from(tensor.data), Array.from(expected.data, Number), key);
        }
        assert.deepEqual(batch.inputIds.dims, [inputs.length, batch.inputIds.data.length / inputs.length]);
        assert.deepEqual(Array.from(batch.lengths), Array.from({ length: inputs.length }, (_, r) => batch.attentionMask.data.slice(r * batch.inputIds.dims[1], (r + 1) * batch.inputIds.dims[1]).reduce((a, b) => a + b, 0)));
      });
    }
  });
}

describe('encodeBatch output feeds AlbertModel.forward', () => {
  it('runs the tiny model on a tokenized batch', async () => {
    const folder = fixture('models', 'albert-tiny');
    const tokenizer = await Tokenizer.fromPretrained(folder);
    const model = await AlbertModel.fromPretrained(folder);
    try {
      const batch = await tokenizer.encodeBatch(['Hello there!', 'A much longer second sentence, with more tokens.']);
      const out = await model.forward(batch);
      assert.deepEqual(out.lastHiddenState.dims, [2, batch.inputIds.dims[1], model.config.hidden_size]);
    } finally {
      model.dispose();
    }
  });
});

describe('batches', () => {
  let tokenizer;
  const texts = ['short', 'a somewhat longer text with several words', '', 'これは日本語', 'x'.repeat(300)];
  it('loads', async () => {
    tokenizer = await Tokenizer.fromPretrained(fixture('tokenizers', 'albertvi-30k'));
  });

  it('agrees with encode() row by row, async and sync, on any thread count', async () => {
    const expected = texts.map((t) => tokenizer.encode(t).ids);
    for (const batch of [await tokenizer.encodeBatch(texts), await tokenizer.encodeBatch(texts, { threads: 2 }), tokenizer.encodeBatchSync(texts)]) {
      const seqLen = batch.inputIds.dims[1];
      assert.equal(seqLen, Math.max(...expected.map((e) => e.length)));
      expected.forEach((ids, r) => {
        const row = Array.from(batch.inputIds.data.slice(r * seqLen, (r + 1) * seqLen));
        assert.deepEqual(row, [...ids, ...new Array(seqLen - ids.length).fill(0)]);
        assert.equal(batch.lengths[r], ids.length);
      });
    }
  });

  it('encodes pairs with token type ids', async () => {
    const batch = await tokenizer.encodeBatch([['question one?', 'answer'], ['q2', 'a much longer answer here']]);
    const single = tokenizer.encode('q2', { textPair: 'a much longer answer here' });
    const seqLen = batch.inputIds.dims[1];
    assert.deepEqual(Array.from(batch.tokenTypeIds.data.slice(seqLen, seqLen + single.ids.length)), single.typeIds);
  });

  it('pads to max_length and truncates', async () => {
    const batch = await tokenizer.encodeBatch(texts, { padding: 'max_length', maxLength: 8 });
    assert.deepEqual(batch.inputIds.dims, [texts.length, 8]);
    assert.ok(Array.from(batch.lengths).every((n) => n <= 8));
    const model = await tokenizer.encodeBatch(['a'], { padding: 'max_length' });
    assert.deepEqual(model.inputIds.dims, [1, 512]);
  });

  it('refuses ragged rows without padding', async () => {
    await assert.rejects(tokenizer.encodeBatch(texts, { padding: false }), { code: ErrorCodes.INVALID_INPUT });
    const same = await tokenizer.encodeBatch(['a b', 'a b'], { padding: false });
    assert.deepEqual(same.inputIds.dims, [2, tokenizer.encode('a b').ids.length]);
  });

  it('names the row that fails', async () => {
    await assert.rejects(tokenizer.encodeBatch([['a', 'b'], ['c', 'd']], { maxLength: 4, truncation: 'only_first' }), (e) => e.code === ErrorCodes.INVALID_INPUT && /texts\[0\]/.test(e.message));
  });

  it('keeps the event loop free while a large batch runs', async () => {
    const many = new Array(4000).fill('The quick brown fox jumps over the lazy dog, again and again.');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await tokenizer.encodeBatch(many);
    clearInterval(timer);
    assert.ok(ticks > 0);
  });

  it('handles an empty batch', async () => {
    const batch = await tokenizer.encodeBatch([]);
    assert.deepEqual(batch.inputIds.dims, [0, 0]);
  });
});

describe('robustness', () => {
  const loaders = {
    albert: () => Tokenizer.fromPretrained(fixture('tokenizers', 'albertvi-30k')),
    bert: () => Tokenizer.fromPretrained(fixture('tokenizers', 'albert-zh-vocab')),
    'tokenizer.json': () => Tokenizer.fromPretrained(fixture('tokenizers', 'albert-botchan-spm'), { source: 'tokenizer.json' }),
    sentencepiece: () => Tokenizer.fromFile(fixture('tokenizers', 'spm-test-model', 'test_model.model'), { rawSentencePiece: true }),
  };
  const hostile = [
    '',
    ' \t\n\r ',
    '\u0000',
    'a\u0000b\u0001c\u007f\u0085',
    '\uD800',
    'x\uDC00y\uD83D',
    '\uD83D\uDE00\u200D\uD83D\uDE00',
    'e' + '\u0301'.repeat(5000),
    '\u0301'.repeat(3000),
    '\uFFFD\uFFFE\uFEFF',
    '[MASK][CLS]<pad>[SEP]',
    'Σ ΑΣ ΑΣΑ İ ﬁ ẞ',
    'ｶﾀｶﾅ ①②③ ㎏',
    'a'.repeat(20000),
  ];
  for (const [kind, load] of Object.entries(loaders)) {
    it(`${kind}: any string encodes, with offsets inside the string`, async () => {
      const tokenizer = await load();
      for (const text of hostile) {
        const enc = tokenizer.encode(text, { returnOffsets: true });
        assert.equal(enc.tokens.length, enc.ids.length);
        assert.ok(enc.ids.every((id) => Number.isInteger(id) && id >= 0 && id < tokenizer.vocabSize));
        assert.ok(enc.offsets.every(([s, e]) => s >= 0 && s <= e && e <= text.length), JSON.stringify(text.slice(0, 20)));
        assert.equal(typeof tokenizer.decode(enc.ids), 'string');
      }
      // A lone surrogate reads as U+FFFD.
      assert.deepEqual(tokenizer.encode('a\uD800b').ids, tokenizer.encode('a\uFFFDb').ids);
    });
  }

  it('encodes a 10 MB string', async () => {
    const tokenizer = await loaders.albert();
    const unit = 'The quick brown fox jumps over the lazy dog. 中文和English混合, 9,000 yen! ';
    const big = unit.repeat(Math.ceil(10e6 / unit.length)).slice(0, 10e6);
    const batch = await tokenizer.encodeBatch([big]);
    assert.ok(batch.lengths[0] > 1e6);
    const small = tokenizer.encode(unit).ids.length - 2;
    assert.ok(Math.abs(batch.lengths[0] / (big.length / unit.length) - small) < 1);
  });

  it('stays linear on a long run of combining marks in mixed classes', async () => {
    const storm = 'a' + '\u0301\u0316'.repeat(100000);
    for (const load of Object.values(loaders)) {
      const tokenizer = await load();
      const start = Date.now();
      tokenizer.encode(storm);
      assert.ok(Date.now() - start < 5000);
    }
  });

  it('encodes 1 MB strings with every kind', async () => {
    const unit = 'Café déjà vu, 中文 9,000 ';
    const big = unit.repeat(Math.ceil(1e6 / unit.length));
    for (const load of Object.values(loaders)) {
      const tokenizer = await load();
      const batch = tokenizer.encodeBatchSync([big]);
      assert.ok(batch.lengths[0] > 1e5);
    }
  });
});

describe('API contract', () => {
  let tokenizer;
  it('loads', async () => {
    tokenizer = await Tokenizer.fromPretrained(fixture('tokenizers', 'albert-botchan-spm'));
  });

  it('maps ids and tokens both ways', () => {
    assert.equal(tokenizer.idToToken(2), '[CLS]');
    assert.equal(tokenizer.tokenToId('[CLS]'), 2);
    assert.equal(tokenizer.idToToken(-1), undefined);
    assert.equal(tokenizer.idToToken(1e9), undefined);
    assert.equal(tokenizer.tokenToId('no such token!'), undefined);
    for (let id = 0; id < tokenizer.vocabSize; id += 97) assert.equal(tokenizer.tokenToId(tokenizer.idToToken(id)), id);
  });

  it('returns attention masks and special token masks', () => {
    const enc = tokenizer.encode('hello', { textPair: 'world' });
    assert.deepEqual(enc.attentionMask, enc.ids.map(() => 1));
    assert.deepEqual(enc.specialTokensMask, enc.ids.map((id) => (id === 2 || id === 3 ? 1 : 0)));
    assert.deepEqual(tokenizer.encode('hello', { addSpecialTokens: false }).specialTokensMask, tokenizer.tokenize('hello').map(() => 0));
  });

  it('accepts Int32Array ids in decode and rejects out-of-range ids', () => {
    const ids = Int32Array.from(tokenizer.encode('decode me').ids);
    assert.equal(tokenizer.decode(ids, { skipSpecialTokens: true }), 'decode me');
    assert.throws(() => tokenizer.decode([5, 99999]), { code: ErrorCodes.INPUT_OUT_OF_RANGE, message: /ids\[1\]/ });
    assert.throws(() => tokenizer.decode([1.5]), { code: ErrorCodes.INPUT_OUT_OF_RANGE });
  });

  it('rejects bad arguments with TypeErrors that carry codes', async () => {
    const bad = [
      () => tokenizer.encode(42),
      () => tokenizer.encode('x', { textPair: 3 }),
      () => tokenizer.encode('x', { maxLength: -1 }),
      () => tokenizer.encode('x', { truncation: 'sideways' }),
      () => tokenizer.encode('x', null),
      () => tokenizer.tokenize(undefined),
      () => tokenizer.encodeBatchSync('not an array'),
      () => tokenizer.encodeBatchSync([['a']]),
      () => tokenizer.encodeBatchSync(['a'], { padding: 'sideways' }),
      () => tokenizer.encodeBatchSync(['a'], { threads: 0 }),
      () => tokenizer.decode('1 2'),
      () => tokenizer.idToToken('1'),
    ];
    for (const call of bad) assert.throws(call, (e) => isAlbertNodeError(e) && e.code === ErrorCodes.INVALID_INPUT, call.toString());
    await assert.rejects(Tokenizer.fromPretrained(42), { code: ErrorCodes.INVALID_INPUT });
    await assert.rejects(Tokenizer.fromPretrained('.', { source: 'vocab.json' }), { code: ErrorCodes.INVALID_INPUT });
  });

  it('reports missing folders and files', async () => {
    await assert.rejects(Tokenizer.fromPretrained('/no/such/folder'), { code: ErrorCodes.FILE_NOT_FOUND });
    await assert.rejects(Tokenizer.fromPretrained(fixture('tokenizers', 'albert-zh-vocab'), { source: 'spiece.model' }), { code: ErrorCodes.FILE_NOT_FOUND, message: /spiece\.model/ });
    await assert.rejects(Tokenizer.fromFile('/no/such/spiece.model'), { code: ErrorCodes.FILE_NOT_FOUND });
    await assert.rejects(Tokenizer.fromPretrained(fixture('tokenizers', 'albertvi-30k', 'spiece.model')), { code: ErrorCodes.FILE_NOT_FOUND, message: /fromFile/ });
  });

  it('follows tokenizer_class, and refuses other model families without a tokenizer.json', async (t) => {
    const dir = tempFolder(t);
    copyFileSync(fixture('tokenizers', 'albert-botchan-spm', 'spiece.model'), join(dir, 'spiece.model'));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'T5Tokenizer' }));
    await assert.rejects(Tokenizer.fromPretrained(dir), { code: ErrorCodes.UNSUPPORTED, message: /T5Tokenizer/ });
    copyFileSync(fixture('tokenizers', 'albert-botchan-spm', 'tokenizer.json'), join(dir, 'tokenizer.json'));
    assert.equal((await Tokenizer.fromPretrained(dir)).kind, 'tokenizer.json');
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'AlbertTokenizerFast' }));
    assert.equal((await Tokenizer.fromPretrained(dir)).kind, 'albert');
    assert.equal((await Tokenizer.fromPretrained(dir, { source: 'tokenizer.json' })).kind, 'tokenizer.json');
  });

  it('rejects a bad tokenizer_config.json with coded errors naming the field', async (t) => {
    const dir = tempFolder(t);
    copyFileSync(fixture('tokenizers', 'albert-botchan-spm', 'spiece.model'), join(dir, 'spiece.model'));
    const config = join(dir, 'tokenizer_config.json');
    const cases = [
      ['{"do_lower_case": "yes"}', ErrorCodes.INVALID_TOKENIZER, /do_lower_case/],
      ['{"mask_token": 4}', ErrorCodes.INVALID_TOKENIZER, /mask_token/],
      ['{"mask_token": {"lstrip": true}}', ErrorCodes.INVALID_TOKENIZER, /mask_token\.content/],
      ['{"model_max_length": "long"}', ErrorCodes.INVALID_TOKENIZER, /model_max_length/],
      ['{"added_tokens_decoder": {"x": {"content": "a"}}}', ErrorCodes.INVALID_TOKENIZER, /added_tokens_decoder/],
      ['{"never_split": [1]}', ErrorCodes.INVALID_TOKENIZER, /never_split\[0\]/],
      ['[1, 2]', ErrorCodes.INVALID_TOKENIZER, /JSON object/],
      ['{"do_lower_case": tru', ErrorCodes.INVALID_JSON, /tokenizer_config\.json/],
    ];
    for (const [text, code, message] of cases) {
      writeFileSync(config, text);
      await assert.rejects(Tokenizer.fromPretrained(dir), (e) => e.code === code && message.test(e.message) && e.message.includes(config), text);
    }
  });

  it('rejects use after dispose', async () => {
    const t2 = await Tokenizer.fromPretrained(fixture('tokenizers', 'albert-botchan-spm'));
    const pending = t2.encodeBatch(['still fine']);
    t2.dispose();
    t2.dispose();
    assert.equal((await pending).lengths.length, 1);
    assert.throws(() => t2.encode('x'), { code: ErrorCodes.DISPOSED });
  });

  it('returns int32 Tensors', () => {
    const batch = tokenizer.encodeBatchSync(['a']);
    assert.ok(batch.inputIds instanceof Tensor && batch.attentionMask instanceof Tensor && batch.tokenTypeIds instanceof Tensor);
    assert.ok(batch.lengths instanceof Int32Array);
  });
});
