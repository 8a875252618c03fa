// Typings of the task heads and pipelines: valid use compiles, misuse is rejected.
import {
  AlbertForMaskedLM,
  AlbertForMultipleChoice,
  AlbertForQuestionAnswering,
  AlbertModel,
  pipeline,
  type Answer,
  type ClassificationLabel,
  type FillMaskCandidate,
  type MultipleChoiceResult,
  type Tensor,
  type TokenEntity,
} from '../../dist/index.js';

async function main(folder: string): Promise<void> {
  const mlm = await AlbertForMaskedLM.fromPretrained(folder, { threads: 2 });
  const out = await mlm.forward({ inputIds: [[2, 10, 3]] }, { predictionPositions: [[0, 1]] });
  const logits: Tensor<'float32'> = out.predictionLogits; // always present on the MLM class
  // @ts-expect-error: the head classes choose their own task
  await AlbertForMaskedLM.fromPretrained(folder, { task: 'base' });
  const base = await AlbertModel.fromPretrained(folder, { task: 'question-answering' });
  const maybe: Tensor<'float32'> | undefined = (await base.forward({ inputIds: [[2, 3]] })).startLogits;
  const qaModel = await AlbertForQuestionAnswering.fromPretrained(folder);
  const { startLogits, endLogits } = await qaModel.forward({ inputIds: [[2, 3]] });
  const mc = await AlbertForMultipleChoice.fromPretrained(folder);
  const choices: Tensor<'float32'> = (await mc.forward({ inputIds: [[[2, 3], [2, 4]]] })).logits;

  const extractor = await pipeline('feature-extraction', folder);
  const pooled: Tensor<'float32'> = await extractor(['a', 'b'], { pooling: 'mean', normalize: true });
  const perToken: Tensor<'float32'>[] = await extractor('a');
  const unmasker = await pipeline('fill-mask', folder);
  const one: FillMaskCandidate[][] = await unmasker('a [MASK]');
  const many: FillMaskCandidate[][][] = await unmasker(['a [MASK]'], { topK: 2 });
  const classifier = await pipeline('text-classification', folder, { dtype: 'float16' });
  const labels: ClassificationLabel[] = await classifier({ text: 'a', textPair: 'b' }, { topK: null });
  const ner = await pipeline('token-classification', folder);
  const entities: TokenEntity[] = await ner('John', { aggregationStrategy: 'first' });
  // @ts-expect-error: not an aggregation strategy
  await ner('John', { aggregationStrategy: 'longest' });
  const qa = await pipeline('question-answering', folder);
  const answers: Answer[][] = await qa([{ question: 'q', context: 'c' }], { docStride: 32, signal: new AbortController().signal });
  const chooser = await pipeline('multiple-choice', folder);
  const choice: MultipleChoiceResult = await chooser({ question: 'q', choices: ['a', 'b'] });
  // @ts-expect-error: not a pipeline task
  await pipeline('summarization', folder);
  extractor.dispose();
  void [logits, maybe, startLogits, endLogits, choices, pooled, perToken, one, many, labels, entities, answers, choice];
}

void main;
