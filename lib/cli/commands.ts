/**
 * @internal What each CLI command does with a row: the fields it reads (and the row errors when they are
 * missing, not text or empty), the pipeline (or tokenizer) it runs, its call options, and the result fields
 * it writes.
 */
import { albertError, ErrorCodes } from '../errors';
import { pipeline, type PipelineTask } from '../pipelines';
import { streamPipeline, streamTokenize, type StreamOptions } from '../stream';
import type { Tensor } from '../tensor';
import { Tokenizer, type Encoding } from '../tokenizer';
import type { TruncationStrategy } from '../tokenizer-options';
import type { CommandName } from './args';
import { ROW_ERRORS, type InputRow } from './input';
import type { DownloadProgress } from '../hub-download';

/** The validated option values a command runs with. */
export interface JobOptions {
  model: string;
  /** Hub downloads: called as each file arrives (the CLI draws its download progress with it). */
  onDownload?: (progress: DownloadProgress) => void;
  cacheDir?: string;
  revision?: string;
  offline: boolean;
  field: string;
  fieldPair?: string;
  questionField: string;
  contextField: string;
  idField: string;
  threads?: number;
  batchTokens?: number;
  batchRows?: number;
  maxLength?: number;
  /** Model commands: 'longest_first' or 'none'; tokenize: any strategy, or undefined for the default. */
  truncation?: string;
  // embed
  pooling: 'mean' | 'cls' | 'pooler' | 'none';
  normalize: boolean;
  // classify, fill-mask, qa
  topK?: number | null;
  functionToApply: 'auto' | 'softmax' | 'sigmoid' | 'none';
  // fill-mask
  targets?: string[];
  // ner
  aggregation: 'none' | 'simple' | 'first' | 'average' | 'max';
  ignoreLabels: string[];
  // qa
  docStride?: number;
  maxAnswerLen?: number;
  maxQuestionLen?: number;
  handleImpossible: boolean;
  // tokenize
  specialTokens: boolean;
  offsets: boolean;
}

export interface Job {
  /** What was loaded, for the start note. */
  description: string;
  run(rows: AsyncIterable<InputRow>, options: StreamOptions<InputRow, unknown> & { countTokens: boolean }): AsyncIterableIterator<unknown>;
  /** A result as the fields of its output line. */
  payload(result: unknown): Record<string, unknown>;
  dispose(): void;
}

/** A row error: its code and message become the row's error record. */
export function rowError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/** The cell index of a CSV/TSV column: a header name, else a 1-based number; undefined when neither. */
export function columnIndex(header: Map<string, number> | undefined, name: string): number | undefined {
  const named = header?.get(name);
  if (named !== undefined) return named;
  if (/^[1-9][0-9]*$/.test(name)) return Number(name) - 1;
  return undefined;
}

function parse(row: InputRow): void {
  if (row.error) throw rowError(row.error.code, row.error.message);
  if (row.format === 'jsonl' && row.parsed === undefined) {
    try {
      row.parsed = JSON.parse(row.text!);
    } catch (error) {
      throw rowError(ROW_ERRORS.INVALID_JSON, `invalid JSON: ${(error as Error).message}`);
    }
    row.text = undefined;
  }
}

function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** A field of a parsed row, or undefined when the row does not have it. `main`: the text field (lines: the line). */
function fieldOf(row: InputRow, name: string, main: boolean): unknown {
  if (row.format === 'lines') return main ? row.text : undefined;
  if (row.format === 'jsonl') {
    const v = row.parsed;
    if (typeof v === 'string') return main ? v : undefined;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    const value = (v as Record<string, unknown>)[name];
    return value === null ? undefined : value;
  }
  const index = columnIndex(row.header, name);
  return index === undefined ? undefined : row.cells![index];
}

function textOf(row: InputRow, name: string, main: boolean, flag: string): string {
  const value = fieldOf(row, name, main);
  if (value === undefined) {
    if (row.format === 'jsonl' && (row.parsed === null || typeof row.parsed !== 'object' || Array.isArray(row.parsed)) && typeof row.parsed !== 'string') {
      throw rowError(ROW_ERRORS.MISSING_FIELD, `the row is ${jsonKind(row.parsed)}, not an object with a "${name}" field`);
    }
    const what = row.format === 'jsonl' ? 'field' : 'column';
    throw rowError(ROW_ERRORS.MISSING_FIELD, `the row has no "${name}" ${what} (${flag})`);
  }
  if (typeof value !== 'string') throw rowError(ROW_ERRORS.NOT_TEXT, `"${name}" is ${jsonKind(value)}, not a string`);
  if (value.trim() === '') throw rowError(ROW_ERRORS.EMPTY_TEXT, `"${name}" is empty`);
  return value;
}

/** Parses the row, records its id, and reads its text fields. */
function prepare(row: InputRow, o: JobOptions): void {
  parse(row);
  if (row.format !== 'lines') {
    const id = fieldOf(row, o.idField, false);
    if (id !== undefined) row.id = id;
  }
}

function loadOptions(o: JobOptions): {
  cacheDir?: string;
  revision?: string;
  localFilesOnly?: boolean;
  onProgress?: (progress: DownloadProgress) => void;
} {
  const options: ReturnType<typeof loadOptions> = {};
  if (o.onDownload !== undefined) options.onProgress = o.onDownload;
  if (o.cacheDir !== undefined) options.cacheDir = o.cacheDir;
  if (o.revision !== undefined) options.revision = o.revision;
  if (o.offline) options.localFilesOnly = true;
  return options;
}

