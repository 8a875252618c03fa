// streamPipeline and streamTokenize: results in input order and equal to one direct call, bounded read-ahead
// (backpressure), bounded memory over a million rows and over 20,000 embeddings, abort, row errors yielded in
// place, the kinds of source they read.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { pipeline, Tokenizer } from '../dist/index.js';
import { isStreamRowError, streamPipeline, streamTokenize } from '../dist/stream.js';
import { fixture } from './helpers/fixtures.mjs';
import { assertTypesCompile } from './helpers/typecheck.mjs';

const tiny = fixture('models', 'albert-tiny');
const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'the', 'quick', 'brown', 'fox', 'jumps', 'over', 'lazy', 'dog', 'Tōkyō', '東京'];
/** Row i: deterministic text of varying length. */
const text = (i) => `row ${i}: ${Array.from({ length: 1 + (i % 9) }, (_, k) => WORDS[(i * 7 + k * 5) % WORDS.length]).join(' ')}`;

function* texts(n) {
  for (let i = 0; i < n; i++) yield text(i);
}

async function collect(iterable) {
  const out = [];
  for await (const x of iterable) out.push(x);
  return out;
}

/** Samples RSS while `body` runs; returns [result, growth in bytes over the baseline]. */
async function rssGrowth(body) {
  const base = process.memoryUsage.rss();
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  try {
    const result = await body(() => (peak = Math.max(peak, process.memoryUsage.rss())));
    return [result, Math.max(peak, process.memoryUsage.rss()) - base];
  } finally {
    clearInterval(timer);
  }
}

