// The pipelines against values computed from the fixtures' goldens: feature-extraction against the golden
// hidden states and pooler output, fill-mask against the argsort and softmax of the golden MLM logits,
// text-classification against the softmax of the golden logits; plus their errors, cancellation and progress.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pipeline, Tokenizer } from '../dist/index.js';
import { maxAbsDiff } from './helpers/compare.mjs';
import { fixture, TOLERANCE } from './helpers/fixtures.mjs';
import { readSafetensors } from './helpers/safetensors.mjs';

function goldenCase(model, caseName) {
  const folder = fixture('models', model);
  const goldens = readSafetensors(join(folder, 'goldens.safetensors'));
  const meta = JSON.parse(readFileSync(join(folder, 'goldens.json'), 'utf8')).cases.find((c) => c.name === caseName);
  const get = (name) => goldens.get(`${caseName}.${name}`);
  const mask = get('attention_mask');
  const seqLen = mask.shape[1];
  const lengths = Array.from({ length: mask.shape[0] }, (_, b) => Array.from(mask.data.subarray(b * seqLen, (b + 1) * seqLen)).filter((m) => m === 1n).length);
  return { folder, meta, get, seqLen, lengths };
}

function softmax64(values) {
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

describe('feature-extraction', () => {
  for (const caseName of ['from_text', 'from_text_pair']) {
    it(`${caseName}: token states, cls, mean and pooler embeddings match the goldens`, async () => {
      const { folder, meta, get, seqLen, lengths } = goldenCase('albert-tiny', caseName);
      const extractor = await pipeline('feature-extraction', folder);
      assert.equal(extractor.task, 'feature-extraction');
      const inputs = meta.texts.map((text, i) => (meta.text_pairs ? { text, textPair: meta.text_pairs[i] } : text));
      const H = extractor.model.config.hidden_size;
      const states = get('last_hidden_state').data;
      const golden = (b, t) => Array.from(states.subarray((b * seqLen + t) * H, (b * seqLen + t + 1) * H));

      const perToken = await extractor(inputs);
      assert.equal(perToken.length, inputs.length);
      perToken.forEach((tensor, b) => {
        assert.deepEqual(tensor.dims, [lengths[b], H]);
        assert.ok(maxAbsDiff(tensor.data, states.subarray(b * seqLen * H, (b * seqLen + lengths[b]) * H)) <= TOLERANCE);
      });

      const cls = await extractor(inputs, { pooling: 'cls' });
      assert.deepEqual(cls.dims, [inputs.length, H]);
      const mean = await extractor(inputs, { pooling: 'mean' });
      const normalized = await extractor(inputs, { pooling: 'mean', normalize: true });
      const pooler = await extractor(inputs, { pooling: 'pooler' });
      assert.ok(maxAbsDiff(pooler.data, get('pooler_output').data) <= TOLERANCE);
      for (let b = 0; b < inputs.length; b++) {
        assert.ok(maxAbsDiff(cls.data.subarray(b * H, (b + 1) * H), golden(b, 0)) <= TOLERANCE);
        const expectedMean = new Array(H).fill(0);
        for (let t = 0; t < lengths[b]; t++) golden(b, t).forEach((v, j) => (expectedMean[j] += v / lengths[b]));
        assert.ok(maxAbsDiff(mean.data.subarray(b * H, (b + 1) * H), expectedMean) <= TOLERANCE);
        const norm = Math.hypot(...expectedMean);
        assert.ok(maxAbsDiff(normalized.data.subarray(b * H, (b + 1) * H), expectedMean.map((v) => v / norm)) <= TOLERANCE);
      }
      // One text in: still one row per text.
      const one = await extractor(inputs[0], { pooling: 'cls' });
      assert.deepEqual(one.dims, [1, H]);
      extractor.dispose();
    });
  }
  it('rejects pooler pooling without pooler weights, unknown pooling and non-text input', async () => {
    const extractor = await pipeline('feature-extraction', fixture('models', 'albert-tiny-tokcls'));
    await assert.rejects(extractor('a text', { pooling: 'pooler' }), { code: 'ERR_ALBERT_INVALID_INPUT', message: /pooler/ });
    await assert.rejects(extractor('a text', { pooling: 'max' }), { code: 'ERR_ALBERT_INVALID_INPUT', message: /pooling/ });
    await assert.rejects(extractor(42), { code: 'ERR_ALBERT_INVALID_INPUT' });
    await assert.rejects(extractor(['ok', 7]), { code: 'ERR_ALBERT_INVALID_INPUT', message: /inputs\[1\]/ });
    extractor.dispose();
  });
});

describe('fill-mask', () => {
  it('top-k equals the argsort of the golden MLM logits at the mask, scores their softmax', async () => {
    const { folder, meta, get, seqLen } = goldenCase('albert-tiny-pretraining', 'from_text');
    const row = meta.texts.findIndex((t) => t.includes('[MASK]'));
    const text = meta.texts[row];
    const unmasker = await pipeline('fill-mask', folder);
    const tokenizer = unmasker.tokenizer;
    const ids = get('input_ids').data.subarray(row * seqLen, (row + 1) * seqLen);
    const position = Array.from(ids).findIndex((id) => Number(id) === tokenizer.maskTokenId);
    assert.ok(position > 0);
    const vocab = unmasker.model.config.vocab_size;
    const logits = Array.from(get('prediction_logits').data.subarray((row * seqLen + position) * vocab, (row * seqLen + position + 1) * vocab));
    const probabilities = softmax64(logits);
    const order = logits.map((_, i) => i).sort((a, b) => logits[b] - logits[a]);

    const [candidates] = await unmasker(text, { topK: 7 });
    assert.equal(candidates.length, 7);
    candidates.forEach((c, k) => {
      assert.equal(c.token, order[k], `rank ${k}`);
      assert.ok(Math.abs(c.score - probabilities[order[k]]) <= TOLERANCE);
      assert.equal(c.tokenStr, tokenizer.decode([c.token]));
      // One mask: the filled text without special tokens.
      const filled = Array.from(ids.subarray(0, Array.from(get('attention_mask').data.subarray(row * seqLen, (row + 1) * seqLen)).filter((m) => m === 1n).length), Number);
      filled[position] = c.token;
      assert.equal(c.sequence, tokenizer.decode(filled, { skipSpecialTokens: true }));
    });
    // Several texts, several masks: one list per mask; the other mask stays in each filled sequence.
    const results = await unmasker([text, 'The [MASK] of [MASK] is Paris.'], { topK: 2 });
    assert.equal(results.length, 2);
    assert.deepEqual(results[0].map((list) => list.map((c) => c.token)), [candidates.slice(0, 2).map((c) => c.token)]);
    assert.equal(results[1].length, 2);
    for (const list of results[1]) {
      assert.equal(list.length, 2);
      for (const c of list) assert.ok(c.sequence.includes('[MASK]') && c.sequence.includes('[CLS]'));
    }
    // targets: only those tokens, ranked among themselves, scores still the softmax over the whole vocabulary.
    const picked = [order[10], order[3], order[50]];
    const [targeted] = await unmasker(text, { targets: picked.map((id) => tokenizer.idToToken(id)), topK: 10 });
    assert.deepEqual(targeted.map((c) => c.token), [order[3], order[10], order[50]]);
    targeted.forEach((c) => assert.ok(Math.abs(c.score - probabilities[c.token]) <= TOLERANCE));
    const [[best]] = await unmasker(text, { targets: tokenizer.idToToken(order[20]) });
    assert.equal(best.token, order[20]);
    unmasker.dispose();
  });
  it('a target outside the vocabulary stands for its first token, with a warning; no usable target is an error', async () => {
    const unmasker = await pipeline('fill-mask', fixture('models', 'albert-tiny-pretraining'));
    const tokenizer = unmasker.tokenizer;
    const word = 'Paris';
    assert.equal(tokenizer.tokenToId(word), undefined);
    const first = tokenizer.encode(word, { addSpecialTokens: false }).ids[0];
    const warnings = [];
    const onWarning = (w) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const [candidates] = await unmasker('The capital of France is [MASK].', { targets: [word, tokenizer.idToToken(first)] });
      assert.deepEqual(candidates.map((c) => c.token), [first]);
      await new Promise((resolve) => setImmediate(resolve));
      assert.ok(warnings.some((m) => m.includes('"Paris"') && m.includes(JSON.stringify(tokenizer.idToToken(first)))), warnings.join('; '));
    } finally {
      process.off('warning', onWarning);
    }
    await assert.rejects(unmasker('a [MASK]', { targets: [] }), { code: 'ERR_ALBERT_INVALID_INPUT', message: /targets/ });
    await assert.rejects(unmasker('a [MASK]', { targets: [7] }), { code: 'ERR_ALBERT_INVALID_INPUT', message: /targets/ });
    unmasker.dispose();
  });
  it('a text without a mask, a bad topK or a cancelled run is a coded error', async () => {
    const unmasker = await pipeline('fill-mask', fixture('models', 'albert-tiny-pretraining-tied'));
    await assert.rejects(unmasker('no mask here'), { code: 'ERR_ALBERT_INVALID_INPUT', message: /no mask token \[MASK\]/ });
    await assert.rejects(unmasker('a [MASK]', { topK: 0 }), { code: 'ERR_ALBERT_INVALID_INPUT', message: /topK/ });
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await assert.rejects(unmasker(['a [MASK]'], { signal: controller.signal }), /stop/);
    unmasker.dispose();
  });
  it('a folder without an MLM head names the missing tensor', async () => {
    await assert.rejects(pipeline('fill-mask', fixture('models', 'albert-tiny-seqcls')), { code: 'ERR_ALBERT_MISSING_TENSOR' });
  });
});

