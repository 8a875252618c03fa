// Fuzzing the untrusted-file parsers: thousands of mutated safetensors files and config.json texts. Each
// must either parse or fail with a coded error; a crash, hang or uncoded error fails the run.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { binding } from '../dist/binding.js';
import { AlbertModel, ErrorCodes, isAlbertNodeError } from '../dist/index.js';
import { fixture } from './helpers/fixtures.mjs';
import { fuzzSeed, rng } from './helpers/random.mjs';
import { tempDir } from './helpers/temp-model.mjs';

const native = binding();
const tinyWeights = readFileSync(fixture('models', 'albert-tiny', 'model.safetensors'));
const tinyConfigText = readFileSync(fixture('models', 'albert-tiny', 'config.json'), 'utf8');
const headerEnd = 8 + Number(tinyWeights.readBigUInt64LE(0));
// The sanitizer run (test/90) lowers the case count; everything else runs the full count.
const CASES = Number(process.env.FUZZ_CASES ?? 20000);

const JSON_TOKENS = ['"', '{', '}', '[', ']', ',', ':', '-', '0', '9', 'e', '.', '\\', 'null', 'true', '1e309', '-1', '18446744073709551616', '"F16"', '"I64"', '[]', '{}'];

function mutateBytes(source, r, regionEnd) {
  const bytes = Buffer.from(source);
  const kind = r.int(6);
  if (kind === 0) {
    // flip random bits, mostly in the header
    const flips = 1 + r.int(8);
    for (let i = 0; i < flips; i++) bytes[r.int(regionEnd)] ^= 1 << r.int(8);
    return bytes;
  }
  if (kind === 1) return bytes.subarray(0, r.int(bytes.length));
  if (kind === 2) {
    // lie about the header length
    const lies = [0n, 1n, 2n, BigInt(headerEnd - 9), BigInt(headerEnd), BigInt(bytes.length), 2n ** 63n, 2n ** 64n - 1n, BigInt(r.int(1 << 20))];
    bytes.writeBigUInt64LE(r.pick(lies), 0);
    return bytes;
  }
  if (kind === 3) {
    // splice a JSON token into the header text
    const at = 8 + r.int(regionEnd - 8);
    const token = Buffer.from(r.pick(JSON_TOKENS));
    const out = Buffer.concat([bytes.subarray(0, at), token, bytes.subarray(at + r.int(4))]);
    out.writeBigUInt64LE(BigInt(regionEnd - 8 + token.length), 0);
    return out;
  }
  if (kind === 4) {
    // rewrite a number inside the header (offsets and shapes)
    const text = bytes.subarray(8, regionEnd).toString('latin1');
    const numbers = [...text.matchAll(/\d+/g)];
    if (numbers.length === 0) return bytes;
    const m = r.pick(numbers);
    const replacement = String(r.pick([0, 1, Number(m[0]) + 1, Number(m[0]) * 2, 4294967296, 9007199254740993, r.int(1e9)]));
    const header = Buffer.from(text.slice(0, m.index) + replacement + text.slice(m.index + m[0].length), 'latin1');
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(header.length));
    return Buffer.concat([prefix, header, bytes.subarray(regionEnd)]);
  }
  // random garbage of random length
  const out = Buffer.alloc(r.int(64));
  for (let i = 0; i < out.length; i++) out[i] = r.int(256);
  return out;
}

function expectParsedOrCoded(fn, allowed, context) {
  try {
    fn();
  } catch (error) {
    assert.ok(isAlbertNodeError(error), `${context}: uncoded error ${error?.stack ?? error}`);
    assert.ok(allowed.includes(error.code), `${context}: unexpected code ${error.code}: ${error.message}`);
    return false;
  }
  return true;
}

describe(`parser fuzzing (seed ${fuzzSeed}; set FUZZ_SEED to reproduce)`, () => {
  it(`safetensors headers: ${CASES} mutations`, (t) => {
    const r = rng(fuzzSeed);
    let parsed = 0;
    for (let i = 0; i < CASES; i++) {
      const input = mutateBytes(tinyWeights, r, headerEnd);
      const ok = expectParsedOrCoded(
        () => native.testing.parseSafetensors(new Uint8Array(input)),
        [ErrorCodes.INVALID_SAFETENSORS, ErrorCodes.INVALID_JSON],
        `case ${i}`,
      );
      if (ok) parsed++;
    }
    t.diagnostic(`${parsed} of ${CASES} mutated files still parsed; the rest were refused with coded errors`);
  });

  it(`config.json: ${CASES} mutations`, (t) => {
    const r = rng(fuzzSeed + 1);
    const source = Buffer.from(tinyConfigText);
    let parsed = 0;
    for (let i = 0; i < CASES; i++) {
      let text;
      const kind = r.int(4);
      if (kind === 0) {
        const b = Buffer.from(source);
        for (let f = 1 + r.int(4); f > 0; f--) b[r.int(b.length)] ^= 1 << r.int(7);
        text = b.toString('utf8');
      } else if (kind === 1) {
        text = tinyConfigText.slice(0, r.int(tinyConfigText.length));
      } else if (kind === 2) {
        const at = r.int(tinyConfigText.length);
        text = tinyConfigText.slice(0, at) + r.pick(JSON_TOKENS) + tinyConfigText.slice(at + r.int(3));
      } else {
        const config = JSON.parse(tinyConfigText);
        const key = r.pick(Object.keys(config));
        config[key] = r.pick([null, -1, 0, 1.5, 1e12, 'x', '', [], {}, true, 2 ** 31, -(2 ** 31)]);
        text = JSON.stringify(config);
      }
      if (expectParsedOrCoded(() => native.testing.parseConfig(text), [ErrorCodes.INVALID_JSON, ErrorCodes.INVALID_CONFIG, ErrorCodes.UNSUPPORTED], `case ${i}: ${text.slice(0, 80)}`)) parsed++;
    }
    t.diagnostic(`${parsed} of ${CASES} mutated configs still parsed`);
  });

  it('deep nesting and huge numbers in JSON are refused cleanly', () => {
    for (const text of ['['.repeat(100000), '{"a":'.repeat(5000), '1'.repeat(100000), '"' + '\\u'.repeat(1000)]) {
      expectParsedOrCoded(() => native.testing.parseConfig(text), [ErrorCodes.INVALID_JSON, ErrorCodes.INVALID_CONFIG], text.slice(0, 20));
    }
  });

  it(`whole-model loads of ${Math.min(300, CASES)} mutated checkpoints`, async (t) => {
    const r = rng(fuzzSeed + 2);
    const dir = tempDir();
    writeFileSync(join(dir, 'config.json'), tinyConfigText);
    let loaded = 0;
    for (let i = 0; i < Math.min(300, CASES); i++) {
      writeFileSync(join(dir, 'model.safetensors'), mutateBytes(tinyWeights, r, headerEnd));
      try {
        const model = await AlbertModel.fromPretrained(dir);
        await model.forward({ inputIds: [[2, 5, 9, 3]] });
        model.dispose();
        loaded++;
      } catch (error) {
        assert.ok(isAlbertNodeError(error), `case ${i}: uncoded error ${error?.stack ?? error}`);
      }
    }
    t.diagnostic(`${loaded} of ${Math.min(300, CASES)} mutated checkpoints loaded and ran; the rest were refused with coded errors`);
  });
});
