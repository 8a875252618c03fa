/**
 * Streaming: pipelines and the tokenizer over inputs of any size. Inputs are pulled from an (async) iterable
 * or an object-mode Readable one window at a time (at most `batchRows` rows and about `batchTokens` tokens),
 * each window runs as one call (the pipelines sort it by length and batch it internally), and its results
 * are yielded in input order before the window after next is pulled: memory is bounded by two windows
 * whatever the input size, and a consumer that stops pulling stops the reading.
 */
import type { Readable } from 'node:stream';
import { albertError, ErrorCodes } from './errors';
import { describe } from './inputs';
import type {
  Answer,
  ClassificationLabel,
  FeatureExtractionOptions,
  FeatureExtractionPipeline,
  FillMaskCandidate,
  FillMaskOptions,
  FillMaskPipeline,
  MultipleChoiceInput,
  MultipleChoiceOptions,
  MultipleChoicePipeline,
  MultipleChoiceResult,
  QuestionAnsweringInput,
  QuestionAnsweringOptions,
  QuestionAnsweringPipeline,
  TextClassificationOptions,
  TextClassificationPipeline,
  TextInput,
  TokenClassificationOptions,
  TokenClassificationPipeline,
  TokenEntity,
} from './pipelines';
import { Tensor } from './tensor';
import { Tokenizer, type EncodeOptions, type Encoding } from './tokenizer';
import type { TruncationStrategy } from './tokenizer-options';

/** Where a stream's rows come from: an iterable, an async iterable, or a Readable in object mode. */
export type StreamSource<S> = Iterable<S> | AsyncIterable<S> | Readable;

/** What a stream yields in place of a row's result when `onRowError` is `'yield'`. */
export interface StreamRowError {
  /** The row's 0-based position in the input. */
  index: number;
  error: { code: string; message: string };
}

export interface StreamProgress {
  /** Rows done (results and row errors), including a share of the window in flight. */
  rows: number;
  /** Row errors so far (`onRowError: 'yield'`). */
  errors: number;
  /**
   * Tokens done: exact for streamTokenize; for streamPipeline only with `countTokens` (each window's inputs
   * are tokenized once more to count them), else undefined.
   */
  tokens?: number;
  /** Since the stream started. */
  elapsedMs: number;
}

/** The options every stream takes. `S` is a row of the source, `I` the input the pipeline or tokenizer takes. */
export interface StreamOptions<S = unknown, I = unknown> {
  /** Most rows per window, i.e. per pipeline call (default 4096). */
  batchRows?: number;
  /**
   * Token budget per window (default 262144), on an upper estimate made before tokenizing: a text counts its
   * UTF-16 length + 2, at most the maximum length. Bounds the memory of outputs that grow with tokens.
   */
  batchTokens?: number;
  /** Aborting stops the stream: it stops pulling rows and rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called as rows complete (after each internal batch of a pipeline call, and after each window). */
  onProgress?: (progress: StreamProgress) => void;
  /**
   * `'throw'` (default): the first error ends the stream (results of the window it happened in are not yielded).
   * `'yield'`: a row that fails (its input is invalid, `toInput` throws for it, or the pipeline rejects it)
   * yields a {@link StreamRowError} in its place and the stream goes on. Errors that are not a row's fault
   * (a disposed model, out of memory, an abort) still end the stream.
   */
  onRowError?: 'throw' | 'yield';
  /** Maps each source row to the input (a throw there is that row's error). Default: the row is the input. */
  toInput?: (row: S, index: number) => I;
  /** Pull the next window while the current one runs (default true; memory: two windows of rows). */
  prefetch?: boolean;
  /**
   * An async source that has no row ready when a window has been open this long runs the window with the rows
   * it has (default 100 ms), so rows that trickle in (a pipe, a socket) are not held back until a window fills.
   * `Infinity`: always wait for full windows.
   */
  maxWaitMs?: number;
}

/** Options of streamPipeline: the pipeline's own call options (passed to every call) and the stream's. */
export type StreamPipelineOptions<PO, I, S = I> = Omit<PO, 'onProgress' | 'signal'> &
  StreamOptions<S, I> & {
    /** Count each window's tokens for onProgress (an extra tokenization of the window; default false). */
    countTokens?: boolean;
  };

