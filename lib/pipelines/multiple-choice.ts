/**
 * multiple-choice: a question (or context) and its candidate answers -> the best choice and a softmax
 * score per choice, from AlbertForMultipleChoice's one logit per [CLS] question [SEP] choice [SEP] row.
 */
import { albertError, ErrorCodes } from '../errors';
import { AlbertForMultipleChoice } from '../heads';
import {
  asList,
  batching,
  callable,
  loadTokenizer,
  modelOptions,
  softmax,
  type PipelineBase,
  type PipelineLoadOptions,
  type PipelineRunOptions,
} from './common';

export interface MultipleChoiceInput {
  question: string;
  choices: readonly string[];
}

export interface MultipleChoiceOptions extends PipelineRunOptions {
  /** Longer question + choice rows are truncated to this many tokens (default: max_position_embeddings). */
  maxLength?: number;
}

export interface MultipleChoiceResult {
  /** Index of the best choice. */
  best: number;
  /** The best choice's text. */
  choice: string;
  /** Softmax over the choices, in choice order. */
  scores: number[];
}

export interface MultipleChoicePipeline extends PipelineBase<AlbertForMultipleChoice> {
  (input: MultipleChoiceInput, options?: MultipleChoiceOptions): Promise<MultipleChoiceResult>;
  (inputs: readonly MultipleChoiceInput[], options?: MultipleChoiceOptions): Promise<MultipleChoiceResult[]>;
}

function isChoiceInput(value: unknown): value is MultipleChoiceInput {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const v = value as Partial<MultipleChoiceInput>;
  return typeof v.question === 'string' && Array.isArray(v.choices) && v.choices.every((c) => typeof c === 'string');
}

export async function multipleChoice(folder: string, options: PipelineLoadOptions = {}): Promise<MultipleChoicePipeline> {
  const model = await AlbertForMultipleChoice.fromPretrained(folder, modelOptions(options));
  const { tokenizer, owned } = await loadTokenizer(folder, options);
  const run = async (input: MultipleChoiceInput | readonly MultipleChoiceInput[], runOptions: MultipleChoiceOptions = {}) => {
    const { items, single } = asList(input, isChoiceInput, 'a { question, choices } object');
    items.forEach((item, i) => {
      if (item.choices.length === 0) throw albertError(ErrorCodes.INVALID_INPUT, `inputs[${i}].choices is empty`);
    });
    const rows = items.flatMap((item) => item.choices.map((choice) => [item.question, choice] as const));
    const { maxLength } = runOptions;
    const outputs = await model.forwardMany(rows, {
      ...batching(runOptions),
      tokenizer,
      maxLength,
      outputs: { lastHiddenState: false, poolerOutput: false },
    });
    let row = 0;
    const results = items.map((item) => {
      const logits = item.choices.map(() => outputs[row++].logits!.data[0]);
      const scores = Array.from(softmax(logits));
      const best = scores.indexOf(Math.max(...scores));
      return { best, choice: item.choices[best], scores };
    });
    return single ? results[0] : results;
  };
  return callable('multiple-choice', model, tokenizer, owned, run) as unknown as MultipleChoicePipeline;
}
