// Type-level test: compiled with `tsc --noEmit` against dist/stream.d.ts by test/70.stream.test.mjs.
// Each line either type-checks (valid use) or carries @ts-expect-error (misuse the types must reject).
import { pipeline, Tensor, Tokenizer, type Encoding } from '../../dist/index.js';
import { isStreamRowError, streamPipeline, streamTokenize, type StreamProgress, type StreamRowError } from '../../dist/stream.js';

async function main(mode: 'throw' | 'yield'): Promise<void> {
  const extractor = await pipeline('feature-extraction', 'folder');
  for await (const embedding of streamPipeline(extractor, ['a', { text: 'b', textPair: 'c' }], { pooling: 'mean', batchRows: 100 })) {
    const t: Tensor<'float32'> = embedding;
  }
  for await (const row of streamPipeline(extractor, ['a'], { pooling: 'cls', onRowError: 'yield' })) {
    if (isStreamRowError(row)) {
      const e: StreamRowError = row;
      const code: string = e.error.code;
    } else {
      const t: Tensor<'float32'> = row;
    }
    // @ts-expect-error: with onRowError 'yield', a row may be an error
    const t: Tensor<'float32'> = row;
  }
  const classifier = await pipeline('text-classification', 'folder');
  for await (const labels of streamPipeline(classifier, [{ text: 'a', textPair: 'b' }], { topK: null, signal: AbortSignal.timeout(1000) })) {
    const label: string = labels[0].label;
  }
  // Rows of another shape need toInput.
  for await (const labels of streamPipeline(classifier, [{ body: 'x', n: 1 }], { toInput: (row) => row.body })) {
    const score: number = labels[0].score;
  }
  // @ts-expect-error: rows that are not inputs, without toInput
  streamPipeline(classifier, [{ body: 'x' }]);
  // @ts-expect-error: an option of another pipeline
  streamPipeline(classifier, ['a'], { pooling: 'mean' });
  const qa = await pipeline('question-answering', 'folder');
  for await (const answers of streamPipeline(qa, [{ question: 'q', context: 'c' }], { docStride: 32, onProgress: (p: StreamProgress) => p.rows })) {
    const answer: string = answers[0].answer;
  }
  // @ts-expect-error: question-answering takes { question, context }
  streamPipeline(qa, ['a text']);
  const ner = await pipeline('token-classification', 'folder');
  for await (const entities of streamPipeline(ner, ['a'], { aggregationStrategy: 'simple' })) entities.map((e) => e.word);
  const unmasker = await pipeline('fill-mask', 'folder');
  for await (const masks of streamPipeline(unmasker, ['a [MASK]'], { topK: 2 })) masks[0][0].tokenStr;

  const tokenizer = await Tokenizer.fromPretrained('folder');
  for await (const e of streamTokenize(tokenizer, ['a', ['b', 'c'] as const, { text: 'd', textPair: 'e' }], { maxLength: 8 })) {
    const encoding: Encoding = e;
  }
  for await (const ids of streamTokenize(tokenizer, ['a'], { output: 'ids' })) {
    const list: number[] = ids;
  }
  for await (const e of streamTokenize(tokenizer, ['a'], { onRowError: mode })) {
    // @ts-expect-error: a mode not known to be 'throw' may yield row errors
    const encoding: Encoding = e;
  }
  // @ts-expect-error: output is 'encoding' or 'ids'
  streamTokenize(tokenizer, ['a'], { output: 'tokens' });
}
void main;
