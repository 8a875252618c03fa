// Raw SentencePiece semantics against the SentencePiece library itself: every line of the raw-spm goldens
// (pieces and ids), plus this repository's byte-fallback and whitespace-as-suffix models (and decoding).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Tokenizer } from '../dist/index.js';
import { fixture, repoRoot } from './helpers/fixtures.mjs';
import { firstDifference, readJsonl, tokenizerGolden } from './helpers/goldens.mjs';

const extra = (name) => join(repoRoot, 'test', 'fixtures', 'sentencepiece', name);

const cases = [
  { golden: 'spm-test-model.raw-spm.jsonl', model: fixture('tokenizers', 'spm-test-model', 'test_model.model') },
  { golden: 'albertvi-30k.raw-spm.jsonl', model: fixture('tokenizers', 'albertvi-30k', 'spiece.model') },
  { golden: 'byte-fallback.raw-spm.jsonl', model: extra('byte-fallback.model'), rows: () => readJsonl(extra('byte-fallback.raw-spm.jsonl')) },
  { golden: 'suffix.raw-spm.jsonl', model: extra('suffix.model'), rows: () => readJsonl(extra('suffix.raw-spm.jsonl')) },
];

for (const { golden, model, rows: load } of cases) {
  describe(`SentencePiece goldens: ${golden}`, () => {
    const rows = load ? load() : tokenizerGolden(golden);
    let tokenizer;
    it('loads with rawSentencePiece', async () => {
      tokenizer = await Tokenizer.fromFile(model, { rawSentencePiece: true });
      assert.equal(tokenizer.kind, 'sentencepiece');
    });
    it(`matches pieces and ids on all ${rows.length} lines`, (t) => {
      const failures = [];
      for (const row of rows) {
        const pieces = tokenizer.tokenize(row.text);
        const { ids } = tokenizer.encode(row.text);
        const diff = firstDifference(pieces, row.pieces) || firstDifference(ids, row.ids);
        if (diff) failures.push(`line ${row.i} ${JSON.stringify(row.text.slice(0, 60))}: ${diff}`);
      }
      t.diagnostic(`${rows.length - failures.length}/${rows.length} lines exact`);
      assert.deepEqual(failures, []);
    });
    if (rows[0].decoded !== undefined) {
      it(`decodes all ${rows.length} lines as the library does`, (t) => {
        const failures = rows.filter((row) => tokenizer.decode(row.ids) !== row.decoded).map((row) => `line ${row.i}`);
        t.diagnostic(`${rows.length - failures.length}/${rows.length} decodes exact`);
        assert.deepEqual(failures, []);
      });
    }
  });
}

describe('raw SentencePiece API', () => {
  it('adds no special tokens and reports the model pieces', async () => {
    const tokenizer = await Tokenizer.fromFile(fixture('tokenizers', 'spm-test-model', 'test_model.model'), { rawSentencePiece: true });
    const enc = tokenizer.encode('Hello world', { textPair: 'again' });
    assert.deepEqual(enc.typeIds, [...enc.ids.map((_, i) => (i < tokenizer.encode('Hello world').ids.length ? 0 : 1))]);
    assert.equal(tokenizer.vocabSize, 1000);
    assert.equal(tokenizer.unkTokenId, 0);
    assert.equal(tokenizer.idToToken(0), '<unk>');
    assert.equal(tokenizer.tokenToId('▁the'), 7);
    assert.equal(tokenizer.clsTokenId, undefined);
  });
});
