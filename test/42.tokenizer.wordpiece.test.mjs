// transformers' slow BertTokenizer semantics on the Chinese ALBERT vocab.txt: every line of the
// bert-tokenizer goldens, then the details (CJK splitting, [UNK], never_split, malformed vocabularies).
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Tokenizer } from '../dist/index.js';
import { fixture } from './helpers/fixtures.mjs';
import { tokenizerGolden } from './helpers/goldens.mjs';
import { checkSlowGoldens } from './helpers/slow-goldens.mjs';
import { tempFolder } from './helpers/temp.mjs';

describe('BertTokenizer goldens: albert-zh-vocab', () => {
  const rows = tokenizerGolden('albert-zh-vocab.bert-tokenizer.jsonl');
  let tokenizer;
  it('loads vocab.txt and tokenizer_config.json from the folder', async () => {
    tokenizer = await Tokenizer.fromPretrained(fixture('tokenizers', 'albert-zh-vocab'));
    assert.equal(tokenizer.kind, 'bert');
  });
  it(`matches all ${rows.length} lines exactly`, (t) => {
    const failures = checkSlowGoldens(tokenizer, rows);
    t.diagnostic(`${rows.length - failures.length}/${rows.length} lines exact`);
    assert.deepEqual(failures, []);
  });
});

describe('WordPiece details', () => {
  let tokenizer;
  it('loads', async () => {
    tokenizer = await Tokenizer.fromPretrained(fixture('tokenizers', 'albert-zh-vocab'));
    assert.equal(tokenizer.vocabSize, 21128);
    assert.deepEqual(tokenizer.specialTokens.unk, { token: '[UNK]', id: 100 });
    assert.deepEqual([tokenizer.clsTokenId, tokenizer.sepTokenId, tokenizer.padTokenId, tokenizer.maskTokenId], [101, 102, 0, 103]);
  });

  it('splits CJK ideographs one by one and keeps their offsets', () => {
    const text = '中文和English混合';
    const enc = tokenizer.encode(text, { returnOffsets: true, addSpecialTokens: false });
    assert.deepEqual(enc.tokens, ['中', '文', '和', 'english', '混', '合']);
    assert.deepEqual(enc.offsets.map(([s, e]) => text.slice(s, e)), ['中', '文', '和', 'English', '混', '合']);
  });

  it('marks word continuations with ## and gives their offsets', () => {
    const text = 'unaffable';
    const enc = tokenizer.encode(text, { returnOffsets: true, addSpecialTokens: false });
    assert.ok(enc.tokens.length > 1 && enc.tokens.slice(1).every((t) => t.startsWith('##')));
    assert.equal(enc.offsets.map(([s, e]) => text.slice(s, e)).join(''), text);
  });

  it('uses [UNK] for uncovered words and words over 100 characters', () => {
    assert.deepEqual(tokenizer.tokenize('x'.repeat(101)), ['[UNK]']);
    assert.deepEqual(tokenizer.tokenize('שלום'), ['[UNK]']);
    assert.equal(tokenizer.encode('שלום', { addSpecialTokens: false }).ids[0], 100);
  });

  it('keeps special tokens written in the text whole', () => {
    assert.deepEqual(tokenizer.tokenize('[CLS] a [SEP]'), ['[CLS]', 'a', '[SEP]']);
  });

  it('decodes by joining ## pieces', () => {
    const ids = tokenizer.encode('supercalifragilistic 中文!').ids;
    assert.equal(tokenizer.decode(ids, { skipSpecialTokens: true }), 'supercalifragilistic 中 文!');
  });

  it('honours never_split and do_lower_case from tokenizer_config.json', async (t) => {
    const dir = tempFolder(t);
    copyFileSync(fixture('tokenizers', 'albert-zh-vocab', 'vocab.txt'), join(dir, 'vocab.txt'));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'BertTokenizer', do_lower_case: false, never_split: ['[foo]'] }));
    const cased = await Tokenizer.fromPretrained(dir);
    assert.equal(cased.tokenize('Hello [foo]').at(-1), '[foo]');
    assert.deepEqual(tokenizer.tokenize('[foo]'), ['[', 'f', '##oo', ']']);
    assert.notDeepEqual(cased.tokenize('ABC'), tokenizer.tokenize('ABC'));
  });

  it('rejects malformed vocabularies with coded errors naming the file', async (t) => {
    const dir = tempFolder(t);
    const vocab = join(dir, 'vocab.txt');
    const cases = [
      ['', /vocabulary is empty/],
      ['[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\na\n', /'a' appears twice \(ids 5 and 6\)/],
      ['[PAD]\n[CLS]\n[SEP]\n[MASK]\na\n', /unknown token '\[UNK\]' is not in the vocabulary/],
    ];
    for (const [text, message] of cases) {
      writeFileSync(vocab, text);
      await assert.rejects(Tokenizer.fromFile(vocab), (e) => e.code === 'ERR_ALBERT_INVALID_TOKENIZER' && message.test(e.message) && e.message.includes(vocab));
    }
    // Special tokens missing from the vocabulary become added tokens after it, as in transformers.
    writeFileSync(vocab, '[PAD]\n[UNK]\n[MASK]\na\n');
    const extended = await Tokenizer.fromFile(vocab);
    assert.deepEqual(extended.encode('a').ids, [5, 3, 4]); // added in transformers' order: sep, then cls
    assert.equal(extended.vocabSize, 6);
    writeFileSync(vocab, Buffer.from([0x5b, 0x55, 0x4e, 0x4b, 0x5d, 0x0a, 0xff, 0xfe, 0x0a]));
    await assert.rejects(Tokenizer.fromFile(vocab), { code: 'ERR_ALBERT_INVALID_TOKENIZER', message: /not valid UTF-8/ });
  });

  it('reads vocab.txt with CRLF line ends as Python does', async (t) => {
    const dir = tempFolder(t);
    writeFileSync(join(dir, 'vocab.txt'), '[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\n[MASK]\r\nhello\r\n##s\r\n');
    const small = await Tokenizer.fromPretrained(dir);
    assert.deepEqual(small.encode('Hellos').ids, [2, 5, 6, 3]);
  });
});
