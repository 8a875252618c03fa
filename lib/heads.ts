/**
 * One class per transformers ALBERT head class. Each loads its head whatever config.json says (a bare
 * encoder folder then fails with a coded error naming the missing tensor) and types its outputs.
 */
import { Tensor } from './tensor';
import { albertError, ErrorCodes } from './errors';
import { describe, type IndexInput } from './inputs';
import { AlbertModel, type AlbertOutput, type ForwardInputs, type ForwardOptions, type FromPretrainedOptions } from './model';

/** fromPretrained options of the head classes: the task is the class's own. */
export type HeadLoadOptions = Omit<FromPretrainedOptions, 'task'>;

export interface PreTrainingOutput extends AlbertOutput {
  /** [batch, seqLen, vocab_size], or [pairs, vocab_size] with `predictionPositions`. */
  predictionLogits: Tensor<'float32'>;
  /** [batch, 2]: sentence-order prediction (0: in order, 1: swapped). */
  sopLogits: Tensor<'float32'>;
}

export interface MaskedLMOutput extends AlbertOutput {
  /** [batch, seqLen, vocab_size], or [pairs, vocab_size] with `predictionPositions`. */
  predictionLogits: Tensor<'float32'>;
}

export interface SequenceClassifierOutput extends AlbertOutput {
  /** [batch, num_labels]. */
  logits: Tensor<'float32'>;
}

export interface TokenClassifierOutput extends AlbertOutput {
  /** [batch, seqLen, num_labels]; masked positions hold zeros. */
  logits: Tensor<'float32'>;
}

export interface QuestionAnsweringOutput extends AlbertOutput {
  /** [batch, seqLen]; masked positions hold zeros. */
  startLogits: Tensor<'float32'>;
  /** [batch, seqLen]; masked positions hold zeros. */
  endLogits: Tensor<'float32'>;
}

export interface MultipleChoiceOutput extends AlbertOutput {
  /** [batch, choices]. The encoder outputs are over the flattened [batch * choices, seqLen] rows. */
  logits: Tensor<'float32'>;
}

/** A [batch, choices, seqLen] integer input: a Tensor or `{ data, dims }` with 3 dims, or number[][][]. */
export type ChoiceIndexInput = IndexInput | readonly (readonly (readonly number[])[])[];

export interface MultipleChoiceInputs {
  inputIds: ChoiceIndexInput;
  attentionMask?: ChoiceIndexInput;
  tokenTypeIds?: ChoiceIndexInput;
  positionIds?: ChoiceIndexInput;
}

/** The options without a `task` (the class decides it). */
function ownTask(options: HeadLoadOptions): FromPretrainedOptions {
  if (options === null || typeof options !== 'object') {
    throw albertError(ErrorCodes.INVALID_INPUT, `options must be an object (got ${describe(options)})`, true);
  }
  const { threads, kernel, dtype, cacheDir, revision, localFilesOnly, token, onProgress } = options;
  return { threads, kernel, dtype, cacheDir, revision, localFilesOnly, token, onProgress };
}

/** transformers' AlbertForPreTraining: MLM logits and sentence-order logits. */
export class AlbertForPreTraining extends AlbertModel {
  static override async fromPretrained(folder: string, options: HeadLoadOptions = {}): Promise<AlbertForPreTraining> {
    const { native, resolved } = await AlbertModel.loadNative(folder, ownTask(options), 'pretraining');
    return new AlbertForPreTraining(native, resolved);
  }
  override forward(inputs: ForwardInputs, options?: ForwardOptions): Promise<PreTrainingOutput> {
    return super.forward(inputs, options) as Promise<PreTrainingOutput>;
  }
}

/** transformers' AlbertForMaskedLM: vocabulary logits at every position (or at `predictionPositions`). */
export class AlbertForMaskedLM extends AlbertModel {
  static override async fromPretrained(folder: string, options: HeadLoadOptions = {}): Promise<AlbertForMaskedLM> {
    const { native, resolved } = await AlbertModel.loadNative(folder, ownTask(options), 'masked-lm');
    return new AlbertForMaskedLM(native, resolved);
  }
  override forward(inputs: ForwardInputs, options?: ForwardOptions): Promise<MaskedLMOutput> {
    return super.forward(inputs, options) as Promise<MaskedLMOutput>;
  }
}

/** transformers' AlbertForSequenceClassification: `classifier` on the pooled output. */
export class AlbertForSequenceClassification extends AlbertModel {
  static override async fromPretrained(folder: string, options: HeadLoadOptions = {}): Promise<AlbertForSequenceClassification> {
    const { native, resolved } = await AlbertModel.loadNative(folder, ownTask(options), 'sequence-classification');
    return new AlbertForSequenceClassification(native, resolved);
  }
  override forward(inputs: ForwardInputs, options?: ForwardOptions): Promise<SequenceClassifierOutput> {
    return super.forward(inputs, options) as Promise<SequenceClassifierOutput>;
  }
}

