/**
 * What every pipeline shares: loading a folder's model and tokenizer, the run options (batching, progress,
 * cancellation), and the numeric helpers of Hugging Face's pipelines (softmax, sigmoid, top-k).
 */
import { albertError, ErrorCodes } from '../errors';
import { describe } from '../inputs';
import type { AlbertModel, FromPretrainedOptions } from '../model';
import { Tokenizer } from '../tokenizer';

/** How a pipeline loads its folder (the task is the pipeline's). */
export interface PipelineLoadOptions extends Omit<FromPretrainedOptions, 'task'> {
  /** A tokenizer to use instead of loading the folder's. */
  tokenizer?: Tokenizer;
}

/** Options every pipeline call takes. */
export interface PipelineRunOptions {
  /** Tokens per native call (forwardMany's tokenBudget, default 16384). */
  tokenBudget?: number;
  /** Called after each batch with the number of inputs done and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Stops before the next batch; the Promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** What every pipeline object carries besides being callable. */
export interface PipelineBase<M extends AlbertModel = AlbertModel> {
  /** The pipeline's task name. */
  readonly task: string;
  readonly model: M;
  readonly tokenizer: Tokenizer;
  /** Releases the model (and the tokenizer when the pipeline loaded it). */
  dispose(): void;
}

/** A text, or a text with a second segment (`[CLS] text [SEP] textPair [SEP]`). */
export type TextInput = string | { text: string; textPair?: string };

/** A TextInput as forwardMany takes it: a text or a [text, textPair] pair. */
export function toSequence(item: TextInput): string | readonly [string, string] {
  if (typeof item === 'string') return item;
  return item.textPair === undefined ? item.text : [item.text, item.textPair];
}

/** The batching part of a call's options, as forwardMany takes it. */
export function batching(options: PipelineRunOptions): PipelineRunOptions {
  const { tokenBudget, onProgress, signal } = options;
  return { tokenBudget, onProgress, signal };
}

export async function loadTokenizer(folder: string, options: PipelineLoadOptions): Promise<{ tokenizer: Tokenizer; owned: boolean }> {
  if (options.tokenizer !== undefined) {
    if (!(options.tokenizer instanceof Tokenizer)) {
      throw albertError(ErrorCodes.INVALID_INPUT, `options.tokenizer must be a Tokenizer (got ${describe(options.tokenizer)})`, true);
    }
    return { tokenizer: options.tokenizer, owned: false };
  }
  const { cacheDir, revision, localFilesOnly, token, onProgress } = options;
  return { tokenizer: await Tokenizer.fromPretrained(folder, { cacheDir, revision, localFilesOnly, token, onProgress }), owned: true };
}

export function modelOptions(options: PipelineLoadOptions): Omit<FromPretrainedOptions, 'task'> {
  if (options === null || typeof options !== 'object') {
    throw albertError(ErrorCodes.INVALID_INPUT, `options must be an object (got ${describe(options)})`, true);
  }
  const { threads, kernel, dtype, cacheDir, revision, localFilesOnly, token, onProgress } = options;
  return { threads, kernel, dtype, cacheDir, revision, localFilesOnly, token, onProgress };
}

/** Builds the callable pipeline object: `run` behind a function, with the base properties attached. */
export function callable<F extends (...args: never[]) => unknown, M extends AlbertModel>(
  task: string,
  model: M,
  tokenizer: Tokenizer,
  ownsTokenizer: boolean,
  run: F,
): F & PipelineBase<M> {
  const base: PipelineBase<M> = {
    task,
    model,
    tokenizer,
    dispose() {
      model.dispose();
      if (ownsTokenizer) tokenizer.dispose();
    },
  };
  return Object.assign(run, base);
}

/** Inputs of a pipeline call as a list, and whether the caller gave one input (results are then unwrapped). */
export function asList<T>(input: T | readonly T[], isSingle: (value: unknown) => boolean, what: string): { items: T[]; single: boolean } {
  if (isSingle(input)) return { items: [input as T], single: true };
  if (!Array.isArray(input)) throw albertError(ErrorCodes.INVALID_INPUT, `expected ${what} or an array of them (got ${describe(input)})`, true);
  input.forEach((item, i) => {
    if (!isSingle(item)) throw albertError(ErrorCodes.INVALID_INPUT, `inputs[${i}] is not ${what} (got ${describe(item)})`, true);
  });
  return { items: [...input] as T[], single: false };
}

export function isText(value: unknown): value is string {
  return typeof value === 'string';
}

export function isTextInput(value: unknown): value is TextInput {
  if (typeof value === 'string') return true;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const v = value as { text?: unknown; textPair?: unknown };
  return typeof v.text === 'string' && (v.textPair === undefined || typeof v.textPair === 'string');
}

export function checkTopK(topK: unknown, fallback: number, max: number): number {
  if (topK === undefined) return Math.min(fallback, max);
  if (topK === null) return max;
  if (!Number.isInteger(topK) || (topK as number) < 1) {
    throw albertError(ErrorCodes.INVALID_INPUT, `topK must be a positive integer or null for all (got ${String(topK)})`, typeof topK !== 'number');
  }
  return Math.min(topK as number, max);
}

/** Softmax in float64 (the max is subtracted first, as numpy/torch do). */
export function softmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i] - max);
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

export function sigmoid(logits: ArrayLike<number>): Float64Array {
  return Float64Array.from(logits, (x) => 1 / (1 + Math.exp(-x)));
}

/** Indices of the k largest values, largest first (ties: lower index first). */
export function topIndices(values: ArrayLike<number>, k: number): number[] {
  const best: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (best.length === k && values[i] <= values[best[k - 1]]) continue;
    let at = best.length < k ? best.length : k - 1;
    if (best.length < k) best.push(i);
    while (at > 0 && values[best[at - 1]] < values[i]) {
      best[at] = best[at - 1];
      at--;
    }
    best[at] = i;
  }
  return best;
}