describe('streamTokenize', () => {
  it('yields one Encoding per row, in input order, equal to encode(); ids output equals the Encodings\' ids', async () => {
    const tokenizer = await Tokenizer.fromPretrained(tiny);
    const n = 2500;
    const encodings = await collect(streamTokenize(tokenizer, texts(n), { batchRows: 97, maxLength: 12 }));
    assert.equal(encodings.length, n);
    encodings.forEach((e, i) => assert.deepEqual(e, tokenizer.encode(text(i), { maxLength: 12 })));
    const ids = await collect(streamTokenize(tokenizer, texts(n), { output: 'ids', batchRows: 97, maxLength: 12 }));
    assert.deepEqual(ids, encodings.map((e) => e.ids));
    // Pairs in all three shapes, with offsets.
    const pairs = [['a text', 'its pair'], { text: 'one', textPair: 'two' }, { text: 'single' }, 'plain'];
    const got = await collect(streamTokenize(tokenizer, pairs, { returnOffsets: true }));
    assert.deepEqual(got[0], tokenizer.encode('a text', { textPair: 'its pair', returnOffsets: true }));
    assert.deepEqual(got[1], tokenizer.encode('one', { textPair: 'two', returnOffsets: true }));
    assert.deepEqual(got[2], tokenizer.encode('single', { returnOffsets: true }));
    const pairIds = await collect(streamTokenize(tokenizer, pairs, { output: 'ids', addSpecialTokens: false }));
    assert.deepEqual(pairIds, pairs.map((p) => (typeof p === 'string' ? tokenizer.encode(p, { addSpecialTokens: false }) : Array.isArray(p) ? tokenizer.encode(p[0], { textPair: p[1], addSpecialTokens: false }) : tokenizer.encode(p.text, { textPair: p.textPair, addSpecialTokens: false })).ids));
    tokenizer.dispose();
  });

  it('pulls a bounded window ahead of the consumer, and stops the source when the consumer stops', async () => {
    const tokenizer = await Tokenizer.fromPretrained(tiny);
    let produced = 0;
    let closed = false;
    function* source() {
      try {
        for (let i = 0; i < 1e9; i++) {
          produced++;
          yield text(i);
        }
      } finally {
        closed = true;
      }
    }
    const batchRows = 50;
    let consumed = 0;
    let maxAhead = 0;
    for await (const encoding of streamTokenize(tokenizer, source(), { batchRows })) {
      assert.ok(encoding.ids.length > 2);
      consumed++;
      maxAhead = Math.max(maxAhead, produced - consumed);
      if (consumed % 100 === 0) await new Promise((r) => setTimeout(r, 1)); // a slow consumer
      if (consumed === 1000) break;
    }
    // The window being yielded, the next one prefetched, and the row that ended it.
    assert.ok(maxAhead <= 2 * batchRows + 1, `read ${maxAhead} rows ahead of the consumer`);
    await new Promise((r) => setImmediate(r));
    assert.ok(closed, 'the source generator was closed');
    assert.ok(produced <= consumed + 2 * batchRows + 1);

    // The same without prefetch: at most one window ahead. An async source too.
    produced = 0;
    consumed = 0;
    maxAhead = 0;
    async function* slowSource() {
      for (let i = 0; i < 600; i++) {
        produced++;
        if (i % 64 === 0) await new Promise((r) => setTimeout(r, 1));
        yield text(i);
      }
    }
    for await (const _ of streamTokenize(tokenizer, slowSource(), { batchRows, prefetch: false, output: 'ids' })) {
      consumed++;
      maxAhead = Math.max(maxAhead, produced - consumed);
    }
    assert.equal(consumed, 600);
    assert.ok(maxAhead <= batchRows, `read ${maxAhead} rows ahead without prefetch`);
    tokenizer.dispose();
  });

  it('rows that trickle in from a slow source are not held back until a window fills', async () => {
    const tokenizer = await Tokenizer.fromPretrained(tiny);
    let produced = 0;
    async function* trickle() {
      for (let i = 0; i < 4; i++) {
        produced++;
        yield text(i);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    const seenAt = [];
    for await (const _ of streamTokenize(tokenizer, trickle(), { maxWaitMs: 20 })) seenAt.push(produced);
    // Each row came out before the next one was produced (a window of 4096 rows would have held all four).
    assert.deepEqual(seenAt, [1, 2, 3, 4]);
    tokenizer.dispose();
  });

  it('1,000,000 generated rows (ids) with bounded memory', { timeout: 120_000 }, async (t) => {
    const tokenizer = await Tokenizer.fromPretrained(tiny);
    // Warm up (the tokenizer's buffers, the JIT) before measuring.
    await collect(streamTokenize(tokenizer, texts(20_000), { output: 'ids' }));
    const started = performance.now();
    let progressCalls = 0;
    let lastProgress;
    const [{ rows, tokens }, growth] = await rssGrowth(async (sample) => {
      let rows = 0;
      let tokens = 0;
      for await (const ids of streamTokenize(tokenizer, texts(1_000_000), {
        output: 'ids',
        onProgress: (p) => {
          progressCalls++;
          lastProgress = p;
        },
      })) {
        if (rows % 997 === 0) assert.deepEqual(ids, tokenizer.encode(text(rows)).ids);
        rows++;
        tokens += ids.length;
        if ((rows & 0xffff) === 0) sample();
      }
      return { rows, tokens };
    });
    const seconds = (performance.now() - started) / 1000;
    t.diagnostic(`1M rows, ${tokens} tokens in ${seconds.toFixed(1)} s (${Math.round(rows / seconds)} rows/s); RSS growth ${(growth / 1e6).toFixed(1)} MB`);
    assert.equal(rows, 1_000_000);
    assert.ok(growth < 200e6, `RSS grew ${(growth / 1e6).toFixed(1)} MB`);
    assert.ok(progressCalls >= 1_000_000 / 4096);
    assert.equal(lastProgress.rows, 1_000_000);
    assert.equal(lastProgress.tokens, tokens);
    assert.equal(lastProgress.errors, 0);
    tokenizer.dispose();
  });

  it('rows that are not text: an error record in place with onRowError yield, else the stream throws', async () => {
    const tokenizer = await Tokenizer.fromPretrained(tiny);
    const rows = ['fine', 42, { text: 'ok', textPair: 'pair' }, null, ['a', 'b'], { nope: 1 }];
    for (const output of ['encoding', 'ids']) {
      const got = await collect(streamTokenize(tokenizer, rows, { onRowError: 'yield', output, batchRows: 4 }));
      assert.equal(got.length, rows.length);
      for (const i of [1, 3, 5]) {
        assert.ok(isStreamRowError(got[i]));
        assert.equal(got[i].index, i);
        assert.equal(got[i].error.code, 'ERR_ALBERT_INVALID_INPUT');
      }
      for (const i of [0, 2, 4]) assert.ok(!isStreamRowError(got[i]));
      await assert.rejects(collect(streamTokenize(tokenizer, rows, { output })), { code: 'ERR_ALBERT_INVALID_INPUT' });
    }
    // toInput maps rows; a throw there is the row's error.
    const mapped = await collect(
      streamTokenize(tokenizer, [{ t: 'x' }, { t: '' }, { t: 'y' }], {
        onRowError: 'yield',
        toInput: (row, index) => {
          if (row.t === '') throw Object.assign(new Error(`row ${index} is empty`), { code: 'MY_EMPTY' });
          return row.t;
        },
      }),
    );
    assert.deepEqual(mapped[1], { index: 1, error: { code: 'MY_EMPTY', message: 'row 1 is empty' } });
    assert.deepEqual(mapped[2], tokenizer.encode('y'));
    tokenizer.dispose();
  });

  it('reads object-mode Readables, rejects byte streams and strings, and checks its options', async () => {
    const tokenizer = await Tokenizer.fromPretrained(tiny);
    const got = await collect(streamTokenize(tokenizer, Readable.from(['a b', 'c d', 'e']), { output: 'ids' }));
    assert.deepEqual(got, ['a b', 'c d', 'e'].map((s) => tokenizer.encode(s).ids));
    assert.throws(() => streamTokenize(tokenizer, new Readable({ read() {} })), { code: 'ERR_ALBERT_INVALID_INPUT', message: /object mode/ });
    assert.throws(() => streamTokenize(tokenizer, 'a string'), { code: 'ERR_ALBERT_INVALID_INPUT' });
    assert.throws(() => streamTokenize(tokenizer, ['a'], { batchRows: 0 }), { code: 'ERR_ALBERT_INVALID_INPUT', message: /batchRows/ });
    assert.throws(() => streamTokenize(tokenizer, ['a'], { onRowError: 'skip' }), { code: 'ERR_ALBERT_INVALID_INPUT', message: /onRowError/ });
    assert.throws(() => streamTokenize(tokenizer, ['a'], { output: 'tokens' }), { code: 'ERR_ALBERT_INVALID_INPUT', message: /output/ });
    assert.throws(() => streamTokenize({}, ['a']), { code: 'ERR_ALBERT_INVALID_INPUT' });
    tokenizer.dispose();
  });
});

describe('streamPipeline', () => {
  it('20,000 rows through feature-extraction (mean pooling) in order, equal to direct calls, with bounded memory', { timeout: 120_000 }, async (t) => {
    const extractor = await pipeline('feature-extraction', tiny);
    const H = extractor.model.config.hidden_size;
    const n = 20_000;
    await collect(streamPipeline(extractor, texts(2000), { pooling: 'mean' })); // warm up
    const started = performance.now();
    const samples = [];
    let last;
    const [count, growth] = await rssGrowth(async (sample) => {
      let i = 0;
      for await (const embedding of streamPipeline(extractor, texts(n), {
        pooling: 'mean',
        batchRows: 1500,
        countTokens: true,
        onProgress: (p) => (last = p),
      })) {
        assert.deepEqual(embedding.dims, [H]);
        if (i % 1999 === 0) samples.push([i, embedding]);
        i++;
        if ((i & 0x3ff) === 0) sample();
      }
      return i;
    });
    const seconds = (performance.now() - started) / 1000;
    t.diagnostic(`20,000 embeddings in ${seconds.toFixed(1)} s; RSS growth ${(growth / 1e6).toFixed(1)} MB`);
    assert.equal(count, n);
    assert.ok(growth < 200e6, `RSS grew ${(growth / 1e6).toFixed(1)} MB`);
    assert.equal(last.rows, n);
    assert.ok(last.tokens > n * 5, `tokens counted: ${last.tokens}`);
    // Each sampled row equals the same text through one direct call (a different batch: same numbers).
    const direct = await extractor(samples.map(([i]) => text(i)), { pooling: 'mean' });
    samples.forEach(([, embedding], k) => {
      const expected = direct.data.subarray(k * H, (k + 1) * H);
      for (let j = 0; j < H; j++) assert.ok(Math.abs(embedding.data[j] - expected[j]) <= 1e-5);
    });
    extractor.dispose();
  });

  it('text-classification over small windows equals one call over all rows; unpooled features come per row', async () => {
    const classifier = await pipeline('text-classification', fixture('models', 'albert-tiny-seqcls'));
    const rows = Array.from(texts(300));
    const expected = await classifier(rows, { topK: null });
    const got = await collect(streamPipeline(classifier, rows, { topK: null, batchRows: 37, batchTokens: 200 }));
    assert.equal(got.length, rows.length);
    got.forEach((labels, i) => {
      assert.deepEqual(labels.map((l) => l.label), expected[i].map((l) => l.label));
      labels.forEach((l, k) => assert.ok(Math.abs(l.score - expected[i][k].score) <= 1e-6));
    });
    classifier.dispose();
    const extractor = await pipeline('feature-extraction', tiny);
    const states = await collect(streamPipeline(extractor, Readable.from(['one text', { text: 'a', textPair: 'pair' }]), { batchRows: 1 }));
    assert.equal(states.length, 2);
    assert.equal(states[0].dims[0], extractor.tokenizer.encode('one text').ids.length);
    extractor.dispose();
  });

  it('row errors: yielded in place (the other rows as a direct call gives them), or thrown by default', async () => {
    const unmasker = await pipeline('fill-mask', fixture('models', 'albert-tiny-pretraining'));
    assert.ok(unmasker.tokenizer.maskTokenId !== undefined);
    const rows = Array.from({ length: 40 }, (_, i) => (i % 7 === 3 ? `no mask in row ${i}` : i === 11 ? 11 : `row ${i} has a [MASK] here`));
    const got = await collect(streamPipeline(unmasker, rows, { topK: 2, batchRows: 16, onRowError: 'yield' }));
    assert.equal(got.length, rows.length);
    const good = rows.map((_, i) => i).filter((i) => typeof rows[i] === 'string' && rows[i].includes('[MASK]'));
    const expected = await unmasker(good.map((i) => rows[i]), { topK: 2 });
    got.forEach((r, i) => {
      if (good.includes(i)) {
        assert.ok(!isStreamRowError(r), `row ${i}`);
        const e = expected[good.indexOf(i)];
        assert.deepEqual(r.map((m) => m.map((c) => c.token)), e.map((m) => m.map((c) => c.token)));
      } else {
        assert.ok(isStreamRowError(r), `row ${i} is an error`);
        assert.equal(r.index, i);
        assert.equal(r.error.code, 'ERR_ALBERT_INVALID_INPUT');
        assert.match(r.error.message, new RegExp(`^inputs\\[${i}\\]`));
      }
    });
    await assert.rejects(collect(streamPipeline(unmasker, rows, { batchRows: 16 })), { code: 'ERR_ALBERT_INVALID_INPUT' });
    unmasker.dispose();

    // Errors without a row index in their message (question-answering): found by halving the window.
    const qa = await pipeline('question-answering', fixture('models', 'albert-tiny-qa'));
    const questions = Array.from({ length: 21 }, (_, i) => ({ question: i % 5 === 2 ? '   ' : `who is ${i}?`, context: `Person ${i} lives in the city with a dog.` }));
    const answers = await collect(streamPipeline(qa, questions, { onRowError: 'yield' }));
    answers.forEach((a, i) => assert.equal(isStreamRowError(a), i % 5 === 2, `row ${i}`));
    const direct = await qa(questions[0]);
    assert.deepEqual(answers[0], direct);
    qa.dispose();
  });

  it('abort: stops a running stream and one waiting on a stalled source, with the signal\'s reason', async () => {
    const extractor = await pipeline('feature-extraction', tiny);
    const controller = new AbortController();
    let produced = 0;
    function* endless() {
      for (;;) yield text(produced++);
    }
    let seen = 0;
    await assert.rejects(
      (async () => {
        for await (const _ of streamPipeline(extractor, endless(), { pooling: 'cls', batchRows: 100, signal: controller.signal })) {
          if (++seen === 250) controller.abort();
        }
      })(),
      { name: 'AbortError' },
    );
    assert.ok(seen >= 250 && seen <= 300, `yielded ${seen} rows`);
    assert.ok(produced <= 500, `pulled ${produced} rows`);

    // A source that never yields: abort still ends the stream.
    const stalled = new AbortController();
    const never = { [Symbol.asyncIterator]: () => ({ next: () => new Promise(() => {}), return: async () => ({ done: true, value: undefined }) }) };
    setTimeout(() => stalled.abort(new Error('stop now')), 50);
    await assert.rejects(collect(streamPipeline(extractor, never, { signal: stalled.signal })), { message: 'stop now' });
    // Already aborted: nothing is pulled.
    let pulled = 0;
    await assert.rejects(
      collect(streamPipeline(extractor, (function* () { pulled++; yield 'x'; })(), { signal: AbortSignal.abort() })),
      { name: 'AbortError' },
    );
    assert.equal(pulled, 0);
    extractor.dispose();
  });

  it('rejects what is not a pipeline, and bad pipeline options before reading a row (whatever onRowError says)', async () => {
    assert.throws(() => streamPipeline(async () => [], ['x']), { code: 'ERR_ALBERT_INVALID_INPUT' });
    const extractor = await pipeline('feature-extraction', tiny);
    let pulled = 0;
    const rows = (function* () {
      for (;;) {
        pulled++;
        yield 'x';
      }
    })();
    await assert.rejects(collect(streamPipeline(extractor, rows, { pooling: 'max', onRowError: 'yield' })), { code: 'ERR_ALBERT_INVALID_INPUT', message: /pooling/ });
    assert.equal(pulled, 0);
    extractor.dispose();
  });
});

it('dist/stream.d.ts types the streams (valid use compiles, misuse is rejected)', { timeout: 120_000 }, () => {
  assertTypesCompile(['stream-usage.ts']);
});