/** A row's result, or also a row error unless the options say (or default to) `onRowError: 'throw'`. */
export type StreamResult<T, O> = 'onRowError' extends keyof O ? (O extends { onRowError: 'throw' } ? T : T | StreamRowError) : T;

/** What streamTokenize takes per row: a text, a text with a pair, or a `[text, textPair]` pair. */
export type TokenizeInput = string | { text: string; textPair?: string } | readonly [string, string];

export interface StreamTokenizeOptions<S = TokenizeInput> extends StreamOptions<S, TokenizeInput> {
  /** `'encoding'` (default): an {@link Encoding} per row; `'ids'`: its token ids only (number[], faster). */
  output?: 'encoding' | 'ids';
  /** Add [CLS] / [SEP] (default true). */
  addSpecialTokens?: boolean;
  /** Maximum length in tokens, special tokens included. */
  maxLength?: number;
  /** As Tokenizer.encode: default 'longest_first' when maxLength is given, else none. */
  truncation?: boolean | TruncationStrategy;
  /** `'encoding'` output: also return offsets (default false). */
  returnOffsets?: boolean;
}

/** The result type of streamTokenize for its options. */
export type TokenizeResult<O> = O extends { output: 'ids' } ? number[] : Encoding;

/** The options argument: optional while rows are the inputs themselves, required (with toInput) otherwise. */
type OptionsArg<S, I, O> = [S] extends [I] ? [options?: O & { toInput?: (row: S, index: number) => I }] : [options: O & { toInput: (row: S, index: number) => I }];

const DEFAULT_ROWS = 4096;
const DEFAULT_TOKENS = 262144;
const DEFAULT_WAIT_MS = 100;
/** Padded cells per encodeBatch call when counting or tokenizing a window (rows x longest row). */
const CELLS_PER_ENCODE = 1 << 21;
/** Codes of errors that are no row's fault: they end a stream whatever onRowError says. */
const FATAL_CODES: readonly string[] = [ErrorCodes.DISPOSED, ErrorCodes.OUT_OF_MEMORY, ErrorCodes.INTERNAL, ErrorCodes.BINDING_NOT_FOUND];

/**
 * Runs a pipeline over a stream of inputs; yields one result per input, in input order. Options are the
 * pipeline's call options (pooling, topK, maxLength, tokenBudget, ...) plus the stream's ({@link StreamOptions}).
 * A pooled feature-extraction row is a `[hidden]` Tensor; unpooled, a `[tokens, hidden]` one.
 */
