/**
 * question-answering: the best answer spans of a context for a question, as Hugging Face's pipeline finds
 * them. Long contexts are split into overlapping windows ([CLS] question [SEP] window [SEP], `docStride`
 * tokens of overlap); each window's start/end logits are turned into probabilities over its context tokens
 * (and [CLS], the "no answer" option); spans of at most `maxAnswerLen` tokens are scored start x end, and the
 * best over all windows win. Answers are widened to whole words and given as character offsets.
 */
import { albertError, ErrorCodes } from '../errors';
import { AlbertForQuestionAnswering } from '../heads';
import {
  asList,
  batching,
  callable,
  checkTopK,
  loadTokenizer,
  modelOptions,
  topIndices,
  type PipelineBase,
  type PipelineLoadOptions,
  type PipelineRunOptions,
} from './common';

export interface QuestionAnsweringInput {
  question: string;
  context: string;
}

export interface QuestionAnsweringOptions extends PipelineRunOptions {
  /** Answers per question, best first (default 1). */
  topK?: number;
  /** Tokens of overlap between consecutive windows of a long context (default 128, at most half a window). */
  docStride?: number;
  /** Longest answer in tokens (default 15). */
  maxAnswerLen?: number;
  /** Tokens per window, special tokens included (default 384, at most max_position_embeddings). */
  maxSeqLen?: number;
  /** Questions are cut to this many tokens (default 64). */
  maxQuestionLen?: number;
  /** Also offer the empty answer (scored by [CLS]) and return it when it wins (default false). */
  handleImpossibleAnswer?: boolean;
}

export interface Answer {
  /** start probability x end probability within its window. */
  score: number;
  /** `[start, end)` in UTF-16 code units of the context; both 0 for the empty answer. */
  start: number;
  end: number;
  /** `context.slice(start, end)`. */
  answer: string;
}

export interface QuestionAnsweringPipeline extends PipelineBase<AlbertForQuestionAnswering> {
  (input: QuestionAnsweringInput, options?: QuestionAnsweringOptions): Promise<Answer[]>;
  (inputs: readonly QuestionAnsweringInput[], options?: QuestionAnsweringOptions): Promise<Answer[][]>;
}

interface Window {
  example: number;
  inputIds: Int32Array;
  tokenTypeIds: Int32Array;
  /** Index of the first context token in the window. */
  contextStart: number;
  /** Character offsets of the window's context tokens. */
  offsets: Array<[number, number]>;
}

function isQuestion(value: unknown): value is QuestionAnsweringInput {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const v = value as Partial<QuestionAnsweringInput>;
  return typeof v.question === 'string' && typeof v.context === 'string';
}

function positiveInteger(name: string, value: unknown, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || (value as number) < min) {
    throw albertError(ErrorCodes.INVALID_INPUT, `${name} must be an integer >= ${min} (got ${String(value)})`, typeof value !== 'number');
  }
  return value as number;
}

