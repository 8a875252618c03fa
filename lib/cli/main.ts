/**
 * The `albert-node` command: runs a pipeline (or the tokenizer) over JSONL, CSV/TSV or plain-text rows from
 * files or stdin and writes one JSON line per row, in input order. See `albert-node --help`.
 */
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { isStreamRowError, type StreamRowError } from '../stream';
import { COMMAND_NAMES, commandHelp, mainHelp, parse, UsageError, type CommandName } from './args';
import { columnIndex, createJob, type JobOptions } from './commands';
import { countRows, formatOf, readRows, type InputRow, type InputSource } from './input';
import { Output, prepareResume } from './output';
import { Progress, type ProgressStream } from './progress';
import type { DownloadProgress } from '../hub-download';

export const EXIT = { OK: 0, USAGE: 1, FAILED: 2, SIGINT: 130, SIGTERM: 143 } as const;

export interface CliIO {
  stdin: Readable;
  stdout: Writable;
  stderr: ProgressStream & Writable;
  /** Signal handlers: the CLI installs its own for SIGINT/SIGTERM (tests can leave them out). */
  signals?: { on(signal: 'SIGINT' | 'SIGTERM', handler: () => void): unknown; off(signal: 'SIGINT' | 'SIGTERM', handler: () => void): unknown };
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Runs the CLI with these arguments (without `node` and the script); resolves to the exit code. */
export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr.write(mainHelp(version()));
    return EXIT.USAGE;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    const topic = rest[0];
    if (topic !== undefined && (COMMAND_NAMES as readonly string[]).includes(topic)) io.stdout.write(commandHelp(topic as CommandName));
    else io.stdout.write(mainHelp(version()));
    return EXIT.OK;
  }
  if (first === '--version' || first === '-v') {
    io.stdout.write(`${version()}\n`);
    return EXIT.OK;
  }
  if (!(COMMAND_NAMES as readonly string[]).includes(first)) {
    io.stderr.write(`albert-node: unknown command ${JSON.stringify(first)}: one of ${COMMAND_NAMES.join(', ')}\nRun 'albert-node --help' for usage.\n`);
    return EXIT.USAGE;
  }
  const command = first as CommandName;
  let settings: Settings;
  try {
    const parsed = parse(command, rest);
    if (parsed.values.help) {
      io.stdout.write(commandHelp(command));
      return EXIT.OK;
    }
    settings = validate(command, parsed.values, parsed.files);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`albert-node ${command}: ${error.message}\nRun 'albert-node ${command} --help' for its options.\n`);
      return EXIT.USAGE;
    }
    throw error;
  }
  return execute(command, settings, io);
}

interface Settings {
  job: JobOptions;
  sources: InputSource[];
  header: boolean;
  out?: string;
  resume: boolean;
  strict: boolean;
  quiet: boolean;
  interval: number;
}

function integer(values: Parsed['values'], name: string, min: number): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^-?[0-9]+$/.test(v.trim()) || Number(v) < min || !Number.isSafeInteger(Number(v))) {
    throw new UsageError(`--${name} must be an integer >= ${min} (got ${JSON.stringify(v)})`);
  }
  return Number(v);
}

type Parsed = ReturnType<typeof parse>;

