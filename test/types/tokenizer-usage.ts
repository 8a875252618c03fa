// Type-level test of the Tokenizer API: compiled with `tsc --noEmit` against dist/index.d.ts by
// test/46.tokenizer.types.test.mjs. Each line type-checks, or carries @ts-expect-error for a misuse.
import {
  AlbertModel,
  Tokenizer,
  type BatchEncoding,
  type Encoding,
  type SpecialToken,
  type TokenizerKind,
  type TruncationStrategy,
} from '../../dist/index.js';

async function main(): Promise<void> {
  const tokenizer = await Tokenizer.fromPretrained('folder');
  await Tokenizer.fromPretrained('folder', { source: 'tokenizer.json' });
  // @ts-expect-error: sources are a closed set
  await Tokenizer.fromPretrained('folder', { source: 'merges.txt' });
  await Tokenizer.fromFile('spiece.model', { rawSentencePiece: true });

  const kind: TokenizerKind = tokenizer.kind;
  const size: number = tokenizer.vocabSize;
  const max: number | undefined = tokenizer.modelMaxLength;
  const cls: SpecialToken | undefined = tokenizer.specialTokens.cls;
  const pad: number | undefined = tokenizer.padTokenId;
  const ids: number[] = tokenizer.allSpecialIds;

  const tokens: string[] = tokenizer.tokenize('text');
  const enc: Encoding = tokenizer.encode('text', { textPair: 'pair', maxLength: 16, truncation: 'only_second', returnOffsets: true });
  const first: [number, number] | undefined = enc.offsets?.[0];
  const typeIds: number[] = enc.typeIds;
  tokenizer.encode('text', { truncation: true });
  // @ts-expect-error: truncation strategies are a closed set
  tokenizer.encode('text', { truncation: 'only_third' });
  // @ts-expect-error: the text must be a string
  tokenizer.encode(42);
  const strategy: TruncationStrategy = 'longest_first';

  const batch: BatchEncoding = await tokenizer.encodeBatch(['a', 'b'], { padding: 'max_length', maxLength: 32, truncation: strategy });
  await tokenizer.encodeBatch([['question', 'answer']], { padding: 'longest', threads: 2 });
  const sync: BatchEncoding = tokenizer.encodeBatchSync(['a'], { padding: false });
  // @ts-expect-error: padding strategies are a closed set
  tokenizer.encodeBatchSync(['a'], { padding: 'left' });
  // @ts-expect-error: pairs are tuples of two strings
  await tokenizer.encodeBatch([['a', 'b', 'c']]);
  const lengths: Int32Array = sync.lengths;

  const model = await AlbertModel.fromPretrained('folder');
  await model.forward(batch);

  const text: string = tokenizer.decode(enc.ids, { skipSpecialTokens: true });
  tokenizer.decode(new Int32Array([2, 3]));
  const token: string | undefined = tokenizer.idToToken(3);
  const id: number | undefined = tokenizer.tokenToId('[CLS]');
  tokenizer.dispose();
  void [kind, size, max, cls, pad, ids, tokens, first, typeIds, lengths, text, token, id];
}

void main;
