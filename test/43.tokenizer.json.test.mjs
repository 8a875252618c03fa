// Hugging Face tokenizer.json (the `tokenizers` library's semantics): every line of the tokenizer-json
// goldens for the Unigram files, a WordPiece tokenizer.json converted from vocab.txt against the slow
// BertTokenizer goldens (the two agree for this configuration), and the loading rules.
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Tokenizer } from '../dist/index.js';
import { fixture } from './helpers/fixtures.mjs';
import { firstDifference, tokenizerGolden } from './helpers/goldens.mjs';
import { checkSlowGoldens } from './helpers/slow-goldens.mjs';
import { tempFolder } from './helpers/temp.mjs';
import { wordPieceTokenizerJson } from './helpers/wordpiece-json.mjs';

for (const name of ['albertvi-30k', 'albert-botchan-spm']) {
  describe(`tokenizer.json goldens: ${name}`, () => {
    const rows = tokenizerGolden(`${name}.tokenizer-json.jsonl`);
    let tokenizer;
    it("loads tokenizer.json when asked to (spiece.model is the folder's default)", async () => {
      tokenizer = await Tokenizer.fromPretrained(fixture('tokenizers', name), { source: 'tokenizer.json' });
      assert.equal(tokenizer.kind, 'tokenizer.json');
      assert.ok(tokenizer.path.endsWith('tokenizer.json'));
      assert.equal((await Tokenizer.fromPretrained(fixture('tokenizers', name))).kind, 'albert');
    });
    it(`matches all ${rows.length} lines exactly (ids, token type ids, tokens)`, (t) => {
      const failures = [];
      let disagreeWithSlow = 0;
      for (const row of rows) {
        const enc = tokenizer.encode(row.text);
        const diff = firstDifference(enc.ids, row.ids) || firstDifference(enc.typeIds, row.token_type_ids) || firstDifference(enc.tokens, row.tokens);
        if (diff) failures.push(`line ${row.i} ${JSON.stringify(row.text.slice(0, 50))}: ${diff}`);
        if (!row.matches_slow_tokenizer) disagreeWithSlow++;
      }
      t.diagnostic(`${rows.length - failures.length}/${rows.length} lines exact (${disagreeWithSlow} of them differ from the slow tokenizer)`);
      assert.deepEqual(failures, []);
    });
  });
}

describe('WordPiece tokenizer.json (converted from vocab.txt) against the BertTokenizer goldens', () => {
  const rows = tokenizerGolden('albert-zh-vocab.bert-tokenizer.jsonl');
  let tokenizer;
  it('loads', async (t) => {
    const dir = tempFolder(t);
    const json = join(dir, 'tokenizer.json');
    writeFileSync(json, JSON.stringify(wordPieceTokenizerJson(fixture('tokenizers', 'albert-zh-vocab', 'vocab.txt'))));
    tokenizer = await Tokenizer.fromFile(json);
    assert.equal(tokenizer.kind, 'tokenizer.json');
    assert.deepEqual([tokenizer.clsTokenId, tokenizer.sepTokenId, tokenizer.padTokenId, tokenizer.unkTokenId, tokenizer.maskTokenId], [101, 102, 0, 100, 103]);
  });
  it(`matches all ${rows.length} lines exactly`, (t) => {
    const failures = checkSlowGoldens(tokenizer, rows);
    t.diagnostic(`${rows.length - failures.length}/${rows.length} lines exact`);
    assert.deepEqual(failures, []);
  });
  it('decodes with the WordPiece decoder', () => {
    assert.equal(tokenizer.decode(tokenizer.encode('supercalifragilistic, ok').ids, { skipSpecialTokens: true }), 'supercalifragilistic, ok');
  });
});

describe('tokenizer.json loading', () => {
  it('loads a folder that only has tokenizer.json', async (t) => {
    const dir = tempFolder(t);
    copyFileSync(fixture('tokenizers', 'albert-botchan-spm', 'tokenizer.json'), join(dir, 'tokenizer.json'));
    const tokenizer = await Tokenizer.fromPretrained(dir);
    assert.equal(tokenizer.kind, 'tokenizer.json');
    assert.deepEqual([tokenizer.clsTokenId, tokenizer.sepTokenId, tokenizer.padTokenId, tokenizer.unkTokenId, tokenizer.maskTokenId], [2, 3, 0, 1, 4]);
    assert.equal(tokenizer.decode(tokenizer.encode('Hello there, friend.').ids, { skipSpecialTokens: true }), 'hello there, friend.');
  });

  it('gives offsets into the original string', async () => {
    const tokenizer = await Tokenizer.fromPretrained(fixture('tokenizers', 'albertvi-30k'), { source: 'tokenizer.json' });
    const text = 'The capital of [MASK] is Paris.';
    const enc = tokenizer.encode(text, { returnOffsets: true });
    const at = enc.tokens.indexOf(' [MASK]');
    assert.equal(text.slice(...enc.offsets[at]), ' [MASK]');
    assert.equal(text.slice(...enc.offsets[enc.tokens.indexOf('▁par')]), ' Par');
  });

  it('rejects malformed and unsupported files with coded errors', async (t) => {
    const dir = tempFolder(t);
    const path = join(dir, 'tokenizer.json');
    const cases = [
      ['{', 'ERR_ALBERT_INVALID_JSON'],
      ['[]', 'ERR_ALBERT_INVALID_TOKENIZER'],
      ['{"model": 3}', 'ERR_ALBERT_INVALID_TOKENIZER'],
      ['{"model": {"type": "BPE", "vocab": {}, "merges": []}}', 'ERR_ALBERT_UNSUPPORTED'],
      ['{"model": {"type": "Unigram", "vocab": []}}', 'ERR_ALBERT_INVALID_TOKENIZER'],
      ['{"model": {"type": "Unigram", "vocab": [["a", "x"]]}}', 'ERR_ALBERT_INVALID_TOKENIZER'],
      ['{"model": {"type": "Unigram", "unk_id": 5, "vocab": [["a", -1]]}}', 'ERR_ALBERT_INVALID_TOKENIZER'],
      ['{"model": {"type": "WordPiece", "vocab": {"a": 0}}}', 'ERR_ALBERT_INVALID_TOKENIZER'],
      ['{"model": {"type": "Unigram", "vocab": [["a", -1]]}, "normalizer": {"type": "Wat"}}', 'ERR_ALBERT_UNSUPPORTED'],
      ['{"model": {"type": "Unigram", "vocab": [["a", -1]]}, "normalizer": {"type": "Replace", "pattern": {"Regex": "(a|b)"}, "content": ""}}', 'ERR_ALBERT_UNSUPPORTED'],
      ['{"model": {"type": "Unigram", "vocab": [["a", -1]]}, "added_tokens": [{"id": -1, "content": "x"}]}', 'ERR_ALBERT_INVALID_TOKENIZER'],
      ['{"model": {"type": "Unigram", "vocab": [["a", -1]]}, "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "[X]"}}]}}', 'ERR_ALBERT_INVALID_TOKENIZER'],
    ];
    for (const [text, code] of cases) {
      writeFileSync(path, text);
      await assert.rejects(Tokenizer.fromFile(path), (e) => e.code === code && e.message.includes(path), text);
    }
  });
});