export function streamPipeline<S = TextInput, O extends StreamPipelineOptions<FeatureExtractionOptions, TextInput, S> = {}>(
  pipe: FeatureExtractionPipeline,
  inputs: StreamSource<S>,
  ...options: OptionsArg<S, TextInput, O>
): AsyncIterableIterator<StreamResult<Tensor<'float32'>, O>>;
export function streamPipeline<S = TextInput, O extends StreamPipelineOptions<TextClassificationOptions, TextInput, S> = {}>(
  pipe: TextClassificationPipeline,
  inputs: StreamSource<S>,
  ...options: OptionsArg<S, TextInput, O>
): AsyncIterableIterator<StreamResult<ClassificationLabel[], O>>;
export function streamPipeline<S = string, O extends StreamPipelineOptions<TokenClassificationOptions, string, S> = {}>(
  pipe: TokenClassificationPipeline,
  inputs: StreamSource<S>,
  ...options: OptionsArg<S, string, O>
): AsyncIterableIterator<StreamResult<TokenEntity[], O>>;
export function streamPipeline<S = string, O extends StreamPipelineOptions<FillMaskOptions, string, S> = {}>(
  pipe: FillMaskPipeline,
  inputs: StreamSource<S>,
  ...options: OptionsArg<S, string, O>
): AsyncIterableIterator<StreamResult<FillMaskCandidate[][], O>>;
export function streamPipeline<S = QuestionAnsweringInput, O extends StreamPipelineOptions<QuestionAnsweringOptions, QuestionAnsweringInput, S> = {}>(
  pipe: QuestionAnsweringPipeline,
  inputs: StreamSource<S>,
  ...options: OptionsArg<S, QuestionAnsweringInput, O>
): AsyncIterableIterator<StreamResult<Answer[], O>>;
export function streamPipeline<S = MultipleChoiceInput, O extends StreamPipelineOptions<MultipleChoiceOptions, MultipleChoiceInput, S> = {}>(
  pipe: MultipleChoicePipeline,
  inputs: StreamSource<S>,
  ...options: OptionsArg<S, MultipleChoiceInput, O>
): AsyncIterableIterator<StreamResult<MultipleChoiceResult, O>>;
export function streamPipeline(pipe: unknown, inputs: unknown, options: Record<string, unknown> = {}): AsyncIterableIterator<unknown> {
  if (typeof pipe !== 'function' || !((pipe as { tokenizer?: unknown }).tokenizer instanceof Tokenizer)) {
    throw albertError(ErrorCodes.INVALID_INPUT, `streamPipeline() needs a pipeline from pipeline() (got ${describe(pipe)})`, true);
  }
  const run = pipe as PipelineLike;
  const { batchRows, batchTokens, signal, onProgress, onRowError, toInput, prefetch, maxWaitMs, countTokens, ...runOptions } = checkOptions(options);
  const maxLength = lengthLimit(run, runOptions);
  const core = coreOptions({ batchRows, batchTokens, signal, onProgress, onRowError, toInput, prefetch, maxWaitMs });
  return windows(inputs, core, {
    // An empty call checks the options (bad ones are the caller's error, not every row's).
    prepare: async () => void (await run([], { ...runOptions })),
    estimate: (input) => estimateTokens(input, maxLength),
    async run(items, progress) {
      let windowTokens: number | undefined;
      const counting = countTokens
        ? countPipelineTokens(run.tokenizer, items, maxLength).then((n) => (windowTokens = n))
        : undefined;
      counting?.catch(() => {});
      const out = await run(items, {
        ...runOptions,
        signal,
        onProgress: (done: number, total: number) => progress(done / total, windowTokens),
      });
      return { results: splitRows(out, items.length), tokens: counting ? await counting : undefined };
    },
    rowErrors: true,
  });
}

/**
 * Tokenizes a stream of texts (or pairs); yields one Encoding (or id array, with `output: 'ids'`) per row,
 * in input order. `output: 'ids'` tokenizes each window on native threads.
 */
export function streamTokenize<S = TokenizeInput, O extends StreamTokenizeOptions<S> = {}>(
  tokenizer: Tokenizer,
  inputs: StreamSource<S>,
  ...options: OptionsArg<S, TokenizeInput, O>
): AsyncIterableIterator<StreamResult<TokenizeResult<O>, O>>;
export function streamTokenize(tokenizer: Tokenizer, inputs: unknown, options: Record<string, unknown> = {}): AsyncIterableIterator<unknown> {
  if (!(tokenizer instanceof Tokenizer)) {
    throw albertError(ErrorCodes.INVALID_INPUT, `streamTokenize() needs a Tokenizer (got ${describe(tokenizer)})`, true);
  }
  const { batchRows, batchTokens, signal, onProgress, onRowError, toInput, prefetch, maxWaitMs, output = 'encoding', ...rest } = checkOptions(options);
  if (output !== 'encoding' && output !== 'ids') {
    throw albertError(ErrorCodes.INVALID_INPUT, `output must be 'encoding' or 'ids' (got ${String(output)})`);
  }
  const { addSpecialTokens, maxLength, truncation, returnOffsets } = rest as Pick<StreamTokenizeOptions, 'addSpecialTokens' | 'maxLength' | 'truncation' | 'returnOffsets'>;
  const encodeOptions: EncodeOptions = { addSpecialTokens, maxLength, truncation, returnOffsets };
  // Fail on bad options now, not on the first row.
  tokenizer.encode('', { ...encodeOptions, returnOffsets: false });
  const truncates = truncation === undefined ? maxLength !== undefined : truncation !== false;
  const limit = truncates ? (maxLength ?? tokenizer.modelMaxLength) : undefined;
  const core = coreOptions({ batchRows, batchTokens, signal, onProgress, onRowError, toInput, prefetch, maxWaitMs });
  return windows(inputs, core, {
    estimate: (input) => estimateTokens(input, limit),
    validate: toTokenizeRow,
    async run(items) {
      const rows = items.map((item) => toTokenizeRow(item));
      if (output === 'ids') {
        const { ids, lengths } = await encodeWindow(tokenizer, rows, encodeOptions, true);
        return { results: ids!, tokens: sum(lengths) };
      }
      let tokens = 0;
      const results = rows.map(([text, textPair]) => {
        const encoding = tokenizer.encode(text, textPair === undefined ? encodeOptions : { ...encodeOptions, textPair });
        tokens += encoding.ids.length;
        return encoding;
      });
      return { results, tokens };
    },
    rowErrors: false,
  });
}