function validate(command: CommandName, values: Parsed['values'], files: string[]): Settings {
  const str = (name: string) => values[name] as string | undefined;
  const flag = (name: string) => values[name] === true;
  const model = str('model');
  if (model === undefined || model === '') throw new UsageError('--model is required (a model folder, TensorFlow checkpoint, .tar.gz or Hub id)');
  const field = str('field');
  const column = str('column');
  if (field !== undefined && column !== undefined && field !== column) throw new UsageError('--field and --column are the same option: give one');
  const header = !flag('no-header');
  let text = field ?? column ?? (header ? 'text' : '1');

  const formatOption = str('format') ?? 'auto';
  const inputs = files.length === 0 ? ['-'] : files;
  if (inputs.filter((f) => f === '-').length > 1) throw new UsageError('stdin (-) can be read only once');
  const sources: InputSource[] = inputs.map((name) => ({
    name,
    format: formatOption !== 'auto' ? (formatOption as InputSource['format']) : name === '-' ? 'auto-stdin' : formatOf(name),
  }));
  const hasCsv = sources.some((s) => s.format === 'csv' || s.format === 'tsv');
  const hasLines = sources.some((s) => s.format === 'lines');
  const fieldPair = str('field-pair');
  if (hasLines && command === 'qa') throw new UsageError('qa needs a question and a context per row: give JSONL or CSV/TSV input (--format)');
  if (hasLines && fieldPair !== undefined) throw new UsageError('--field-pair needs JSONL or CSV/TSV input: a plain line holds one text');
  const questionField = str('question-field') ?? 'question';
  const contextField = str('context-field') ?? 'context';
  if (hasCsv && !header) {
    for (const [name, value] of [
      ['--field', command === 'qa' ? undefined : text],
      ['--field-pair', fieldPair],
      ['--question-field', command === 'qa' ? questionField : undefined],
      ['--context-field', command === 'qa' ? contextField : undefined],
    ] as const) {
      if (value !== undefined && columnIndex(undefined, value) === undefined) {
        throw new UsageError(`with --no-header, ${name} must be a column number (got ${JSON.stringify(value)})`);
      }
    }
  }
  if (!hasCsv && field === undefined && column === undefined) text = 'text';

  const out = str('out');
  const resume = flag('resume');
  if (resume && out === undefined) throw new UsageError('--resume needs --out FILE (the file to complete)');
  if (out !== undefined) {
    const target = path.resolve(out);
    if (inputs.some((f) => f !== '-' && path.resolve(f) === target)) throw new UsageError(`--out ${out} is also an input file`);
  }

  let topK: number | null | undefined;
  const k = str('top-k');
  if (command === 'classify' && k === 'all') topK = null;
  else topK = integer(values, 'top-k', 1);

  const truncation = str('truncation');
  const ignore = str('ignore-labels');
  const targets = str('targets');
  const intervalText = str('progress-interval');
  const interval = intervalText === undefined ? 5 : Number(intervalText);
  if (!(interval > 0) || !Number.isFinite(interval)) throw new UsageError(`--progress-interval must be a number of seconds > 0 (got ${JSON.stringify(intervalText)})`);

  const cacheDir = str('cache-dir');
  if (cacheDir === '') throw new UsageError('--cache-dir must be a folder path');
  const job: JobOptions = {
    model,
    onDownload: flag('quiet') ? undefined : downloadReporter(),
    cacheDir,
    revision: str('revision'),
    offline: flag('offline'),
    field: text,
    fieldPair,
    questionField,
    contextField,
    idField: str('id-field') ?? 'id',
    threads: integer(values, 'threads', 1),
    batchTokens: integer(values, 'batch-tokens', 1),
    batchRows: integer(values, 'batch-rows', 1),
    maxLength: integer(values, 'max-length', command === 'qa' ? 4 : 1),
    truncation,
    pooling: (str('pooling') ?? 'mean') as JobOptions['pooling'],
    normalize: flag('normalize'),
    topK,
    functionToApply: (str('function') ?? 'auto') as JobOptions['functionToApply'],
    aggregation: (str('aggregation') ?? 'none') as JobOptions['aggregation'],
    ignoreLabels: ignore === undefined ? ['O'] : ignore.split(',').map((s) => s.trim()).filter((s) => s.length > 0),
    targets: targets === undefined ? undefined : targets.split(',').filter((s) => s.length > 0),
    docStride: integer(values, 'doc-stride', 0),
    maxAnswerLen: integer(values, 'max-answer-len', 1),
    maxQuestionLen: integer(values, 'max-question-len', 1),
    handleImpossible: flag('handle-impossible'),
    specialTokens: !flag('no-special-tokens'),
    offsets: flag('offsets'),
  };
  return { job, sources, header, out, resume, strict: flag('strict'), quiet: flag('quiet'), interval };
}

/** A FIFO of the rows handed to the stream, matched in order with what it yields. */
class RowQueue {
  #items: Array<InputRow | undefined> = [];
  #head = 0;
  push(row: InputRow): void {
    this.#items.push(row);
  }
  shift(): InputRow | undefined {
    const row = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head >= 4096 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return row;
  }
}