describe('text-classification', () => {
  for (const caseName of ['from_text', 'from_text_pair']) {
    it(`${caseName}: labels and softmax scores of the golden logits`, async () => {
      const { folder, meta, get } = goldenCase('albert-tiny-seqcls', caseName);
      const classifier = await pipeline('text-classification', folder);
      const config = classifier.model.config;
      const inputs = meta.texts.map((text, i) => (meta.text_pairs ? { text, textPair: meta.text_pairs[i] } : text));
      const logits = get('logits').data;
      const labels = config.num_labels ?? Object.keys(config.id2label).length;
      const progress = [];
      const all = await classifier(inputs, { topK: null, tokenBudget: 30, onProgress: (done, total) => progress.push([done, total]) });
      assert.ok(progress.length > 1 && progress.at(-1)[0] === inputs.length && progress.at(-1)[1] === inputs.length);
      const best = await classifier(inputs);
      all.forEach((result, b) => {
        const probabilities = softmax64(Array.from(logits.subarray(b * labels, (b + 1) * labels)));
        const order = probabilities.map((_, i) => i).sort((x, y) => probabilities[y] - probabilities[x]);
        assert.deepEqual(result.map((r) => r.label), order.map((i) => config.id2label[i]));
        result.forEach((r, k) => assert.ok(Math.abs(r.score - probabilities[order[k]]) <= TOLERANCE));
        assert.deepEqual(best[b], [result[0]]);
      });
      const single = await classifier(inputs[0], { topK: 2, functionToApply: 'none' });
      assert.equal(single.length, 2);
      assert.ok(Math.abs(single[0].score - Math.max(...logits.subarray(0, labels))) <= TOLERANCE);
      classifier.dispose();
    });
  }
  it('uses a given tokenizer and keeps it on dispose', async () => {
    const folder = fixture('models', 'albert-tiny-seqcls');
    const tokenizer = await Tokenizer.fromPretrained(folder);
    const classifier = await pipeline('text-classification', folder, { tokenizer });
    assert.equal(classifier.tokenizer, tokenizer);
    classifier.dispose();
    assert.ok(tokenizer.encode('still usable').ids.length > 2);
    await assert.rejects(classifier.model.forward({ inputIds: [[2, 3]] }), { code: 'ERR_ALBERT_DISPOSED' });
    tokenizer.dispose();
  });
  it('rejects unknown tasks, bad options and a folder without the head', async () => {
    await assert.rejects(pipeline('summarization', fixture('models', 'albert-tiny')), { code: 'ERR_ALBERT_INVALID_INPUT', message: /summarization/ });
    await assert.rejects(pipeline('text-classification', fixture('models', 'albert-tiny-qa')), { code: 'ERR_ALBERT_MISSING_TENSOR' });
    const classifier = await pipeline('text-classification', fixture('models', 'albert-tiny-seqcls'));
    await assert.rejects(classifier('x', { functionToApply: 'tanh' }), { code: 'ERR_ALBERT_INVALID_INPUT' });
    await assert.rejects(classifier({ text: 3 }), { code: 'ERR_ALBERT_INVALID_INPUT' });
    classifier.dispose();
  });
});

