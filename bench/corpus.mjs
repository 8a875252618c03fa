// The mixed-length benchmark corpus: real sentences from the fixtures (botchan and news_zh lines of the
// tokenizer goldens), single lines and consecutive pairs, kept when they tokenize to 5..128 tokens.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fixturesRoot } from './common.mjs';

export function fixtureSentences() {
  const file = resolve(fixturesRoot, 'tokenizers', 'goldens', 'albertvi-30k.albert-tokenizer.jsonl');
  const seen = new Set();
  const lines = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const row = JSON.parse(line);
    if (row.kind !== 'single' || (row.source !== 'botchan' && row.source !== 'news_zh')) continue;
    const text = row.text.trim();
    if (text && !seen.has(text)) {
      seen.add(text);
      lines.push(text);
    }
  }
  return lines;
}

/**
 * `count` sentences whose token counts (with [CLS] and [SEP]) lie in [minTokens, maxTokens], deterministic:
 * single lines first, then pairs of consecutive lines, cycling when more are needed.
 */
export function mixedCorpus(tokenizer, count, minTokens = 5, maxTokens = 128) {
  const lines = fixtureSentences();
  const candidates = [...lines];
  for (let i = 0; i + 1 < lines.length; i++) candidates.push(`${lines[i]} ${lines[i + 1]}`);
  const pool = candidates.filter((text) => {
    const n = tokenizer.encode(text).ids.length;
    return n >= minTokens && n <= maxTokens;
  });
  return Array.from({ length: count }, (_, i) => pool[i % pool.length]);
}
