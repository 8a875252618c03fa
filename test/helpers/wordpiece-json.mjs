// A tokenizer.json for a WordPiece vocab.txt, written as transformers' BertTokenizerFast conversion
// (convert_slow_tokenizer.BertConverter) writes it: BertNormalizer, BertPreTokenizer, WordPiece, a
// [CLS] A [SEP] (B [SEP]) template and the WordPiece decoder.
import { readFileSync } from 'node:fs';

export function wordPieceTokenizerJson(vocabPath, { lowercase = true, chinese = true } = {}) {
  const lines = readFileSync(vocabPath, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const vocab = Object.fromEntries(lines.map((token, id) => [token, id]));
  const special = (t) => ({ id: vocab[t], content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const cls = { SpecialToken: { id: '[CLS]', type_id: 0 } };
  const sep = (type) => ({ SpecialToken: { id: '[SEP]', type_id: type } });
  const seq = (id, type) => ({ Sequence: { id, type_id: type } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map(special),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: chinese, strip_accents: null, lowercase },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [cls, seq('A', 0), sep(0)],
      pair: [cls, seq('A', 0), sep(0), seq('B', 1), sep(1)],
      special_tokens: Object.fromEntries(['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [vocab[t]], tokens: [t] }])),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}