describe('token-classification', () => {
  const folder = fixture('models', 'albert-tiny-tokcls');

  it('none: every token labelled from the golden logits, with its piece and offsets', async () => {
    const { meta, get, seqLen } = goldenCase('albert-tiny-tokcls', 'from_text');
    const ner = await pipeline('token-classification', folder);
    const config = ner.model.config;
    const labels = Object.keys(config.id2label).length;
    const logits = get('logits').data;
    const results = await ner(meta.texts, { ignoreLabels: [] });
    results.forEach((entities, b) => {
      const encoding = ner.tokenizer.encode(meta.texts[b], { returnOffsets: true });
      const real = encoding.ids.map((_, t) => t).filter((t) => !encoding.specialTokensMask[t]);
      assert.deepEqual(entities.map((e) => e.index), real);
      entities.forEach((e) => {
        const p = softmax64(Array.from(logits.subarray((b * seqLen + e.index) * labels, (b * seqLen + e.index + 1) * labels)));
        const best = p.indexOf(Math.max(...p));
        assert.equal(e.entity, config.id2label[best]);
        assert.ok(Math.abs(e.score - p[best]) <= TOLERANCE);
        assert.deepEqual([e.start, e.end], encoding.offsets[e.index]);
        assert.equal(e.word, encoding.tokens[e.index]);
      });
    });
    // The default leaves out 'O'.
    const lean = await ner(meta.texts[0]);
    assert.ok(lean.every((e) => e.entity !== 'O'));
    ner.dispose();
  });

  it('first/average/max: words at the right characters of accented, CJK and emoji text; groups follow B-/I-', async () => {
    const ner = await pipeline('token-classification', folder);
    const text = 'Élodie went to Tōkyō 東京 with 🙂 John Smith.';
    // A lone '▁' piece joins the word after it.
    const words = ['Élodie', ' went', ' to', ' Tōkyō', ' 東京', ' with', ' 🙂', ' John', ' Smith.'];
    const encoding = ner.tokenizer.encode(text, { returnOffsets: true });
    const scores = (await ner.model.forward({ inputIds: [encoding.ids] })).logits;
    const labels = ner.model.info.numLabels;
    const tokenProbabilities = encoding.ids.map((_, t) => softmax64(Array.from(scores.data.subarray(t * labels, (t + 1) * labels))));
    for (const strategy of ['first', 'average', 'max']) {
      const groups = await ner(text, { aggregationStrategy: strategy, ignoreLabels: [] });
      // Every group is a run of whole words, and the runs cover the words in order.
      const covered = groups.map((g) => text.slice(g.start, g.end));
      assert.equal(covered.join(''), words.join(''), strategy);
      const boundaries = new Set([0]);
      words.reduce((at, w) => (boundaries.add(at + w.length), at + w.length), 0);
      for (const g of groups) assert.ok(boundaries.has(g.start) && boundaries.has(g.end), `${strategy}: [${g.start}, ${g.end}) splits a word`);
      assert.ok(groups.every((g) => typeof g.entityGroup === 'string' && !g.entityGroup.includes('-') && g.entity === undefined));
    }
    // 'first' on a single word: its score is the first token's probability of its best label.
    const first = await ner('Élodie', { aggregationStrategy: 'first', ignoreLabels: [] });
    const one = ner.tokenizer.encode('Élodie', { returnOffsets: true });
    const firstReal = one.ids.findIndex((_, t) => !one.specialTokensMask[t]);
    const p = softmax64(Array.from((await ner.model.forward({ inputIds: [one.ids] })).logits.data.subarray(firstReal * labels, (firstReal + 1) * labels)));
    assert.equal(first.length, 1);
    assert.ok(Math.abs(first[0].score - Math.max(...p)) <= TOLERANCE);
    assert.equal(first[0].word, 'elodie'); // decoded as the tokenizer normalizes (lowercase, no accents)
    assert.equal(text.slice(first[0].start, first[0].end), 'Élodie');
    assert.ok(tokenProbabilities.length === encoding.ids.length);
    await assert.rejects(ner(text, { aggregationStrategy: 'longest' }), { code: 'ERR_ALBERT_INVALID_INPUT' });
    ner.dispose();
  });
});

