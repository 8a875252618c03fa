// The albert-node CLI, spawned as users run it (node bin/albert-node.js ...): every subcommand on the tiny
// fixture models with results equal to the library's pipelines, JSONL/CSV/TSV/lines/stdin inputs, ids and
// input order kept, error records for bad rows, --strict, SIGTERM leaving complete lines and --resume
// completing them to the uninterrupted output, and a --help that lists every option.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pipeline, Tokenizer } from '../dist/index.js';
import { fixture, repoRoot } from './helpers/fixtures.mjs';
import { tempDir } from './helpers/temp-model.mjs';

const BIN = join(repoRoot, 'bin', 'albert-node.js');
const models = {
  embed: fixture('models', 'albert-tiny'),
  classify: fixture('models', 'albert-tiny-seqcls'),
  ner: fixture('models', 'albert-tiny-tokcls'),
  qa: fixture('models', 'albert-tiny-qa'),
  fillMask: fixture('models', 'albert-tiny-pretraining'),
};
const dir = tempDir('albert-node-cli-');

// Real text: the tokenizer goldens' Botchan lines (quotes, commas, apostrophes, one 5000-character line).
const TEXTS = [
  ...new Set(
    readFileSync(fixture('tokenizers', 'goldens', 'albert-botchan-spm.albert-tokenizer.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).text.replace(/^\uFEFF/, '').trim())
      .filter((t) => t.length > 0),
  ),
].slice(0, 120);

function cli(args, { input, env } = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', maxBuffer: 256 << 20, env: { ...process.env, ...env } });
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    get lines() {
      return result.stdout.split('\n').filter((l) => l).map((l) => JSON.parse(l));
    },
  };
}

function ok(args, options) {
  const r = cli(args, options);
  assert.equal(r.status, 0, `albert-node ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return r;
}

function write(name, content) {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function csvField(s) {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A JSON round trip of a library result: what the CLI's JSON holds. */
const plain = (value) => JSON.parse(JSON.stringify(value));

describe('albert-node CLI', () => {
  it('embed: JSONL in, one embedding per row equal to the library, ids and order kept; cls/normalize/none', async () => {
    const rows = TEXTS.slice(0, 60).map((text, i) => ({ id: `doc-${i}`, text }));
    const file = write('embed.jsonl', rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const extractor = await pipeline('feature-extraction', models.embed);
    const H = extractor.model.config.hidden_size;
    for (const [flags, options] of [
      [[], { pooling: 'mean' }],
      [['--pooling', 'cls', '--normalize'], { pooling: 'cls', normalize: true }],
    ]) {
      const { lines, stderr } = ok(['embed', '--model', models.embed, ...flags, file]);
      assert.match(stderr, /done: 60 rows/);
      const expected = await extractor(rows.map((r) => r.text), options);
      assert.equal(lines.length, rows.length);
      lines.forEach((line, i) => {
        assert.deepEqual(Object.keys(line), ['line', 'id', 'embedding']);
        assert.equal(line.line, i + 1);
        assert.equal(line.id, `doc-${i}`);
        assert.deepEqual(line.embedding, Array.from(expected.data.subarray(i * H, (i + 1) * H)));
      });
    }
    const { lines } = ok(['embed', '-m', models.embed, '--pooling', 'none', '--quiet', file]);
    const states = await extractor(rows.map((r) => r.text));
    lines.forEach((line, i) => {
      assert.equal(line.embeddings.length, states[i].dims[0]);
      assert.deepEqual(line.embeddings[0], Array.from(states[i].data.subarray(0, H)));
    });
    extractor.dispose();
  });

  it('classify: CSV with quoted commas, newlines and "" quotes, CRLF and a BOM; --top-k all; text pairs', async () => {
    const texts = [...TEXTS.slice(0, 40), 'two\nlines, and "quotes"', 'a,b,c'];
    const csv = '\uFEFFid,text,extra\r\n' + texts.map((t, i) => `${100 + i},${csvField(t)},x${i}`).join('\r\n') + '\r\n';
    const file = write('classify.csv', csv);
    const classifier = await pipeline('text-classification', models.classify);
    const expected = plain(await classifier(texts, { topK: null }));
    const { lines } = ok(['classify', '--model', models.classify, '--top-k', 'all', '--column', 'text', '-q', file]);
    assert.equal(lines.length, texts.length);
    // Line numbers: where each record starts (the two-line record shifts the ones after it).
    let at = 2;
    lines.forEach((line, i) => {
      assert.equal(line.id, String(100 + i));
      assert.equal(line.line, at);
      at += texts[i].split('\n').length;
      assert.deepEqual(line.labels, expected[i]);
    });
    // Pairs from two columns, by 1-based number, without a header; TSV.
    const pairs = texts.slice(0, 10).map((t, i) => [t.replace(/\s+/g, ' '), `pair ${i}`]);
    const tsv = write('pairs.tsv', pairs.map(([a, b]) => `${a}\t${b}`).join('\n'));
    const { lines: pairLines } = ok(['classify', '-m', models.classify, '--no-header', '--field', '1', '--field-pair', '2', '-q', tsv]);
    const expectedPairs = plain(await classifier(pairs.map(([text, textPair]) => ({ text, textPair }))));
    assert.deepEqual(pairLines.map((l) => l.labels), expectedPairs);
    assert.ok(pairLines.every((l) => l.id === undefined));
    classifier.dispose();
  });

  it('ner: TSV with a header, --aggregation; lines input; results equal to the library', async () => {
    const texts = TEXTS.slice(0, 30).map((t) => t.replace(/[\t"]/g, ' '));
    const file = write('ner.tsv', 'key\ttext\n' + texts.map((t, i) => `k${i}\t${t}`).join('\n') + '\n');
    const ner = await pipeline('token-classification', models.ner);
    const expected = plain(await ner(texts, { aggregationStrategy: 'simple' }));
    const { lines } = ok(['ner', '--model', models.ner, '--aggregation', 'simple', '--id-field', 'key', '-q', file]);
    assert.deepEqual(lines.map((l) => l.entities), expected);
    assert.deepEqual(lines.map((l) => l.id), texts.map((_, i) => `k${i}`));
    const txt = write('ner.txt', texts.join('\n\n') + '\n'); // blank lines are not rows
    const { lines: fromLines } = ok(['ner', '-m', models.ner, '-q', txt]);
    assert.deepEqual(fromLines.map((l) => l.entities), plain(await ner(texts)));
    assert.deepEqual(fromLines.map((l) => l.line), texts.map((_, i) => 2 * i + 1));
    ner.dispose();
  });

  it('qa: question and context fields (--question-field/--context-field), --top-k', async () => {
    const rows = TEXTS.slice(0, 25).map((context, i) => ({ n: i, q: `What is in row ${i}?`, passage: `${context} ${TEXTS[i + 30]}` }));
    const file = write('qa.ndjson', rows.map((r) => JSON.stringify(r)).join('\n'));
    const qa = await pipeline('question-answering', models.qa);
    const expected = plain(await qa(rows.map((r) => ({ question: r.q, context: r.passage })), { topK: 2 }));
    const { lines } = ok(['qa', '--model', models.qa, '--question-field', 'q', '--context-field', 'passage', '--id-field', 'n', '--top-k', '2', '-q', file]);
    assert.deepEqual(lines.map((l) => l.answers), expected);
    assert.deepEqual(lines.map((l) => l.id), rows.map((r) => r.n));
    qa.dispose();
  });

  it('fill-mask: plain lines from stdin; rows without a mask token are error records', async () => {
    const unmasker = await pipeline('fill-mask', models.fillMask);
    const mask = unmasker.tokenizer.specialTokens.mask?.token;
    assert.equal(mask, '[MASK]', 'the fixture tokenizer has a mask token');
    const texts = TEXTS.slice(0, 20).map((t, i) => (i === 7 ? t : t.replace(/\b\w+\b/, mask)));
    const { lines } = ok(['fill-mask', '--model', models.fillMask, '--top-k', '3', '-q'], { input: texts.join('\n') });
    const good = texts.filter((_, i) => i !== 7);
    const expected = plain(await unmasker(good, { topK: 3 }));
    assert.equal(lines.length, texts.length);
    assert.deepEqual(lines[7], { line: 8, error: { code: 'ERR_ALBERT_INVALID_INPUT', message: `the row has no mask token ${mask}` } });
    assert.deepEqual(lines.filter((_, i) => i !== 7).map((l) => l.candidates), expected);
    // stdin that looks like JSONL is read as JSONL; "-" is stdin.
    const { lines: json } = ok(['fill-mask', '-m', models.fillMask, '-q', '-'], { input: `{"id":"x","text":"a ${mask} b"}\n` });
    assert.equal(json[0].id, 'x');
    assert.deepEqual(json[0].candidates, plain(await unmasker(`a ${mask} b`)));
    // --targets: the candidates among those tokens only.
    const tokens = (await unmasker(`a ${mask} b`, { topK: 4 }))[0].slice(1).map((c) => unmasker.tokenizer.idToToken(c.token));
    const { lines: targeted } = ok(['fill-mask', '-m', models.fillMask, '-q', '--targets', tokens.join(',')], { input: `a ${mask} b\n` });
    assert.deepEqual(targeted[0].candidates, plain(await unmasker(`a ${mask} b`, { targets: tokens })));
    assert.deepEqual(targeted[0].candidates[0].map((c) => unmasker.tokenizer.idToToken(c.token)), tokens);
    unmasker.dispose();
  });

  it('stdin that trickles in: the result of each row comes out before the next row is sent', { timeout: 30_000 }, async (t) => {
    const child = spawn(process.execPath, [BIN, 'tokenize', '-m', models.embed, '-q'], { stdio: ['pipe', 'pipe', 'inherit'] });
    t.after(() => child.kill('SIGKILL'));
    let out = '';
    const lineCount = () => out.split('\n').length - 1;
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    for (let i = 1; i <= 3; i++) {
      child.stdin.write(`row number ${i}\n`);
      for (let waited = 0; lineCount() < i; waited += 20) {
        assert.ok(waited < 10_000, `no result for row ${i}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    child.stdin.end();
    assert.equal(await exited, 0);
    assert.deepEqual(out.trim().split('\n').map((l) => JSON.parse(l).line), [1, 2, 3]);
  });

  it('tokenize: ids and tokens as Tokenizer.encode gives them; pairs, --max-length, --offsets, --no-special-tokens', async () => {
    const tokenizer = await Tokenizer.fromPretrained(models.embed);
    const texts = TEXTS.slice(0, 50);
    const file = write('tok.txt', texts.join('\n'));
    const { lines, stderr } = ok(['tokenize', '--model', models.embed, '--max-length', '16', file]);
    assert.match(stderr, /done: 50 rows/);
    lines.forEach((l, i) => {
      const e = tokenizer.encode(texts[i], { maxLength: 16 });
      assert.deepEqual(l, { line: i + 1, ids: e.ids, tokens: e.tokens });
    });
    const jsonl = write('tok.jsonl', texts.slice(0, 5).map((t, i) => JSON.stringify({ id: i, a: t, b: 'second' })).join('\n'));
    const { lines: pairs } = ok(['tokenize', '-m', models.embed, '--field', 'a', '--field-pair', 'b', '--offsets', '--no-special-tokens', '-q', jsonl]);
    pairs.forEach((l, i) => {
      const e = tokenizer.encode(texts[i], { textPair: 'second', returnOffsets: true, addSpecialTokens: false });
      assert.deepEqual(l, { line: i + 1, id: i, ids: e.ids, tokens: e.tokens, typeIds: e.typeIds, offsets: e.offsets });
    });
    tokenizer.dispose();
  });

  it('bad rows become error records and the run goes on; --strict stops at the first with exit code 2', () => {
    const content = [
      '{"id":1,"text":"fine"}',
      '{"id":2,"text":',
      '{"id":3}',
      '{"id":4,"text":"   "}',
      '{"id":5,"text":42}',
      '[1,2]',
      '"a JSON string is a text"',
      '',
      '{"id":8,"text":"also fine"}',
    ].join('\n');
    const file = write('bad.jsonl', content);
    const { lines } = ok(['embed', '-m', models.embed, '-q', file]);
    assert.deepEqual(lines.map((l) => [l.line, l.id, l.error?.code ?? 'ok']), [
      [1, 1, 'ok'],
      [2, undefined, 'ERR_ALBERT_ROW_INVALID_JSON'],
      [3, 3, 'ERR_ALBERT_ROW_MISSING_FIELD'],
      [4, 4, 'ERR_ALBERT_ROW_EMPTY_TEXT'],
      [5, 5, 'ERR_ALBERT_ROW_NOT_TEXT'],
      [6, undefined, 'ERR_ALBERT_ROW_MISSING_FIELD'],
      [7, undefined, 'ok'],
      [9, 8, 'ok'],
    ]);
    assert.ok(lines.every((l) => l.error === undefined || typeof l.error.message === 'string'));
    const strict = cli(['embed', '-m', models.embed, '--strict', '-q', file]);
    assert.equal(strict.status, 2);
    assert.equal(strict.lines.length, 1);
    assert.match(strict.stderr, /--strict: line 2: ERR_ALBERT_ROW_INVALID_JSON/);
    // CSV: an unterminated quote; a header without the column.
    const csv = write('bad.csv', 'id,text\n1,ok\n2,"never closed\n3,x\n');
    const r = ok(['classify', '-m', models.classify, '-q', csv]);
    assert.deepEqual(r.lines.map((l) => l.error?.code ?? 'ok'), ['ok', 'ERR_ALBERT_ROW_INVALID_CSV']);
    const noColumn = cli(['classify', '-m', models.classify, '--column', 'body', '-q', csv]);
    assert.equal(noColumn.status, 2);
    assert.match(noColumn.stderr, /no column "body"/);
    // --truncation none: a row longer than --max-length is an error record.
    const long = write('long.txt', `short one\n${'word '.repeat(100)}\n`);
    const t = ok(['classify', '-m', models.classify, '--max-length', '20', '--truncation', 'none', '-q', long]);
    assert.equal(t.lines[0].error, undefined);
    assert.equal(t.lines[1].error.code, 'ERR_ALBERT_SEQUENCE_TOO_LONG');
  });

  it('--model takes a TensorFlow checkpoint folder and a .tar.gz release (unpacked into --cache-dir)', () => {
    const input = write('tf.txt', TEXTS.slice(0, 5).join('\n'));
    const folder = fixture('tf', 'google-tiny');
    const cache = join(dir, 'cache');
    const fromFolder = ok(['embed', '-m', folder, '-q', input]).stdout;
    const fromArchive = ok(['embed', '-m', join(folder, 'google-tiny.tar.gz'), '--cache-dir', cache, '-q', input]).stdout;
    assert.equal(fromArchive, fromFolder);
    assert.ok(statSync(join(cache, 'archives')).isDirectory());
    assert.equal(ok(['tokenize', '-m', join(folder, 'google-tiny.tar.gz'), '--cache-dir', cache, '-q', input]).lines.length, 5);
  });

  it('several files in order, each row with its file; usage errors exit 1, unreadable input or model 2', () => {
    const a = write('a.txt', 'one\ntwo\n');
    const b = write('b.jsonl', '{"text":"three","id":"t"}\n');
    const { lines } = ok(['tokenize', '-m', models.embed, '-q', a, b]);
    assert.deepEqual(lines.map((l) => [l.file, l.line, l.id]), [[a, 1, undefined], [a, 2, undefined], [b, 1, 't']]);
    for (const args of [
      ['embed', a],
      ['embed', '-m', models.embed, '--bogus', a],
      ['embed', '-m', models.embed, '--pooling', 'max', a],
      ['classify', '-m', models.classify, '--top-k', '0', a],
      ['frobnicate'],
      ['embed', '-m', models.embed, '--resume', a],
      ['qa', '-m', models.qa, a],
    ]) {
      const r = cli(args);
      assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.ok(r.stderr.length > 0);
    }
    assert.equal(cli(['embed', '-m', models.embed, join(dir, 'missing.txt')]).status, 2);
    const badModel = cli(['embed', '-m', join(dir, 'no-such-model'), a]);
    assert.equal(badModel.status, 2);
    assert.match(badModel.stderr, /cannot load the model/);
  });

  it('progress: periodic lines and a summary on a non-terminal stderr; nothing with --quiet', () => {
    const file = write('progress.txt', Array.from({ length: 3000 }, (_, i) => TEXTS[i % TEXTS.length]).join('\n'));
    const r = ok(['embed', '-m', models.embed, '--progress-interval', '0.05', '--batch-rows', '200', file]);
    assert.match(r.stderr, /\d+\/3000 rows \(\d+%\), [\d.k]+ rows\/s, [\d.k]+ tokens\/s/);
    assert.match(r.stderr, /done: 3000 rows/);
    const quiet = ok(['embed', '-m', models.embed, '-q', file]);
    assert.equal(quiet.stderr, '');
    assert.equal(quiet.lines.length, 3000);
  });

  it('SIGTERM mid-run leaves complete lines (exit 143); --resume completes them to the uninterrupted output', { timeout: 60_000 }, async () => {
    const n = 12000;
    const rows = Array.from({ length: n }, (_, i) => JSON.stringify({ id: i, text: `${TEXTS[i % TEXTS.length]} ${i}` }));
    rows[500] = '{"id":500,"text":""}'; // an error record in the middle
    const input = write('big.jsonl', rows.join('\n') + '\n');
    const full = join(dir, 'full.jsonl');
    const args = ['embed', '-m', models.embed, '--batch-rows', '300', '-q', input, '--out'];
    ok([...args, full]);
    const expected = readFileSync(full, 'utf8');
    assert.equal(expected.split('\n').length - 1, n);

    const partial = join(dir, 'partial.jsonl');
    for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]]) {
      const child = spawn(process.execPath, [BIN, ...args, partial, ...(signal === 'SIGINT' ? ['--resume'] : [])], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise((resolve) => child.on('exit', (status) => resolve(status)));
      const before = signal === 'SIGINT' ? statSync(partial).size : 0;
      // Wait for some output, then interrupt.
      for (let waited = 0; ; waited += 10) {
        let size = 0;
        try {
          size = statSync(partial).size;
        } catch {}
        if (size > before + 20_000) break;
        assert.ok(waited < 30_000, 'no output appeared');
        await new Promise((r) => setTimeout(r, 10));
      }
      child.kill(signal);
      assert.equal(await exited, code, stderr);
      const text = readFileSync(partial, 'utf8');
      assert.ok(text.endsWith('\n'), 'the file ends with a complete line');
      const lines = text.trimEnd().split('\n');
      lines.forEach((l) => JSON.parse(l));
      assert.ok(lines.length < n, `interrupted after ${lines.length} lines`);
      assert.equal(text, expected.slice(0, text.length), 'the lines so far are the uninterrupted output\'s');
    }
    // A write cut short: a partial last line, which --resume drops.
    appendFileSync(partial, '{"line":99999,"embedd');
    const resumed = ok([...args, partial, '--resume']);
    assert.equal(resumed.stdout, '');
    assert.equal(readFileSync(partial, 'utf8'), expected);
    // Resuming a complete file adds nothing; resuming onto a longer file than the input is an error.
    ok([...args, partial, '--resume']);
    assert.equal(readFileSync(partial, 'utf8'), expected);
    const short = write('short.jsonl', rows.slice(0, 10).join('\n'));
    const mismatch = cli(['embed', '-m', models.embed, '-q', short, '--out', partial, '--resume']);
    assert.equal(mismatch.status, 2);
    assert.match(mismatch.stderr, /--resume/);
  });

  it('--help: the commands, and each command\'s every option with its default', () => {
    const main = ok(['--help']).stdout;
    for (const c of ['embed', 'classify', 'fill-mask', 'ner', 'qa', 'tokenize']) assert.match(main, new RegExp(`\\n  ${c} `));
    assert.match(main, /Exit codes/);
    assert.match(ok(['--version']).stdout, /^\d+\.\d+\.\d+/);
    const common = ['--model', '--cache-dir', '--revision', '--offline', '--format', '--id-field', '--no-header', '--out', '--resume', '--batch-rows', '--strict', '--quiet', '--progress-interval', '--help'];
    const model = ['--threads', '--batch-tokens', '--max-length'];
    const text = ['--field', '--column'];
    const expected = {
      embed: [...common, ...model, ...text, '--field-pair', '--truncation', '--pooling', '--normalize'],
      classify: [...common, ...model, ...text, '--field-pair', '--truncation', '--top-k', '--function'],
      'fill-mask': [...common, ...model, ...text, '--truncation', '--top-k', '--targets'],
      ner: [...common, ...model, ...text, '--truncation', '--aggregation', '--ignore-labels'],
      qa: [...common, ...model, '--question-field', '--context-field', '--top-k', '--doc-stride', '--max-answer-len', '--max-question-len', '--handle-impossible'],
      tokenize: [...common, ...text, '--field-pair', '--max-length', '--truncation', '--no-special-tokens', '--offsets'],
    };
    for (const [command, options] of Object.entries(expected)) {
      const help = ok([command, '--help']).stdout;
      assert.equal(ok(['help', command]).stdout, help);
      for (const option of options) assert.match(help, new RegExp(`${option}\\b`), `${command} --help mentions ${option}`);
      const flags = help.match(/^  (?:-\w, |    )--[\w-]+/gm).map((f) => f.trim().replace(/^-\w, /, ''));
      assert.deepEqual([...flags].sort(), [...options].sort(), `${command} --help lists exactly its options`);
      // Every option line states its default.
      for (const line of help.split('\n').filter((l) => /^  (-\w, |    )--/.test(l))) {
        const block = help.slice(help.indexOf(line)).split(/\n\s{0,3}(?=\S|-)/)[0];
        if (!/--(help)\b/.test(line)) assert.match(block.replace(/\n\s+/g, ' '), /\(default: [^)]+\)/, `${command}: ${line.trim()}`);
      }
      // The defaults it states are the ones it uses.
      if (command === 'embed') assert.match(help, /--pooling MODE.*\(default: mean\)/s);
      if (command === 'fill-mask') assert.match(help, /--top-k N\s+candidates per mask token \(default: 5\)/);
    }
  });
});

