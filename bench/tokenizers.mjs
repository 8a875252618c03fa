// Tokenizer throughput: albert-node vs the SentencePiece library's own C++ encoder and vs the tokenizer of
// @huggingface/transformers (transformers.js, same process), on the botchan and news_zh lines of the
// fixtures' goldens repeated to a few MB. Contenders run in interleaved rounds (best round reported), so
// a load change on a shared machine does not favour whoever ran first.
//   npm run build:ts && node bench/tokenizers.mjs [--mb 4] [--rounds 3]
// SentencePiece is timed through bench/sentencepiece_encode.cpp, compiled here with g++ when
// libsentencepiece-dev is installed (apt-get install libsentencepiece-dev); otherwise its row says n/a.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '../dist/index.js';
import { wordPieceTokenizerJson } from '../test/helpers/wordpiece-json.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = process.env.ALBERT_NODE_FIXTURES ?? join(root, '..', 'shared', 'fixtures');
const tokenizers = join(fixtures, 'tokenizers');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const targetBytes = arg('mb', 4) * 1e6;
const rounds = arg('rounds', 3);

// Each source's unique lines, repeated to the target size.
function corpus(source) {
  const unique = new Set();
  for (const line of readFileSync(join(tokenizers, 'goldens', 'albertvi-30k.raw-spm.jsonl'), 'utf8').split('\n')) {
    if (!line) continue;
    const row = JSON.parse(line);
    if (row.source === source) unique.add(row.text.replace(/\n/g, ' '));
  }
  const texts = [];
  let bytes = 0;
  while (bytes < targetBytes) {
    for (const t of unique) {
      texts.push(t);
      bytes += Buffer.byteLength(t);
    }
  }
  return { texts, bytes };
}

const timed = (fn) => {
  const start = process.hrtime.bigint();
  const tokens = fn();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, tokens };
};
const timedAsync = async (fn) => {
  const start = process.hrtime.bigint();
  const tokens = await fn();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, tokens };
};
const sumLengths = (lengths) => lengths.reduce((a, b) => a + b, 0);

// albert-node three ways: encode() per text; encodeBatchSync in batches of 64 (the calling thread); the async
// encodeBatch over batches of 1024 texts, on native threads (all cores).
function albertNode(label, tokenizer, texts) {
  return [
    [`albert-node ${label}, encode() per text, 1 thread`, () => timed(() => texts.reduce((n, t) => n + tokenizer.encode(t).ids.length, 0))],
    [`albert-node ${label}, encodeBatchSync x64, 1 thread`, () => timed(() => {
      let n = 0;
      for (let i = 0; i < texts.length; i += 64) n += sumLengths(tokenizer.encodeBatchSync(texts.slice(i, i + 64)).lengths);
      return n;
    })],
    [`albert-node ${label}, encodeBatch x1024, all threads`, () => timedAsync(async () => {
      const jobs = [];
      for (let i = 0; i < texts.length; i += 1024) jobs.push(tokenizer.encodeBatch(texts.slice(i, i + 1024)));
      return (await Promise.all(jobs)).reduce((n, b) => n + sumLengths(b.lengths), 0);
    })],
  ];
}