export async function questionAnswering(folder: string, options: PipelineLoadOptions = {}): Promise<QuestionAnsweringPipeline> {
  const model = await AlbertForQuestionAnswering.fromPretrained(folder, modelOptions(options));
  const { tokenizer, owned } = await loadTokenizer(folder, options);
  const run = async (input: QuestionAnsweringInput | readonly QuestionAnsweringInput[], runOptions: QuestionAnsweringOptions = {}) => {
    const { items, single } = asList(input, isQuestion, 'a { question, context } object');
    const topK = checkTopK(runOptions.topK, 1, Number.MAX_SAFE_INTEGER);
    const maxSeqLen = Math.min(positiveInteger('maxSeqLen', runOptions.maxSeqLen, 384, 4), model.config.max_position_embeddings);
    const givenStride = runOptions.docStride === undefined ? undefined : positiveInteger('docStride', runOptions.docStride, 128, 0);
    const maxAnswerLen = positiveInteger('maxAnswerLen', runOptions.maxAnswerLen, 15);
    const maxQuestionLen = positiveInteger('maxQuestionLen', runOptions.maxQuestionLen, 64);
    const impossible = Boolean(runOptions.handleImpossibleAnswer);
    const cls = tokenizer.clsTokenId;
    const sep = tokenizer.sepTokenId;
    if (cls === undefined || sep === undefined) {
      throw albertError(ErrorCodes.INVALID_INPUT, 'question-answering needs a tokenizer with [CLS] and [SEP] tokens');
    }

    const windows: Window[] = [];
    items.forEach((item, example) => {
      if (item.question.trim() === '') throw albertError(ErrorCodes.INVALID_INPUT, `inputs[${example}].question is empty`);
      if (item.context.trim() === '') throw albertError(ErrorCodes.INVALID_INPUT, `inputs[${example}].context is empty`);
      const question = tokenizer.encode(item.question, { addSpecialTokens: false }).ids.slice(0, maxQuestionLen);
      const context = tokenizer.encode(item.context, { addSpecialTokens: false, returnOffsets: true });
      const room = maxSeqLen - question.length - 3;
      if (room < 1) {
        throw albertError(ErrorCodes.INVALID_INPUT, `inputs[${example}]: a ${question.length}-token question leaves no room for context in maxSeqLen ${maxSeqLen}`);
      }
      // Default: 128 tokens of overlap, at most half a window (Hugging Face: min(maxSeqLen / 2, 128)).
      const docStride = givenStride ?? Math.min(128, Math.floor(room / 2));
      if (docStride >= room) {
        throw albertError(ErrorCodes.INVALID_INPUT, `docStride ${docStride} must be smaller than the ${room} context tokens a window holds`);
      }
      const contextStart = question.length + 2;
      for (let begin = 0; ; begin += room - docStride) {
        const end = Math.min(begin + room, context.ids.length);
        const ids = [cls, ...question, sep, ...context.ids.slice(begin, end), sep];
        const types = ids.map((_, t) => (t < contextStart ? 0 : 1));
        windows.push({
          example,
          inputIds: Int32Array.from(ids),
          tokenTypeIds: Int32Array.from(types),
          contextStart,
          offsets: context.offsets!.slice(begin, end),
        });
        if (end >= context.ids.length) break;
      }
    });

    const outputs = await model.forwardMany(
      windows.map((w) => ({ inputIds: w.inputIds, tokenTypeIds: w.tokenTypeIds })),
      { ...batching(runOptions), outputs: { lastHiddenState: false, poolerOutput: false } },
    );

    const answers: Answer[][] = items.map(() => []);
    const nullScore = items.map(() => Infinity);
    windows.forEach((w, i) => {
      const context = items[w.example].context;
      const n = w.offsets.length;
      // Probabilities over the desired tokens: [CLS] (index 0) and the window's context tokens.
      const start = spanSoftmax(outputs[i].startLogits!.data, w.contextStart, n);
      const end = spanSoftmax(outputs[i].endLogits!.data, w.contextStart, n);
      nullScore[w.example] = Math.min(nullScore[w.example], start[0] * end[0]);
      for (const span of bestSpans(start, end, w.contextStart, n, maxAnswerLen, topK)) {
        const [from, to] = widenToWords(context, w.offsets[span.start - w.contextStart][0], w.offsets[span.end - w.contextStart][1]);
        answers[w.example].push({ score: span.score, start: from, end: to, answer: context.slice(from, to) });
      }
    });
    const results = answers.map((list, example) => {
      if (impossible) list.push({ score: nullScore[example], start: 0, end: 0, answer: '' });
      return list.sort((a, b) => b.score - a.score).slice(0, topK);
    });
    return single ? results[0] : results;
  };
  return callable('question-answering', model, tokenizer, owned, run) as unknown as QuestionAnsweringPipeline;
}

/** Softmax over index 0 and [from, from + n); every other token gets probability 0. */
function spanSoftmax(logits: Float32Array, from: number, n: number): Float64Array {
  const p = new Float64Array(logits.length);
  let max = logits[0];
  for (let t = from; t < from + n; t++) max = Math.max(max, logits[t]);
  let sum = (p[0] = Math.exp(logits[0] - max));
  for (let t = from; t < from + n; t++) sum += p[t] = Math.exp(logits[t] - max);
  for (let t = 0; t < p.length; t++) p[t] /= sum;
  return p;
}

/** The topK spans (start <= end < start + maxAnswerLen, both in the context) by start x end probability. */
function bestSpans(start: Float64Array, end: Float64Array, from: number, n: number, maxAnswerLen: number, topK: number) {
  const spans: { start: number; end: number; score: number }[] = [];
  for (let s = from; s < from + n; s++) {
    for (let e = s; e < Math.min(from + n, s + maxAnswerLen); e++) spans.push({ start: s, end: e, score: start[s] * end[e] });
  }
  return topIndices(spans.map((x) => x.score), Math.min(topK, spans.length)).map((i) => spans[i]);
}

/** Extends [from, to) to whole whitespace-separated words, without leading or trailing whitespace. */
function widenToWords(text: string, from: number, to: number): [number, number] {
  while (from < to && /\s/.test(text[from])) from++;
  while (to > from && /\s/.test(text[to - 1])) to--;
  while (from > 0 && !/\s/.test(text[from - 1])) from--;
  while (to < text.length && !/\s/.test(text[to])) to++;
  return [from, to];
}
