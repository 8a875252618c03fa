// transformers' slow AlbertTokenizer semantics: every line of the albert-tokenizer goldens (ids, token type
// ids, tokens; single texts and pairs; untruncated and longest_first to 16 and 128), then the details.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '../dist/index.js';
import { fixture } from './helpers/fixtures.mjs';
import { tokenizerGolden } from './helpers/goldens.mjs';
import { checkSlowGoldens } from './helpers/slow-goldens.mjs';
import { tempFolder } from './helpers/temp.mjs';

for (const name of ['albertvi-30k', 'albert-botchan-spm']) {
  describe(`AlbertTokenizer goldens: ${name}`, () => {
    const rows = tokenizerGolden(`${name}.albert-tokenizer.jsonl`);
    let tokenizer;
    it('loads spiece.model and tokenizer_config.json from the folder', async () => {
      tokenizer = await Tokenizer.fromPretrained(fixture('tokenizers', name));
      assert.equal(tokenizer.kind, 'albert');
      assert.ok(tokenizer.path.endsWith('spiece.model'));
    });
    it(`matches all ${rows.length} lines exactly`, (t) => {
      const failures = checkSlowGoldens(tokenizer, rows);
      t.diagnostic(`${rows.length - failures.length}/${rows.length} lines exact`);
      assert.deepEqual(failures, []);
    });
  });
}