async function transformersJs(folder, texts) {
  const { AutoTokenizer, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.localModelPath = dirname(folder) + '/';
  const tokenizer = await AutoTokenizer.from_pretrained(folder.split('/').pop());
  return () => timed(() => texts.reduce((n, t) => n + tokenizer.encode(t).length, 0));
}

function sentencePieceCpp(model, texts) {
  const out = join(root, 'build-bench');
  const binary = join(out, 'sentencepiece_encode');
  if (!existsSync(binary)) {
    if (!existsSync('/usr/include/sentencepiece_processor.h')) return undefined;
    mkdirSync(out, { recursive: true });
    execFileSync('g++', ['-O2', '-std=c++17', join(root, 'bench', 'sentencepiece_encode.cpp'), '-o', binary, '-lsentencepiece']);
  }
  const file = join(out, `lines-${process.pid}.txt`);
  writeFileSync(file, texts.join('\n') + '\n');
  return () => {
    const result = JSON.parse(execFileSync(binary, [model, file, '1'], { encoding: 'utf8' }));
    return { seconds: result.seconds, tokens: result.tokens };
  };
}

// transformers.js needs a tokenizer.json: write the one transformers' BertTokenizerFast conversion makes.
function wordPieceFolder(folder) {
  const target = join(mkdtempSync(join(tmpdir(), 'albert-node-bench-')), 'albert-zh-vocab');
  mkdirSync(target);
  writeFileSync(join(target, 'tokenizer.json'), JSON.stringify(wordPieceTokenizerJson(join(folder, 'vocab.txt'))));
  const config = JSON.parse(readFileSync(join(folder, 'tokenizer_config.json'), 'utf8'));
  writeFileSync(join(target, 'tokenizer_config.json'), JSON.stringify({ ...config, tokenizer_class: 'BertTokenizerFast' }));
  return target;
}

async function measure(contenders) {
  const best = new Map(contenders.map(([name]) => [name, undefined]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of contenders) {
      if (!run) continue;
      const r = await run();
      if (!best.get(name) || r.seconds < best.get(name).seconds) best.set(name, r);
    }
  }
  return best;
}

function table(title, bytes, best, spmName, tjsNames) {
  console.log(`## ${title}\n`);
  console.log('| tokenizer | MB/s | M tokens/s | vs SentencePiece C++ | vs transformers.js |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  const speed = (r) => r.tokens / r.seconds;
  for (const [name, r] of best) {
    if (!r) {
      console.log(`| ${name} | n/a | n/a | | |`);
      continue;
    }
    const spm = spmName && !name.includes('WordPiece') ? best.get(spmName) : undefined;
    const tjs = best.get(tjsNames.find((n) => n.includes('WordPiece') === name.includes('WordPiece')));
    const ratio = (ref) => (ref ? `${(speed(r) / speed(ref)).toFixed(2)}x` : '');
    console.log(`| ${name} | ${(bytes / 1e6 / r.seconds).toFixed(2)} | ${(speed(r) / 1e6).toFixed(3)} | ${ratio(spm)} | ${ratio(tjs)} |`);
  }
  console.log('');
}

const albertFolder = join(tokenizers, 'albertvi-30k');
const spmModel = join(albertFolder, 'spiece.model');
const albert = await Tokenizer.fromPretrained(albertFolder);
const raw = await Tokenizer.fromFile(spmModel, { rawSentencePiece: true });
const wordPiece = await Tokenizer.fromPretrained(join(tokenizers, 'albert-zh-vocab'));

console.log(`node ${process.version}, ${cpus()[0].model}, ${cpus().length} cores; ${targetBytes / 1e6} MB per corpus, best of ${rounds} interleaved rounds\n`);
for (const source of ['botchan', 'news_zh']) {
  const { texts, bytes } = corpus(source);
  const spmName = 'SentencePiece C++ library (EncodeAsIds), 1 thread';
  const tjsName = 'transformers.js AlbertTokenizer (tokenizer.json)';
  const contenders = [
    [spmName, sentencePieceCpp(spmModel, texts)],
    [tjsName, await transformersJs(albertFolder, texts)],
    ...albertNode('raw SentencePiece', raw, texts).slice(1, 2),
    ...albertNode('ALBERT', albert, texts),
  ];
  const tjsNames = [tjsName];
  if (source === 'news_zh') {
    const wpName = 'transformers.js BertTokenizer (WordPiece)';
    contenders.push([wpName, await transformersJs(wordPieceFolder(join(tokenizers, 'albert-zh-vocab')), texts)]);
    contenders.push(...albertNode('WordPiece', wordPiece, texts));
    tjsNames.push(wpName);
  }
  table(`${source}: ${texts.length} texts, ${(bytes / 1e6).toFixed(1)} MB`, bytes, await measure(contenders), spmName, tjsNames);
}