class InputError extends Error {}

/** A pipeline's message about `inputs[k]` (k: the row's place in the stream) said of "the row" (the record has its line). */
function rowMessage(message: string): string {
  return message.replace(/^inputs\[\d+\](?:\.(\w+))?/, (_, field?: string) => (field ? `the row's ${field}` : 'the row'));
}

async function execute(command: CommandName, s: Settings, io: CliIO): Promise<number> {
  const progress = new Progress({ stream: io.stderr, quiet: s.quiet, interval: s.interval, label: command });
  const fail = (message: string) => io.stderr.write(`albert-node ${command}: ${message}\n`);

  for (const source of s.sources) {
    if (source.name === '-') continue;
    try {
      if (!statSync(source.name).isFile()) throw new Error('not a regular file');
    } catch (error) {
      fail(`cannot read ${source.name}: ${(error as Error).message}`);
      return EXIT.FAILED;
    }
  }

  // Signals: the first stops the run cleanly, a second one exits at once.
  const controller = new AbortController();
  let interrupted: number | undefined;
  const signals = io.signals;
  const onSignal = (code: number) => () => {
    if (interrupted !== undefined) process.exit(interrupted);
    interrupted = code;
    controller.abort();
    progress.note('interrupted: finishing the lines already computed (signal again to quit at once)');
  };
  const onInt = onSignal(EXIT.SIGINT);
  const onTerm = onSignal(EXIT.SIGTERM);
  signals?.on('SIGINT', onInt);
  signals?.on('SIGTERM', onTerm);
  try {
    let skip = 0;
    if (s.resume && s.out !== undefined) {
      try {
        skip = prepareResume(s.out);
      } catch (error) {
        fail(`--resume: cannot read ${s.out}: ${(error as Error).message}`);
        return EXIT.FAILED;
      }
    }

    if (io.stderr.isTTY) progress.note(`loading ${s.job.model}`);
    let job;
    try {
      job = await createJob(command, s.job);
    } catch (error) {
      const e = error as { code?: string; message?: string };
      fail(`cannot load the model: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(error)}`);
      return EXIT.FAILED;
    }
    if (interrupted !== undefined) {
      job.dispose();
      return interrupted;
    }
    progress.note(`loaded ${job.description}${skip > 0 ? `; --resume: ${s.out} has ${skip} results, skipping as many rows` : ''}`);

    let output: Output;
    try {
      output = new Output(s.out, s.resume, io.stdout);
    } catch (error) {
      job.dispose();
      fail(`cannot write ${s.out}: ${(error as Error).message}`);
      return EXIT.FAILED;
    }

    // The row count, for the ETA: files only, counted in the background.
    if (progress.enabled && s.sources.every((x) => x.name !== '-')) {
      Promise.all(s.sources.map((x) => countRows(x.name, x.format, s.header)))
        .then((counts) => progress.setTotal(counts.reduce((a, b) => a + b, 0)))
        .catch(() => {});
    }

    const queue = new RowQueue();
    const several = s.sources.length > 1;
    let toSkip = skip;
    let inputRows = 0;
    const checked = new WeakSet<Map<string, number>>();
    const required = command === 'qa' ? [s.job.questionField, s.job.contextField] : [s.job.field, ...(s.job.fieldPair ? [s.job.fieldPair] : [])];
    async function* rows(): AsyncGenerator<InputRow> {
      for await (const row of readRows(s.sources, s.header, io.stdin)) {
        // A CSV header without a column the command needs: every row would fail, so stop.
        if (row.header && !checked.has(row.header)) {
          checked.add(row.header);
          for (const name of required) {
            if (columnIndex(row.header, name) === undefined) {
              throw new InputError(`${row.file}: no column ${JSON.stringify(name)} in the header (columns: ${[...row.header.keys()].map((k) => JSON.stringify(k)).join(', ')})`);
            }
          }
        }
        inputRows++;
        if (toSkip > 0) {
          toSkip--;
          continue;
        }
        queue.push(row);
        yield row;
      }
    }

    progress.start(skip);
    let written = 0;
    let errors = 0;
    let tokens: number | undefined;
    let strictError: string | undefined;
    let fatal: string | undefined;
    const head = (row: InputRow) => {
      const h: Record<string, unknown> = several ? { file: row.file, line: row.line } : { line: row.line };
      if (row.id !== undefined) h.id = row.id;
      return h;
    };
    try {
      const results = job.run(rows(), {
        batchRows: s.job.batchRows,
        signal: controller.signal,
        onRowError: 'yield',
        countTokens: progress.enabled,
        onProgress: (p) => {
          tokens = p.tokens;
          progress.update(p.rows, p.tokens, p.errors);
        },
      });
      for await (const result of results) {
        const row = queue.shift()!;
        if (interrupted !== undefined) break;
        let text: string;
        if (isStreamRowError(result)) {
          const e = (result as StreamRowError).error;
          if (s.strict) {
            strictError = `${several ? `${row.file}: ` : ''}line ${row.line}${row.id !== undefined ? ` (id ${JSON.stringify(row.id)})` : ''}: ${e.code}: ${rowMessage(e.message)}`;
            break;
          }
          errors++;
          text = JSON.stringify({ ...head(row), error: { code: e.code, message: rowMessage(e.message) } });
        } else {
          text = JSON.stringify({ ...head(row), ...job.payload(result) });
        }
        await output.line(text);
        written++;
        if (output.closedByReader || output.error) break;
      }
    } catch (error) {
      if (interrupted === undefined) {
        const e = error as { code?: string; message?: string };
        fatal = error instanceof InputError ? e.message! : `${e.code ? `${e.code}: ` : ''}${e.message ?? String(error)}`;
      }
    }
    await output.close();
    job.dispose();
    progress.update(written, tokens, errors);

    if (output.error) {
      progress.finish(undefined);
      fail(`cannot write ${s.out ?? 'stdout'}: ${output.error.message}`);
      return EXIT.FAILED;
    }
    if (interrupted !== undefined) {
      progress.finish(progress.summary('interrupted after'));
      if (s.out !== undefined && !s.quiet) fail(`${s.out} ends with complete lines; run the same command with --resume to finish it`);
      return interrupted;
    }
    if (strictError !== undefined) {
      progress.finish(progress.summary('stopped after'));
      fail(`--strict: ${strictError}`);
      return EXIT.FAILED;
    }
    if (fatal !== undefined) {
      progress.finish(progress.summary('stopped after'));
      fail(fatal);
      return EXIT.FAILED;
    }
    if (toSkip > 0 && !output.closedByReader) {
      progress.finish(undefined);
      fail(`--resume: ${s.out} has ${skip} result lines but the input has only ${inputRows} rows: is it the output of this input?`);
      return EXIT.FAILED;
    }
    progress.finish(progress.summary(output.closedByReader ? 'stdout was closed by its reader after' : 'done:'));
    return EXIT.OK;
  } finally {
    signals?.off('SIGINT', onInt);
    signals?.off('SIGTERM', onTerm);
    progress.finish(undefined);
  }
}

/** The entry point of bin/albert-node.js. */
export function main(argv: readonly string[] = process.argv.slice(2)): void {
  const io: CliIO = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, signals: process };
  run(argv, io).then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`albert-node: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exit(EXIT.FAILED);
    },
  );
}

/** Hub downloads on stderr: a line redrawn in place on a terminal, one line per finished file otherwise. */
function downloadReporter(): (progress: DownloadProgress) => void {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  return ({ file, loaded, total }) => {
    const mb = (n: number) => (n / 2 ** 20).toFixed(1);
    const done = total !== undefined && loaded >= total;
    const text = `downloading ${file}: ${mb(loaded)}${total === undefined ? '' : ` / ${mb(total)}`} MiB`;
    if (tty) {
      const now = Date.now();
      if (!done && now - last < 100) return;
      last = now;
      process.stderr.write(`\r\x1b[K${text}${done ? '\n' : ''}`);
    } else if (done) {
      process.stderr.write(`${text}\n`);
    }
  };
}