const TASKS: Record<Exclude<CommandName, 'tokenize'>, PipelineTask> = {
  embed: 'feature-extraction',
  classify: 'text-classification',
  'fill-mask': 'fill-mask',
  ner: 'token-classification',
  qa: 'question-answering',
};

/** Loads what the command runs and returns its job. */
export async function createJob(command: CommandName, o: JobOptions): Promise<Job> {
  const textInput = (row: InputRow): string | { text: string; textPair: string } => {
    const text = textOf(row, o.field, true, '--field');
    if (o.fieldPair === undefined) return text;
    return { text, textPair: textOf(row, o.fieldPair, false, '--field-pair') };
  };

  if (command === 'tokenize') {
    const tokenizer = await Tokenizer.fromPretrained(o.model, loadOptions(o));
    const truncation: boolean | TruncationStrategy | undefined =
      o.truncation === undefined ? undefined : o.truncation === 'none' ? false : (o.truncation as TruncationStrategy);
    return {
      description: `tokenizer of ${o.model} (${tokenizer.kind}, ${tokenizer.vocabSize} ids)`,
      run: (rows, stream) =>
        streamTokenize(tokenizer, rows, {
          ...stream,
          toInput: (row: InputRow) => {
            prepare(row, o);
            return textInput(row);
          },
          output: 'encoding',
          addSpecialTokens: o.specialTokens,
          maxLength: o.maxLength,
          truncation,
          returnOffsets: o.offsets,
        }),
      payload: (result) => {
        const e = result as Encoding;
        const out: Record<string, unknown> = { ids: e.ids, tokens: e.tokens };
        if (o.fieldPair !== undefined) out.typeIds = e.typeIds;
        if (o.offsets) out.offsets = e.offsets;
        return out;
      },
      dispose: () => tokenizer.dispose(),
    };
  }

  const task = TASKS[command];
  const started = performance.now();
  const pipe = await pipeline(task, o.model, { ...loadOptions(o), threads: o.threads });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const info = pipe.model.info;
  const description = `${o.model} in ${seconds}s (${task}, ${info.dtype}, ${info.kernel} kernels, ${info.threads} threads)`;
  const maxPositions = pipe.model.config.max_position_embeddings;
  const limit = o.maxLength ?? maxPositions;

  /** --truncation none: a row longer than the limit is an error record instead of being cut. */
  const checkLength = (input: string | { text: string; textPair: string }) => {
    if (o.truncation !== 'none') return input;
    const encoding = typeof input === 'string' ? pipe.tokenizer.encode(input) : pipe.tokenizer.encode(input.text, { textPair: input.textPair });
    if (encoding.ids.length > limit) {
      throw albertError(
        ErrorCodes.SEQUENCE_TOO_LONG,
        `the row is ${encoding.ids.length} tokens, more than ${limit} (${o.maxLength === undefined ? 'max_position_embeddings' : '--max-length'}), and --truncation is none`,
      );
    }
    return input;
  };

  const common = { tokenBudget: o.batchTokens };
  let runOptions: Record<string, unknown>;
  let toInput: (row: InputRow) => unknown;
  let payload: (result: unknown) => Record<string, unknown>;
  switch (command) {
    case 'embed':
      runOptions = { ...common, pooling: o.pooling, normalize: o.normalize, maxLength: o.maxLength };
      toInput = (row) => checkLength(textInput(row));
      payload = (result) => {
        const t = result as Tensor<'float32'>;
        if (t.dims.length === 1) return { embedding: Array.from(t.data) };
        const width = t.dims[1];
        return { embeddings: Array.from({ length: t.dims[0] }, (_, i) => Array.from(t.data.subarray(i * width, (i + 1) * width))) };
      };
      break;
    case 'classify':
      runOptions = { ...common, topK: o.topK, functionToApply: o.functionToApply, maxLength: o.maxLength };
      toInput = (row) => checkLength(textInput(row));
      payload = (result) => ({ labels: result });
      break;
    case 'fill-mask':
      runOptions = { ...common, topK: o.topK, maxLength: o.maxLength, targets: o.targets };
      toInput = (row) => checkLength(textOf(row, o.field, true, '--field'));
      payload = (result) => ({ candidates: result });
      break;
    case 'ner':
      runOptions = { ...common, aggregationStrategy: o.aggregation, ignoreLabels: o.ignoreLabels, maxLength: o.maxLength };
      toInput = (row) => checkLength(textOf(row, o.field, true, '--field'));
      payload = (result) => ({ entities: result });
      break;
    default:
      runOptions = {
        ...common,
        topK: o.topK,
        docStride: o.docStride,
        maxAnswerLen: o.maxAnswerLen,
        maxSeqLen: o.maxLength,
        maxQuestionLen: o.maxQuestionLen,
        handleImpossibleAnswer: o.handleImpossible,
      };
      toInput = (row) => ({
        question: textOf(row, o.questionField, false, '--question-field'),
        context: textOf(row, o.contextField, false, '--context-field'),
      });
      payload = (result) => ({ answers: result });
  }
  // Options left undefined take the pipeline's defaults.
  for (const key of Object.keys(runOptions)) if (runOptions[key] === undefined) delete runOptions[key];
  return {
    description,
    run: (rows, stream) =>
      // One call signature for every pipeline: the per-pipeline typings are checked by the library's users.
      (streamPipeline as unknown as (p: unknown, i: unknown, o: unknown) => AsyncIterableIterator<unknown>)(pipe, rows, {
        ...runOptions,
        ...stream,
        toInput: (row: InputRow) => {
          prepare(row, o);
          return toInput(row);
        },
      }),
    payload,
    dispose: () => pipe.dispose(),
  };
}
