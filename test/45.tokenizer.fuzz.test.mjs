// The untrusted-file readers under fuzzing: thousands of mutated spiece.model files (bit flips, truncations,
// inserted bytes, corrupted varints and lengths) must each load or fail with a coded error, never crash
// or hang; likewise vocab.txt and tokenizer_config.json. Seeded, so failures reproduce.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCodes } from '../dist/index.js';
import { binding } from '../dist/binding.js';
import { fixture, repoRoot } from './helpers/fixtures.mjs';

const testing = binding().testing;
const allowed = new Set([ErrorCodes.INVALID_TOKENIZER, ErrorCodes.UNSUPPORTED, ErrorCodes.INVALID_JSON]);

// xorshift32: a small deterministic generator.
function random(seed) {
  let state = seed >>> 0 || 1;
  return (n) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function mutate(bytes, rand) {
  const out = Uint8Array.from(bytes);
  switch (rand(6)) {
    case 0: // flip bits
      for (let k = 1 + rand(8); k > 0; k--) out[rand(out.length)] ^= 1 << rand(8);
      return out;
    case 1: // truncate
      return out.subarray(0, rand(out.length));
    case 2: { // insert random bytes
      const at = rand(out.length);
      const extra = Uint8Array.from({ length: 1 + rand(16) }, () => rand(256));
      return concat(out.subarray(0, at), extra, out.subarray(at));
    }
    case 3: { // an overlong or huge varint where a length or key was
      const at = rand(out.length - 12);
      for (let k = 0; k < 10; k++) out[at + k] = 0xff;
      out[at + 10] = rand(2) ? 0x7f : 0xff;
      return out;
    }
    case 4: // a wrong wire type in a key byte
      for (let k = 1 + rand(4); k > 0; k--) {
        const at = rand(out.length);
        out[at] = (out[at] & ~7) | (3 + rand(5));
      }
      return out;
    default: { // duplicate a slice (repeated fields, misaligned lengths)
      const a = rand(out.length);
      const b = Math.min(out.length, a + rand(512));
      return concat(out.subarray(0, b), out.subarray(a, b), out.subarray(b));
    }
  }
}

function expectCoded(fn, outcome) {
  try {
    fn();
    outcome.loaded++;
  } catch (e) {
    assert.ok(allowed.has(e.code), `unexpected error ${e.code}: ${e.message}`);
    outcome.rejected++;
  }
}

describe('spiece.model reader under fuzzing', () => {
  const models = [
    fixture('tokenizers', 'spm-test-model', 'test_model.model'),
    join(repoRoot, 'test', 'fixtures', 'sentencepiece', 'byte-fallback.model'),
  ];
  for (const path of models) {
    const original = new Uint8Array(readFileSync(path));
    it(`loads the unmutated ${path.split('/').pop()}`, () => {
      assert.ok(testing.parseSpieceModel(original) > 0);
    });
    it(`2500 mutations of ${path.split('/').pop()} load or fail with coded errors`, (t) => {
      const rand = random(0xa1be27 + original.length);
      const outcome = { loaded: 0, rejected: 0 };
      const start = Date.now();
      for (let i = 0; i < 2500; i++) expectCoded(() => testing.parseSpieceModel(mutate(original, rand)), outcome);
      t.diagnostic(`${outcome.loaded} loaded, ${outcome.rejected} rejected with a coded error, in ${Date.now() - start} ms`);
    });
  }

  it('names what is wrong', () => {
    const cases = [
      [[], /piece table is empty/],
      [[0x0a], /truncated varint/],
      [[0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], /varint longer than 10 bytes/],
      [[0x0a, 0xff, 0xff, 0xff, 0x7f], /declares 268435455 bytes but only 0 remain/],
      [[0x0b, 0x00], /unsupported wire type 3/],
      [[0x0d, 0x00, 0x00, 0x00, 0x00], /'pieces' must be length-delimited/],
      [[0x0a, 0x03, 0x0a, 0x01, 0x61], /no piece has type UNKNOWN/],
      [[0x0a, 0x00], /pieces\[0\] is empty/],
      [[0x0a, 0x05, 0x0a, 0x01, 0x61, 0x18, 0x02, 0x0a, 0x05, 0x0a, 0x01, 0x61, 0x18, 0x02], /already defined/],
      [[0x0a, 0x05, 0x0a, 0x01, 0x61, 0x18, 0x02, 0x12, 0x02, 0x18, 0x02], /only unigram/],
    ];
    for (const [bytes, message] of cases) {
      assert.throws(() => testing.parseSpieceModel(Uint8Array.from(bytes)), (e) => allowed.has(e.code) && message.test(e.message), String(message));
    }
  });
});

describe('vocab.txt and tokenizer_config.json readers under fuzzing', () => {
  it('1000 mutated vocabularies load or fail with coded errors', (t) => {
    const vocab = readFileSync(fixture('tokenizers', 'albert-zh-vocab', 'vocab.txt'), 'utf8').split('\n').slice(0, 400).join('\n');
    const bytes = new TextEncoder().encode(vocab);
    const rand = random(7);
    const outcome = { loaded: 0, rejected: 0 };
    for (let i = 0; i < 1000; i++) {
      const text = new TextDecoder().decode(mutate(bytes, rand));
      expectCoded(() => testing.parseVocabTxt(text), outcome);
    }
    t.diagnostic(`${outcome.loaded} loaded, ${outcome.rejected} rejected`);
  });

  it('1000 mutated tokenizer_config.json files parse or fail with coded errors', (t) => {
    const config = new TextEncoder().encode(readFileSync(fixture('tokenizers', 'albert-botchan-spm', 'tokenizer_config.json'), 'utf8'));
    const rand = random(11);
    const outcome = { loaded: 0, rejected: 0 };
    for (let i = 0; i < 1000; i++) {
      const text = new TextDecoder().decode(mutate(config, rand));
      expectCoded(() => testing.parseTokenizerConfig(text), outcome);
    }
    t.diagnostic(`${outcome.loaded} parsed, ${outcome.rejected} rejected`);
  });
});