describe('ALBERT tokenizer details', () => {
  let tokenizer;
  it('loads', async () => {
    tokenizer = await Tokenizer.fromPretrained(fixture('tokenizers', 'albertvi-30k'));
  });

  it('names its special tokens', () => {
    assert.deepEqual(tokenizer.specialTokens.cls, { token: '[CLS]', id: 2 });
    assert.deepEqual(tokenizer.specialTokens.sep, { token: '[SEP]', id: 3 });
    assert.deepEqual(tokenizer.specialTokens.pad, { token: '<pad>', id: 0 });
    assert.deepEqual(tokenizer.specialTokens.unk, { token: '<unk>', id: 1 });
    assert.deepEqual(tokenizer.specialTokens.mask, { token: '[MASK]', id: 4 });
    assert.deepEqual([tokenizer.clsTokenId, tokenizer.sepTokenId, tokenizer.padTokenId, tokenizer.unkTokenId, tokenizer.maskTokenId], [2, 3, 0, 1, 4]);
    assert.deepEqual(tokenizer.allSpecialIds.sort(), [0, 1, 2, 3, 4]);
    assert.equal(tokenizer.vocabSize, 30000);
    assert.equal(tokenizer.modelMaxLength, 512);
  });

  it('splits a piece ending in digit + comma, as transformers does', () => {
    assert.deepEqual(tokenizer.tokenize('9,000'), ['▁9', ',', '000']);
    assert.deepEqual(tokenizer.tokenize('12,'), ['▁12', ',']);
  });

  it('maps a literal [MASK] to the mask id and lets it swallow the space before it', () => {
    const enc = tokenizer.encode('The capital of [MASK] is Paris.', { returnOffsets: true });
    const at = enc.ids.indexOf(4);
    assert.ok(at > 0);
    assert.equal(enc.tokens[at], '[MASK]');
    assert.deepEqual(enc.offsets[at], [15, 21]);
  });

  it('lowercases text but not special tokens (<PAD> becomes the pad token, as in transformers)', () => {
    assert.deepEqual(tokenizer.encode('<PAD>', { addSpecialTokens: false }).ids, [0]);
    assert.notDeepEqual(tokenizer.encode('[mask]', { addSpecialTokens: false }).ids, [4]);
  });

  it('returns offsets into the original string for every token', () => {
    const text = 'Café  déjà-vu, naïve 👍🏽 ``quoted\'\' 9,000 ﬁ';
    const enc = tokenizer.encode(text, { returnOffsets: true });
    assert.equal(enc.offsets.length, enc.ids.length);
    assert.deepEqual(enc.offsets[0], [0, 0]);
    assert.deepEqual(enc.offsets.at(-1), [0, 0]);
    const pieces = enc.offsets.slice(1, -1).map(([s, e]) => text.slice(s, e));
    assert.ok(pieces.every((p, i) => enc.offsets[i + 1][0] <= enc.offsets[i + 1][1]));
    // Each token's text, lowercased and stripped of accents, reappears in its slice of the input.
    const fold = (s) => s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/``|''/g, '"');
    for (let i = 1; i < enc.ids.length - 1; i++) {
      const token = enc.tokens[i].replace(/^▁/, '');
      if (enc.ids[i] === 1 || token === '') continue;
      assert.ok(fold(pieces[i - 1]).includes(token), `${JSON.stringify(token)} not in ${JSON.stringify(pieces[i - 1])}`);
    }
    const emoji = enc.tokens.indexOf('👍🏽');
    assert.equal(text.slice(...enc.offsets[emoji]), '👍🏽');
  });

  it('truncates pairs with longest_first, only_first and only_second', () => {
    const a = 'one two three four five six seven eight nine ten';
    const b = 'alpha beta gamma';
    const la = tokenizer.tokenize(a).length;
    const lb = tokenizer.tokenize(b).length;
    const full = tokenizer.encode(a, { textPair: b });
    assert.equal(full.ids.length, la + lb + 3);
    for (const truncation of ['longest_first', 'only_first', 'only_second']) {
      const maxLength = truncation === 'only_second' ? la + 3 + 1 : 12;
      const enc = tokenizer.encode(a, { textPair: b, maxLength, truncation });
      assert.equal(enc.ids.length, maxLength, truncation);
      const sep = enc.ids.indexOf(3);
      const keptA = sep - 1;
      const keptB = enc.ids.length - sep - 2;
      if (truncation === 'only_first') assert.equal(keptB, lb);
      if (truncation === 'only_second') assert.equal(keptA, la);
      if (truncation === 'longest_first') {
        // transformers: first take from the longer side until the lengths meet, then alternately.
        const remove = la + lb + 3 - maxLength;
        const first = Math.min(Math.abs(la - lb), remove);
        const second = remove - first;
        const fromA = la > lb ? first + Math.floor(second / 2) : Math.floor(second / 2);
        assert.deepEqual([keptA, keptB], [la - fromA, lb - (remove - fromA)]);
      }
      assert.deepEqual(enc.typeIds, enc.ids.map((_, i) => (i <= sep ? 0 : 1)));
    }
    assert.throws(() => tokenizer.encode(a, { textPair: b, maxLength: 5, truncation: 'only_second' }), { code: 'ERR_ALBERT_INVALID_INPUT' });
    assert.equal(tokenizer.encode(a, { maxLength: 5 }).ids.length, 5);
    assert.equal(tokenizer.encode(a, { maxLength: 5, truncation: false }).ids.length, la + 2);
  });

  it('gives the pair type 0 without special tokens, as transformers does', () => {
    const enc = tokenizer.encode('first text', { textPair: 'second', addSpecialTokens: false });
    assert.deepEqual(enc.ids, [...tokenizer.encode('first text', { addSpecialTokens: false }).ids, ...tokenizer.encode('second', { addSpecialTokens: false }).ids]);
    assert.deepEqual(enc.typeIds, enc.ids.map(() => 0));
    assert.deepEqual(enc.specialTokensMask, enc.ids.map(() => 0));
  });

  it('decodes like transformers', () => {
    const ids = tokenizer.encode('Hello, world! It costs 9,000 yen.').ids;
    assert.equal(tokenizer.decode(ids, { skipSpecialTokens: true }), 'hello, world! it costs 9,000 yen.');
    assert.equal(tokenizer.decode(ids), '[CLS] hello, world! it costs 9,000 yen.[SEP]');
    assert.equal(tokenizer.decode([2, 4, 3]), '[CLS][MASK][SEP]');
  });

  it('reads keep_accents and do_lower_case from tokenizer_config.json', async (t) => {
    const dir = tempFolder(t);
    copyFileSync(fixture('tokenizers', 'albertvi-30k', 'spiece.model'), join(dir, 'spiece.model'));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: false, keep_accents: true, remove_space: false }));
    const kept = await Tokenizer.fromPretrained(dir);
    assert.equal(kept.tokenize('Café').join(''), '▁Café');
    assert.equal(tokenizer.tokenize('Café').join(''), '▁cafe');
  });
});