// ---------------------------------------------------------------------------------------------------------
// The window loop shared by both streams.

interface CoreOptions {
  batchRows: number;
  batchTokens: number;
  signal: AbortSignal | undefined;
  onProgress: ((progress: StreamProgress) => void) | undefined;
  yieldErrors: boolean;
  toInput: ((row: unknown, index: number) => unknown) | undefined;
  prefetch: boolean;
  maxWaitMs: number;
}

interface Worker {
  /** Runs before the first row is read. */
  prepare?(): Promise<void>;
  /** Upper estimate of an input's tokens (for the window budget). */
  estimate(input: unknown): number;
  /** Throws for an input that cannot be run (checked per row before the window runs). */
  validate?(input: unknown): unknown;
  /** Runs a window's inputs; `progress(fraction, tokens)` as it goes (tokens: the call's total, when known). */
  run(inputs: unknown[], progress: (fraction: number, tokens?: number) => void): Promise<{ results: unknown[]; tokens: number | undefined }>;
  /** When a window fails, find the rows at fault by splitting it (pipelines: their errors are per call). */
  rowErrors: boolean;
}

interface Row {
  /** 0-based position in the source. */
  index: number;
  input?: unknown;
  error?: StreamRowError;
}

interface Window {
  rows: Row[];
  /** The source is exhausted after these rows. */
  last: boolean;
}

type PipelineLike = ((inputs: unknown[], options: Record<string, unknown>) => Promise<unknown>) & {
  tokenizer: Tokenizer;
  model: { config: { max_position_embeddings: number } };
  task: string;
};

function checkOptions(options: unknown): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw albertError(ErrorCodes.INVALID_INPUT, `options must be an object (got ${describe(options)})`, true);
  }
  return options as Record<string, unknown>;
}

function positive(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw albertError(ErrorCodes.INVALID_INPUT, `${name} must be a positive integer (got ${String(value)})`, typeof value !== 'number');
  }
  return value as number;
}

function coreOptions(o: Record<string, unknown>): CoreOptions {
  const { signal, onProgress, onRowError = 'throw', toInput, prefetch = true, maxWaitMs = DEFAULT_WAIT_MS } = o;
  if (typeof maxWaitMs !== 'number' || !(maxWaitMs >= 0)) {
    throw albertError(ErrorCodes.INVALID_INPUT, `maxWaitMs must be a number >= 0 (got ${String(maxWaitMs)})`, typeof maxWaitMs !== 'number');
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw albertError(ErrorCodes.INVALID_INPUT, `signal must be an AbortSignal (got ${describe(signal)})`, true);
  }
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw albertError(ErrorCodes.INVALID_INPUT, `onProgress must be a function (got ${describe(onProgress)})`, true);
  }
  if (toInput !== undefined && typeof toInput !== 'function') {
    throw albertError(ErrorCodes.INVALID_INPUT, `toInput must be a function (got ${describe(toInput)})`, true);
  }
  if (onRowError !== 'throw' && onRowError !== 'yield') {
    throw albertError(ErrorCodes.INVALID_INPUT, `onRowError must be 'throw' or 'yield' (got ${String(onRowError)})`);
  }
  return {
    batchRows: positive('batchRows', o.batchRows, DEFAULT_ROWS),
    batchTokens: positive('batchTokens', o.batchTokens, DEFAULT_TOKENS),
    signal: signal as AbortSignal | undefined,
    onProgress: onProgress as CoreOptions['onProgress'],
    yieldErrors: onRowError === 'yield',
    toInput: toInput as CoreOptions['toInput'],
    prefetch: Boolean(prefetch),
    maxWaitMs,
  };
}