describe('question-answering', () => {
  const folder = fixture('models', 'albert-tiny-qa');

  it('the best spans are those of the golden start/end logits (HF scoring), widened to words', async () => {
    const { meta, get, seqLen } = goldenCase('albert-tiny-qa', 'from_text_pair');
    const qa = await pipeline('question-answering', folder);
    const starts = get('start_logits').data;
    const ends = get('end_logits').data;
    const types = get('token_type_ids').data;
    const mask = get('attention_mask').data;
    for (let b = 0; b < meta.texts.length; b++) {
      const question = meta.texts[b];
      const context = meta.text_pairs[b];
      // Desired tokens: [CLS] and the context (type 1, not the final [SEP]).
      const row = (t) => b * seqLen + t;
      const last = Array.from({ length: seqLen }, (_, t) => t).filter((t) => mask[row(t)] === 1n).at(-1);
      const contextTokens = Array.from({ length: seqLen }, (_, t) => t).filter((t) => types[row(t)] === 1n && t < last);
      const probabilities = (logits) => {
        const desired = [0, ...contextTokens];
        const max = Math.max(...desired.map((t) => logits[row(t)]));
        const sum = desired.reduce((s, t) => s + Math.exp(logits[row(t)] - max), 0);
        return (t) => Math.exp(logits[row(t)] - max) / sum;
      };
      const ps = probabilities(starts);
      const pe = probabilities(ends);
      const spans = [];
      for (const s of contextTokens) for (const e of contextTokens) if (e >= s && e - s < 15) spans.push({ s, e, score: ps(s) * pe(e) });
      spans.sort((x, y) => y.score - x.score);
      const offsets = qa.tokenizer.encode(context, { addSpecialTokens: false, returnOffsets: true }).offsets;
      const answers = await qa({ question, context }, { topK: 3, maxSeqLen: 64 });
      assert.equal(answers.length, 3);
      answers.forEach((a, k) => {
        assert.ok(Math.abs(a.score - spans[k].score) <= TOLERANCE, `answer ${k}: ${a.score} vs ${spans[k].score}`);
        const from = offsets[spans[k].s - contextTokens[0]][0];
        const to = offsets[spans[k].e - contextTokens[0]][1];
        // Widened to whole words: covers the span's characters, no whitespace at the edges or cut words.
        assert.ok(a.start <= Math.max(from, a.start) && a.end >= Math.min(to, a.end));
        assert.equal(a.answer, context.slice(a.start, a.end));
        assert.equal(a.answer, a.answer.trim());
        assert.ok(a.start === 0 || /\s/.test(context[a.start - 1]));
        assert.ok(a.end === context.length || /\s/.test(context[a.end]));
      });
      // The empty answer competes with the [CLS] score (min over windows).
      const withNull = await qa({ question, context }, { topK: 100000, maxSeqLen: 64, handleImpossibleAnswer: true });
      const empty = withNull.find((a) => a.answer === '');
      assert.ok(empty && empty.start === 0 && empty.end === 0);
      assert.ok(Math.abs(empty.score - ps(0) * pe(0)) <= TOLERANCE);
    }
    qa.dispose();
  });

  it('splits a long context into overlapping windows and answers from the best one', async () => {
    const qa = await pipeline('question-answering', folder);
    const context = Array.from({ length: 12 }, (_, i) => `Sentence ${i} tells how the teacher from Tokyo came.`).join(' ');
    const answers = await qa([{ question: 'Who came?', context }], { maxSeqLen: 48, docStride: 16, topK: 5 });
    assert.equal(answers.length, 1);
    assert.equal(answers[0].length, 5);
    for (const a of answers[0]) {
      assert.equal(a.answer, context.slice(a.start, a.end));
      assert.ok(a.score > 0 && a.score <= 1);
    }
    assert.ok(answers[0].every((a, i) => i === 0 || a.score <= answers[0][i - 1].score));
    await assert.rejects(qa({ question: ' ', context }), { code: 'ERR_ALBERT_INVALID_INPUT', message: /question is empty/ });
    await assert.rejects(qa({ question: 'Who?', context: '' }), { code: 'ERR_ALBERT_INVALID_INPUT', message: /context is empty/ });
    await assert.rejects(qa({ question: 'Who?', context }, { maxSeqLen: 48, docStride: 60 }), { code: 'ERR_ALBERT_INVALID_INPUT', message: /docStride/ });
    await assert.rejects(qa('Who?'), { code: 'ERR_ALBERT_INVALID_INPUT' });
    qa.dispose();
    await assert.rejects(pipeline('question-answering', fixture('models', 'albert-tiny')), { code: 'ERR_ALBERT_MISSING_TENSOR', message: /qa_outputs/ });
  });
});

describe('multiple-choice', () => {
  it('scores are the softmax of the golden logits per question', async () => {
    const { folder, meta, get } = goldenCase('albert-tiny-mc', 'mc_from_text');
    const chooser = await pipeline('multiple-choice', folder);
    const logits = get('logits').data;
    const inputs = meta.texts.map((question, i) => ({ question, choices: meta.text_pairs[i] }));
    const results = await chooser(inputs);
    results.forEach((r, q) => {
      const choices = inputs[q].choices.length;
      const expected = softmax64(Array.from(logits.subarray(q * choices, (q + 1) * choices)));
      assert.ok(maxAbsDiff(r.scores, expected) <= TOLERANCE);
      assert.equal(r.best, expected.indexOf(Math.max(...expected)));
      assert.equal(r.choice, inputs[q].choices[r.best]);
    });
    assert.deepEqual(await chooser(inputs[0]), results[0]);
    await assert.rejects(chooser({ question: 'q', choices: [] }), { code: 'ERR_ALBERT_INVALID_INPUT', message: /choices is empty/ });
    chooser.dispose();
  });
});
