// Checks a tokenizer against a slow-tokenizer golden file (transformers' AlbertTokenizer / BertTokenizer).
import { firstDifference } from './goldens.mjs';

/** Returns the failures (empty when every line matches exactly). */
export function checkSlowGoldens(tokenizer, rows) {
  const failures = [];
  for (const row of rows) {
    const options = {};
    if (row.text_pair !== undefined) options.textPair = row.text_pair;
    if (row.max_length !== null) {
      options.maxLength = row.max_length;
      options.truncation = row.truncation;
    }
    const enc = tokenizer.encode(row.text, options);
    let diff = firstDifference(enc.ids, row.ids) || firstDifference(enc.typeIds, row.token_type_ids);
    if (!diff && row.tokens) diff = firstDifference(tokenizer.tokenize(row.text), row.tokens);
    if (!diff && row.tokens_pair) diff = firstDifference(tokenizer.tokenize(row.text_pair), row.tokens_pair);
    if (diff) failures.push(`line ${row.i} (${row.kind}, max_length ${row.max_length}) ${JSON.stringify(row.text.slice(0, 50))}: ${diff}`);
  }
  return failures;
}