/** Throws unless `source` is a StreamSource (checked when the stream is created, not when it is first read). */
function checkSource(source: unknown): void {
  if (typeof source === 'string' || source === null || (typeof source !== 'object' && typeof source !== 'function')) {
    throw albertError(ErrorCodes.INVALID_INPUT, `inputs must be an iterable, an async iterable or an object-mode Readable (got ${describe(source)})`, true);
  }
  const s = source as Partial<Readable> & Partial<AsyncIterable<unknown>> & Partial<Iterable<unknown>>;
  if (typeof s.pipe === 'function' && typeof s.read === 'function' && s.readableObjectMode === false) {
    throw albertError(ErrorCodes.INVALID_INPUT, 'inputs is a Readable of bytes: give one in object mode (a row per chunk), e.g. lines split from it', true);
  }
  if (typeof s[Symbol.asyncIterator] !== 'function' && typeof s[Symbol.iterator] !== 'function') {
    throw albertError(ErrorCodes.INVALID_INPUT, `inputs must be an iterable, an async iterable or an object-mode Readable (got ${describe(source)})`, true);
  }
}

/** An iterator over a StreamSource; sync iterators are read without a microtask per row. */
function openSource(source: unknown): { next(): IteratorResult<unknown> | Promise<IteratorResult<unknown>>; close(): unknown } {
  const s = source as Partial<AsyncIterable<unknown>> & Partial<Iterable<unknown>>;
  if (typeof s[Symbol.asyncIterator] === 'function') {
    const it = s[Symbol.asyncIterator]!();
    return { next: () => it.next(), close: () => it.return?.() };
  }
  if (typeof s[Symbol.iterator] === 'function') {
    const it = s[Symbol.iterator]!();
    return { next: () => it.next(), close: () => it.return?.() };
  }
  throw albertError(ErrorCodes.INVALID_INPUT, `inputs must be an iterable, an async iterable or an object-mode Readable (got ${describe(source)})`, true);
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? Object.assign(new Error('This operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' });
}

function rowError(error: unknown, index: number): StreamRowError {
  const e = error as { code?: unknown; message?: unknown } | null | undefined;
  const code = typeof e?.code === 'string' ? e.code : ErrorCodes.INVALID_INPUT;
  const message = typeof e?.message === 'string' ? e.message : String(error);
  return { index, error: { code, message } };
}

function isFatal(error: unknown, signal: AbortSignal | undefined): boolean {
  if (signal?.aborted) return true;
  const e = error as { code?: unknown; name?: unknown } | null | undefined;
  if (e?.name === 'AbortError') return true;
  return typeof e?.code === 'string' && FATAL_CODES.includes(e.code);
}

function windows(source: unknown, o: CoreOptions, worker: Worker): AsyncIterableIterator<unknown> {
  checkSource(source);
  return windowLoop(source, o, worker);
}

