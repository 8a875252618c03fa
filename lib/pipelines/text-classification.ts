/**
 * text-classification: labels with scores for texts or text pairs, scored as Hugging Face's pipeline does:
 * softmax for single-label models, sigmoid for multi-label ones (and single-output models), raw logits
 * for regression.
 */
import { albertError, ErrorCodes } from '../errors';
import { AlbertForSequenceClassification } from '../heads';
import {
  asList,
  batching,
  callable,
  checkTopK,
  isTextInput,
  loadTokenizer,
  modelOptions,
  sigmoid,
  toSequence,
  softmax,
  topIndices,
  type PipelineBase,
  type PipelineLoadOptions,
  type PipelineRunOptions,
  type TextInput,
} from './common';

/** How logits become scores; `auto` follows config.json's problem_type and num_labels. */
export type ScoreFunction = 'auto' | 'softmax' | 'sigmoid' | 'none';

export interface TextClassificationOptions extends PipelineRunOptions {
  /** Labels per input, best first (default 1); `null` returns every label. */
  topK?: number | null;
  /** Default `auto`. */
  functionToApply?: ScoreFunction;
  /** Longer inputs are truncated to this many tokens (default: max_position_embeddings). */
  maxLength?: number;
}

export interface ClassificationLabel {
  label: string;
  score: number;
}

export interface TextClassificationPipeline extends PipelineBase<AlbertForSequenceClassification> {
  /** One input: its labels, best first. */
  (input: TextInput, options?: TextClassificationOptions): Promise<ClassificationLabel[]>;
  /** Several inputs: one label list per input, in input order. */
  (inputs: readonly TextInput[], options?: TextClassificationOptions): Promise<ClassificationLabel[][]>;
}

const FUNCTIONS: readonly string[] = ['auto', 'softmax', 'sigmoid', 'none'];

export async function textClassification(folder: string, options: PipelineLoadOptions = {}): Promise<TextClassificationPipeline> {
  const model = await AlbertForSequenceClassification.fromPretrained(folder, modelOptions(options));
  const { tokenizer, owned } = await loadTokenizer(folder, options);
  const labels = model.id2label;
  const numLabels = model.info.numLabels;
  const run = async (input: TextInput | readonly TextInput[], runOptions: TextClassificationOptions = {}) => {
    const { items, single } = asList(input, isTextInput, 'a text or { text, textPair }');
    const { functionToApply = 'auto', maxLength } = runOptions;
    if (!FUNCTIONS.includes(functionToApply)) {
      throw albertError(ErrorCodes.INVALID_INPUT, `functionToApply must be one of ${FUNCTIONS.join(', ')} (got ${String(functionToApply)})`);
    }
    const topK = checkTopK(runOptions.topK, 1, numLabels);
    const score = scoreFunction(functionToApply, model.config.problem_type, numLabels);
    const outputs = await model.forwardMany(items.map(toSequence), {
      ...batching(runOptions),
      tokenizer,
      maxLength,
      outputs: { lastHiddenState: false, poolerOutput: false },
    });
    const results = outputs.map((o) => {
      const scores = score(o.logits!.data);
      return topIndices(scores, topK).map((i) => ({ label: labels[i] ?? `LABEL_${i}`, score: scores[i] }));
    });
    return single ? results[0] : results;
  };
  return callable('text-classification', model, tokenizer, owned, run) as unknown as TextClassificationPipeline;
}

function scoreFunction(requested: string, problemType: unknown, numLabels: number): (logits: Float32Array) => Float64Array {
  let kind = requested;
  if (kind === 'auto') {
    // transformers' order: regression first, then multi-label or a single output, else softmax.
    if (problemType === 'regression') kind = 'none';
    else if (problemType === 'multi_label_classification' || numLabels === 1) kind = 'sigmoid';
    else kind = 'softmax';
  }
  if (kind === 'softmax') return softmax;
  if (kind === 'sigmoid') return sigmoid;
  return (logits) => Float64Array.from(logits);
}
