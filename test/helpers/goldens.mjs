// Reading the tokenizer goldens (one JSON object per line).
import { readFileSync } from 'node:fs';
import { fixture } from './fixtures.mjs';

export function readJsonl(path) {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line));
}

export const tokenizerGolden = (name) => readJsonl(fixture('tokenizers', 'goldens', name));

/** Compares arrays exactly; returns a short description of the first difference, or '' when equal. */
export function firstDifference(actual, expected) {
  const n = Math.max(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (actual[i] !== expected[i]) {
      return `at [${i}]: got ${JSON.stringify(actual[i])}, expected ${JSON.stringify(expected[i])} (lengths ${actual.length} vs ${expected.length})`;
    }
  }
  return '';
}