async function* windowLoop(source: unknown, o: CoreOptions, worker: Worker): AsyncIterableIterator<unknown> {
  const it = openSource(source);
  const started = performance.now();
  let pulled = 0;
  let exhausted = false;
  let done = 0;
  let errors = 0;
  let tokens: number | undefined;

  // A read an earlier window stopped waiting for: the next window starts with it.
  let carried: Promise<IteratorResult<unknown>> | undefined;
  // Reads of an async source end as soon as the signal aborts (one listener for the stream, not one per row).
  let rejectWait: ((reason: unknown) => void) | undefined;
  const onAbort = () => rejectWait?.(abortReason(o.signal!));
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const wait = <T>(promise: Promise<T>): Promise<T> => {
    if (!o.signal) return promise;
    if (o.signal.aborted) return Promise.reject(abortReason(o.signal));
    return new Promise<T>((resolve, reject) => {
      rejectWait = reject;
      promise.then(resolve, reject);
    });
  };
  const readWindow = async (): Promise<Window> => {
    const rows: Row[] = [];
    let budget = 0;
    let deadline: Promise<typeof WAITED> | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      while (rows.length < o.batchRows && budget < o.batchTokens) {
        const step = carried ?? it.next();
        carried = undefined;
        let result: IteratorResult<unknown>;
        if (step instanceof Promise) {
          if (rows.length > 0 && deadline === undefined && Number.isFinite(o.maxWaitMs)) {
            deadline = new Promise((resolve) => (timer = setTimeout(resolve, o.maxWaitMs, WAITED)));
          }
          const first = await wait<IteratorResult<unknown> | typeof WAITED>(deadline ? Promise.race([step, deadline]) : step);
          if (first === WAITED) {
            // The window has waited long enough for a slow source: run the rows it has.
            carried = step;
            step.catch(() => {}); // awaited by the next window
            return { rows, last: false };
          }
          result = first as IteratorResult<unknown>;
        } else result = step;
        if (result.done) {
          exhausted = true;
          return { rows, last: true };
        }
        const index = pulled++;
        try {
          const input = o.toInput ? o.toInput(result.value, index) : result.value;
          worker.validate?.(input);
          budget += worker.estimate(input);
          rows.push({ index, input });
        } catch (error) {
          if (isFatal(error, o.signal)) throw error;
          rows.push({ index, error: rowError(error, index) });
          budget += 1;
        }
      }
      return { rows, last: false };
    } finally {
      if (timer) clearTimeout(timer);
    }
  };

  const report = (rows: number, tokensNow: number | undefined) => {
    o.onProgress?.({ rows, errors, tokens: tokensNow, elapsedMs: performance.now() - started });
  };

  let pending: Promise<Window> | undefined;
  let closed = false;
  try {
    o.signal?.throwIfAborted();
    await worker.prepare?.();
    pending = readWindow();
    for (;;) {
      const window = await pending;
      pending = undefined;
      if (!window.last && o.prefetch) {
        pending = readWindow();
        pending.catch(() => {}); // awaited (and thrown) on the next turn; never unhandled
      }
      if (window.rows.length > 0) {
        o.signal?.throwIfAborted();
        const outcome = await runWindow(window.rows, o, worker, (fraction, windowTokens) =>
          report(
            done + Math.floor(window.rows.length * fraction),
            windowTokens === undefined ? tokens : (tokens ?? 0) + Math.round(windowTokens * fraction),
          ),
        );
        if (outcome.tokens !== undefined) tokens = (tokens ?? 0) + outcome.tokens;
        for (const r of outcome.results) if (isRowError(r)) errors++;
        done += window.rows.length;
        report(done, tokens);
        for (const result of outcome.results) {
          if (!o.yieldErrors && isRowError(result)) {
            throw Object.assign(new Error(result.error.message), { code: result.error.code, index: result.index });
          }
          yield result;
        }
      }
      if (window.last) {
        closed = true;
        return;
      }
      if (!pending) pending = readWindow();
    }
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    if (!closed && !exhausted) {
      // Stopped early (break, error, abort): release the source once any read in flight settles.
      const inFlight = pending ?? carried;
      if (inFlight) {
        const close = () => {
          try {
            void Promise.resolve(it.close()).catch(() => {});
          } catch {
            // as below
          }
        };
        void (inFlight as Promise<unknown>).then(close, close);
      } else {
        try {
          await it.close();
        } catch {
          // the source's own cleanup error does not replace the stream's
        }
      }
    }
  }
}

const ROW_ERROR = Symbol('rowError');
const WAITED = Symbol('waited');

/** True for the {@link StreamRowError} a stream yields in place of a failed row's result (`onRowError: 'yield'`). */
export function isStreamRowError(value: unknown): value is StreamRowError {
  return isRowError(value);
}

function isRowError(value: unknown): value is StreamRowError {
  return typeof value === 'object' && value !== null && (value as { [ROW_ERROR]?: boolean })[ROW_ERROR] === true;
}

function markRowError(e: StreamRowError): StreamRowError {
  // Marked so a result that happens to look like { index, error } is never taken for one.
  Object.defineProperty(e, ROW_ERROR, { value: true, enumerable: false });
  return e;
}