describe('CLI with a model from the Hub', () => {
  it('downloads the model (progress on stderr, none with --quiet), then runs from the cache', async () => {
    const { startFakeHub, folderFiles } = await import('./helpers/fake-hub.mjs');
    const { tempDir: makeTemp } = await import('./helpers/temp-model.mjs');
    const repo = 'albert-node-test/albert-tiny';
    const hub = await startFakeHub({ [repo]: { revisions: { main: folderFiles(fixture('models', 'albert-tiny')) } } });
    const cache = makeTemp();
    // spawn, not spawnSync: the fake Hub answers from this process's event loop.
    const runAsync = (args) =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, HF_ENDPOINT: hub.endpoint, ALBERT_NODE_CACHE: cache } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('close', (status) => resolve({ status, stdout, stderr }));
        child.stdin.end('hello world\nsecond line\n');
      });
    try {
      const first = await runAsync(['tokenize', '--model', repo, '--format', 'lines']);
      assert.equal(first.status, 0, first.stderr);
      assert.match(first.stderr, /downloading config\.json/);
      assert.equal(first.stdout.trim().split('\n').length, 2);
      const embed = await runAsync(['embed', '--model', repo, '--format', 'lines', '--quiet']);
      assert.equal(embed.status, 0, embed.stderr);
      assert.equal(embed.stderr, '', '--quiet prints nothing, downloads included');
      assert.equal(embed.stdout.trim().split('\n').length, 2);
      await hub.close();
      const offline = await runAsync(['embed', '--model', repo, '--format', 'lines', '--offline', '--quiet']);
      assert.equal(offline.status, 0, offline.stderr);
      assert.equal(offline.stdout, embed.stdout, 'the cached model gives the same output');
    } finally {
      await hub.close();
    }
  });
});
