// CLI throughput: the albert-node command over a synthetic JSONL corpus built from the fixture texts (botchan and
// news_zh sentences, 5 to 128 tokens), with base-random: rows/s, tokens/s and the command's peak RSS.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '../dist/index.js';
import { baseRandom, parseArgs, repoRoot } from './common.mjs';
import { mixedCorpus } from './corpus.mjs';

const HELP = `usage: node bench/cli.mjs [options]
  --rows N        rows of the corpus for the model commands (default 2000)
  --token-rows N  rows for the tokenize command (default 100000)
  --threads N     --threads of the model commands (default 2)
  --commands LIST comma-separated: tokenize,embed (default tokenize,embed)`;
const args = parseArgs({ rows: 2000, tokenRows: 100000, threads: 2, commands: 'tokenize,embed' }, HELP);

const tokenizer = await Tokenizer.fromPretrained(baseRandom);
const dir = mkdtempSync(join(tmpdir(), 'albert-node-bench-cli-'));

function writeCorpus(rows) {
  const texts = mixedCorpus(tokenizer, rows);
  const file = join(dir, `corpus-${rows}.jsonl`);
  writeFileSync(file, texts.map((text, i) => JSON.stringify({ id: i, text })).join('\n') + '\n');
  const tokens = texts.reduce((n, t) => n + tokenizer.encode(t).ids.length, 0);
  return { file, tokens };
}

function runCli(command, file, extra) {
  const rssFile = join(dir, `rss-${command}`);
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'albert-node.js'), command, '--model', baseRandom, '--quiet', '--out', join(dir, `${command}.jsonl`), ...extra, file], {
      env: { ...process.env, NODE_OPTIONS: `--require ${join(repoRoot, 'bench', 'peak-rss.cjs')}`, ALBERT_NODE_PEAK_RSS_FILE: rssFile },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${command} exited with ${code}`));
      resolve({ seconds: Number(process.hrtime.bigint() - started) / 1e9, peakMiB: Number(readFileSync(rssFile, 'utf8')) / 1024 });
    });
  });
}

const rowsFor = { tokenize: args.tokenRows, embed: args.rows };
const results = [];
for (const command of args.commands.split(',')) {
  const rows = rowsFor[command];
  const { file, tokens } = writeCorpus(rows);
  const extra = command === 'tokenize' ? [] : ['--threads', String(args.threads)];
  const { seconds, peakMiB } = await runCli(command, file, extra);
  results.push({ command, rows, tokens, seconds, peakMiB });
  console.error(`${command}: ${rows} rows in ${seconds.toFixed(1)} s`);
}
console.log('| command | rows | tokens | seconds | rows/s | tokens/s | peak RSS MiB |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of results) {
  console.log(`| ${r.command} | ${r.rows} | ${r.tokens} | ${r.seconds.toFixed(1)} | ${(r.rows / r.seconds).toFixed(0)} | ${(r.tokens / r.seconds).toFixed(0)} | ${r.peakMiB.toFixed(0)} |`);
}
tokenizer.dispose();
rmSync(dir, { recursive: true, force: true });