async function runWindow(
  rows: Row[],
  o: CoreOptions,
  worker: Worker,
  progress: (fraction: number, tokens?: number) => void,
): Promise<{ results: unknown[]; tokens: number | undefined }> {
  const results: unknown[] = new Array(rows.length);
  const live: number[] = [];
  rows.forEach((row, i) => {
    if (row.error) {
      if (!o.yieldErrors) {
        throw Object.assign(new Error(row.error.error.message), { code: row.error.error.code, index: row.error.index });
      }
      results[i] = markRowError(row.error);
    } else live.push(i);
  });
  let tokens: number | undefined;
  const fail = (at: number, error: unknown) => {
    results[at] = markRowError(renumber(rowError(error, rows[at].index), rows[at].index));
  };

  const solve = async (positions: number[], share: number): Promise<void> => {
    if (positions.length === 0) return;
    try {
      const out = await worker.run(
        positions.map((p) => rows[p].input),
        (fraction, callTokens) => share > 0 && progress(share * fraction, callTokens),
      );
      positions.forEach((p, k) => (results[p] = out.results[k]));
      if (out.tokens !== undefined) tokens = (tokens ?? 0) + out.tokens;
    } catch (error) {
      if (!o.yieldErrors || !worker.rowErrors || isFatal(error, o.signal)) throw error;
      if (positions.length === 1) {
        fail(positions[0], error);
        return;
      }
      // A message naming `inputs[k]` points at the row; otherwise halve the window until the rows at fault are alone.
      const hint = /^inputs\[(\d+)\]/.exec(String((error as { message?: unknown })?.message ?? ''));
      const k = hint ? Number(hint[1]) : -1;
      if (k >= 0 && k < positions.length) {
        fail(positions[k], error);
        const before = positions.slice(0, k);
        const after = positions.slice(k + 1);
        const mid = after.length >> 1;
        await solve(before, 0);
        await solve(after.slice(0, mid), 0);
        await solve(after.slice(mid), 0);
      } else {
        const mid = positions.length >> 1;
        await solve(positions.slice(0, mid), 0);
        await solve(positions.slice(mid), 0);
      }
    }
  };
  await solve(live, 1);
  return { results, tokens };
}

/** Rewrites a leading `inputs[k]` (k: the row's index in the failed call) to the row's index in the stream. */
function renumber(e: StreamRowError, index: number): StreamRowError {
  e.error.message = e.error.message.replace(/^inputs\[\d+\]/, `inputs[${index}]`);
  return e;
}

// ---------------------------------------------------------------------------------------------------------
// Pipelines and tokens.

function lengthLimit(pipe: PipelineLike, runOptions: Record<string, unknown>): number {
  const max = pipe.model.config.max_position_embeddings;
  if (pipe.task === 'question-answering') return Number.MAX_SAFE_INTEGER;
  const given = runOptions.maxLength;
  return typeof given === 'number' && given > 0 ? Math.min(given, max) : max;
}

/** Upper estimate of an input's tokens before tokenizing: UTF-16 length + 2 per text, at most `limit`. */
function estimateTokens(input: unknown, limit: number | undefined): number {
  const cap = (n: number) => (limit === undefined ? n : Math.min(n, limit));
  if (typeof input === 'string') return cap(input.length + 2);
  if (Array.isArray(input)) return cap(input.reduce((n: number, t) => n + (typeof t === 'string' ? t.length + 1 : 0), 1));
  if (input !== null && typeof input === 'object') {
    const v = input as { text?: unknown; textPair?: unknown; question?: unknown; context?: unknown; choices?: unknown };
    const len = (t: unknown) => (typeof t === 'string' ? t.length + 1 : 0);
    if (v.text !== undefined) return cap(len(v.text) + len(v.textPair) + 1);
    if (Array.isArray(v.choices)) return v.choices.reduce((n: number, c) => n + cap(len(v.question) + len(c) + 1), 0);
    if (v.context !== undefined) return len(v.question) + len(v.context) + 1;
  }
  return 1;
}

/** @internal A pipeline's call result as one value per input (pooled embeddings: a [hidden] Tensor per row). */
export function splitRows(out: unknown, n: number): unknown[] {
  if (out instanceof Tensor) {
    const width = out.dims[1];
    const data = out.data as Float32Array;
    return Array.from({ length: n }, (_, i) => new Tensor('float32', data.slice(i * width, (i + 1) * width), [width]));
  }
  if (!Array.isArray(out) || out.length !== n) {
    throw albertError(ErrorCodes.INTERNAL, `the pipeline returned ${describe(out)} for ${n} inputs`);
  }
  return out;
}