/** transformers' AlbertForTokenClassification: `classifier` on every token. */
export class AlbertForTokenClassification extends AlbertModel {
  static override async fromPretrained(folder: string, options: HeadLoadOptions = {}): Promise<AlbertForTokenClassification> {
    const { native, resolved } = await AlbertModel.loadNative(folder, ownTask(options), 'token-classification');
    return new AlbertForTokenClassification(native, resolved);
  }
  override forward(inputs: ForwardInputs, options?: ForwardOptions): Promise<TokenClassifierOutput> {
    return super.forward(inputs, options) as Promise<TokenClassifierOutput>;
  }
}

/** transformers' AlbertForQuestionAnswering: span start and end logits from `qa_outputs`. */
export class AlbertForQuestionAnswering extends AlbertModel {
  static override async fromPretrained(folder: string, options: HeadLoadOptions = {}): Promise<AlbertForQuestionAnswering> {
    const { native, resolved } = await AlbertModel.loadNative(folder, ownTask(options), 'question-answering');
    return new AlbertForQuestionAnswering(native, resolved);
  }
  override forward(inputs: ForwardInputs, options?: ForwardOptions): Promise<QuestionAnsweringOutput> {
    return super.forward(inputs, options) as Promise<QuestionAnsweringOutput>;
  }
}

/** transformers' AlbertForMultipleChoice: inputs [batch, choices, seqLen] -> logits [batch, choices]. */
export class AlbertForMultipleChoice extends AlbertModel {
  static override async fromPretrained(folder: string, options: HeadLoadOptions = {}): Promise<AlbertForMultipleChoice> {
    const { native, resolved } = await AlbertModel.loadNative(folder, ownTask(options), 'multiple-choice');
    return new AlbertForMultipleChoice(native, resolved);
  }

  /** Runs every choice as its own row ([batch * choices, seqLen]) and gathers the scores per question. */
  override async forward(inputs: MultipleChoiceInputs, options?: ForwardOptions): Promise<MultipleChoiceOutput> {
    if (inputs === null || typeof inputs !== 'object' || inputs.inputIds === undefined) {
      throw albertError(ErrorCodes.INVALID_INPUT, 'forward() needs an inputs object with inputIds', true);
    }
    const ids = flattenChoices('inputIds', inputs.inputIds);
    const flat: ForwardInputs = { inputIds: ids.rows };
    for (const name of ['attentionMask', 'tokenTypeIds', 'positionIds'] as const) {
      const value = inputs[name];
      if (value === undefined || value === null) continue;
      const other = flattenChoices(name, value);
      if (other.batch !== ids.batch || other.choices !== ids.choices) {
        throw albertError(ErrorCodes.INVALID_INPUT, `${name} has ${other.batch} x ${other.choices} choices but inputIds has ${ids.batch} x ${ids.choices}`);
      }
      flat[name] = other.rows;
    }
    const out = await super.forward(flat, options);
    const logits = out.logits!;
    return { ...out, logits: new Tensor('float32', logits.data, [ids.batch, ids.choices]) };
  }
}

/** [batch, choices, seqLen] -> [batch * choices, seqLen] rows. */
function flattenChoices(name: string, value: unknown): { rows: IndexInput; batch: number; choices: number } {
  if (Array.isArray(value)) {
    const nested = value as readonly unknown[];
    if (nested.length > 0 && Array.isArray(nested[0]) && Array.isArray((nested[0] as unknown[])[0])) {
      const questions = nested as readonly (readonly (readonly number[])[])[];
      const choices = questions[0].length;
      const bad = questions.findIndex((q) => !Array.isArray(q) || q.length !== choices);
      if (bad >= 0) throw albertError(ErrorCodes.INVALID_INPUT, `${name}[${bad}] does not have ${choices} choices like ${name}[0]`);
      return { rows: questions.flat(), batch: questions.length, choices };
    }
  }
  if (value !== null && typeof value === 'object' && 'data' in value && 'dims' in value) {
    const { data, dims } = value as { data: Int32Array | BigInt64Array; dims: readonly number[] };
    if (Array.isArray(dims) && dims.length === 3) {
      const [batch, choices, seqLen] = dims as [number, number, number];
      const rows = value instanceof Tensor ? new Tensor(value.dtype, value.data, [batch * choices, seqLen]) : { data, dims: [batch * choices, seqLen] };
      return { rows: rows as IndexInput, batch, choices };
    }
  }
  throw albertError(ErrorCodes.INVALID_INPUT, `${name} must be [batch, choices, seqLen]: a Tensor or { data, dims } with 3 dims, or number[][][] (got ${describe(value)})`, true);
}