/** The text rows a pipeline's inputs tokenize to, for counting. */
function tokenRows(items: unknown[]): { rows: Array<[string, string | undefined]>; truncate: boolean[] } {
  const rows: Array<[string, string | undefined]> = [];
  const truncate: boolean[] = [];
  for (const item of items) {
    if (typeof item === 'string') {
      rows.push([item, undefined]);
      truncate.push(true);
      continue;
    }
    const v = item as { text?: string; textPair?: string; question?: string; context?: string; choices?: string[] };
    if (typeof v.text === 'string') {
      rows.push([v.text, v.textPair]);
      truncate.push(true);
    } else if (Array.isArray(v.choices)) {
      for (const choice of v.choices) {
        rows.push([v.question ?? '', choice]);
        truncate.push(true);
      }
    } else if (typeof v.context === 'string') {
      rows.push([v.question ?? '', v.context]);
      truncate.push(false);
    }
  }
  return { rows, truncate };
}

async function countPipelineTokens(tokenizer: Tokenizer, items: unknown[], maxLength: number): Promise<number> {
  const { rows, truncate } = tokenRows(items);
  const cut = rows.filter((_, i) => truncate[i]);
  const whole = rows.filter((_, i) => !truncate[i]);
  let n = 0;
  if (cut.length > 0) n += sum((await encodeWindow(tokenizer, cut, { maxLength, truncation: true }, false)).lengths);
  if (whole.length > 0) n += sum((await encodeWindow(tokenizer, whole, { truncation: false }, false)).lengths);
  return n;
}

function sum(values: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) n += values[i];
  return n;
}

/** A TokenizeInput as [text, textPair?]; throws for anything else. */
function toTokenizeRow(input: unknown): [string, string | undefined] {
  if (typeof input === 'string') return [input, undefined];
  if (Array.isArray(input) && input.length === 2 && typeof input[0] === 'string' && typeof input[1] === 'string') return [input[0], input[1]];
  if (input !== null && typeof input === 'object' && !Array.isArray(input)) {
    const v = input as { text?: unknown; textPair?: unknown };
    if (typeof v.text === 'string' && (v.textPair === undefined || typeof v.textPair === 'string')) return [v.text, v.textPair as string | undefined];
  }
  throw albertError(ErrorCodes.INVALID_INPUT, `a row must be a text, { text, textPair } or [text, textPair] (got ${describe(input)})`, true);
}

/**
 * Token ids (or only lengths) of many rows through encodeBatch on native threads: rows sorted by length and
 * encoded in groups of bounded padded size, singles and pairs apart.
 */
async function encodeWindow(
  tokenizer: Tokenizer,
  rows: Array<[string, string | undefined]>,
  options: EncodeOptions,
  wantIds: boolean,
): Promise<{ lengths: Int32Array; ids?: number[][] }> {
  const lengths = new Int32Array(rows.length);
  const ids: number[][] | undefined = wantIds ? new Array(rows.length) : undefined;
  const { addSpecialTokens, maxLength, truncation } = options;
  const cap = (n: number) => (maxLength !== undefined && truncation !== false ? Math.min(n, maxLength) : n);
  // Byte-fallback pieces can make a character two tokens: estimate generously.
  const estimate = (r: [string, string | undefined]) => cap(2 * (r[0].length + (r[1]?.length ?? 0)) + 4);
  for (const pairs of [false, true]) {
    const order: number[] = [];
    rows.forEach((r, i) => {
      if ((r[1] !== undefined) === pairs) order.push(i);
    });
    order.sort((a, b) => estimate(rows[b]) - estimate(rows[a]));
    for (let start = 0; start < order.length; ) {
      const longest = Math.max(1, estimate(rows[order[start]]));
      const count = Math.max(1, Math.min(order.length - start, Math.floor(CELLS_PER_ENCODE / longest)));
      const group = order.slice(start, start + count);
      start += count;
      const texts = pairs ? group.map((i) => [rows[i][0], rows[i][1]!] as [string, string]) : group.map((i) => rows[i][0]);
      const batch = await tokenizer.encodeBatch(texts as string[] | Array<[string, string]>, { addSpecialTokens, maxLength, truncation, padding: 'longest' });
      const seqLen = batch.inputIds.dims[1];
      const data = batch.inputIds.data;
      group.forEach((i, row) => {
        const n = batch.lengths[row];
        lengths[i] = n;
        if (ids) {
          const out = new Array<number>(n);
          const at = row * seqLen;
          for (let t = 0; t < n; t++) out[t] = data[at + t];
          ids[i] = out;
        }
      });
    }
  }
  return { lengths, ids };
}
