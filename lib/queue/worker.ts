/**
 * The worker side of albert-node/queue: a BullMQ worker that loads one pipeline and runs the batch jobs of
 * {@link enqueueJob} through it, storing each batch's results once.
 */
import { albertError, ErrorCodes } from '../errors';
import type { PipelineLoadOptions, PipelineTask } from '../pipelines';
import {
  bullOptions,
  checkTarget,
  codedSetupError,
  loadBullmq,
  putOnce,
  redisClient,
  runKeys,
  type BullJob,
  type BullWorker,
  type QueueTarget,
  type RedisLike,
} from './bullmq';
import { encodeRecord } from './codec';
import type { BatchJobData } from './producer';
import { splitRows } from '../stream';

export interface WorkerOptions extends QueueTarget {
  /** The pipeline task (`'text-classification'`, `'feature-extraction'`, ...). */
  task: PipelineTask;
  /** The model, as `pipeline()` / `fromPretrained` take it: a folder, a Hub id, a TF checkpoint or archive. */
  model: string;
  /** Options for loading the pipeline (`threads`, `dtype`, `kernel`, `cacheDir`, ...). */
  pipelineOptions?: PipelineLoadOptions;
  /**
   * Jobs this process runs at once (default 1). Each runs on the engine's native threads, which concurrent
   * calls share, so 1 or 2 is usually best; scale out with more processes or machines.
   */
  concurrency?: number;
  /** BullMQ: how long a job's lock lasts without renewal (default 30000 ms); a dead worker's job is retried after it. */
  lockDuration?: number;
  /** BullMQ: how often to look for jobs whose worker died (default 30000 ms). */
  stalledInterval?: number;
  /** BullMQ: how many times a job may lose its worker before it fails (default 1). */
  maxStalledCount?: number;
  /** Seconds to keep a run's results after its last write (default 0: until deleteRun or deleteWhenDone). */
  resultTtlSeconds?: number;
  /** Called (and awaited) before each batch runs; a throw fails that attempt as the pipeline would. */
  beforeBatch?: (batch: BatchInfo) => void | Promise<void>;
  /** Called after each job attempt, with what came of it (for logs and metrics; a throw goes to onError). */
  onBatch?: (batch: BatchOutcome) => void;
  /** Errors of the worker itself (lost Redis connection, ...) and of onBatch; default: written to stderr. */
  onError?: (error: Error) => void;
}

/** The batch a hook is called for. */
export interface BatchInfo {
  runId: string;
  batch: number;
  /** Index of the batch's first row in the run. */
  first: number;
  rows: readonly unknown[];
  /** 1 for the first try of this job, 2 for its first retry, ... */
  attempt: number;
}

/** What came of one job attempt. */
export interface BatchOutcome extends BatchInfo {
  /**
   * `stored`: its results were stored. `failed`: it failed for good and its error was stored for its rows.
   * `retry`: it failed and will be retried after the backoff. `duplicate`: the batch already had a stored
   * outcome (another delivery of the job got there first), so nothing was written.
   */
  outcome: 'stored' | 'failed' | 'retry' | 'duplicate';
  /** Milliseconds the attempt took. */
  ms: number;
  /** The attempt's error (`failed`, `retry`). */
  error?: { code: string; message: string };
}

export interface WorkerStats {
  /** Batches whose results this worker stored. */
  batches: number;
  rows: number;
  /** Batches this worker recorded as failed (their rows report the error). */
  failed: number;
  /** Jobs whose batch was already stored (a duplicate delivery) and were not run again. */
  skipped: number;
  /** Attempts that failed and will be retried. */
  retried: number;
}

/** A running worker: {@link startWorker}'s result. */
export interface QueueWorker {
  /** The loaded pipeline (a callable as `pipeline()` returns it). */
  readonly pipeline: unknown;
  /** Counts since the worker started. */
  readonly stats: Readonly<WorkerStats>;
  /** Stops taking jobs, waits for the running ones to finish and store their results, then frees the model. */
  close(): Promise<void>;
}

/** Error codes that a retry cannot fix: the batch's input is at fault, so it fails at once. */
const PERMANENT: readonly string[] = [
  ErrorCodes.INVALID_INPUT,
  ErrorCodes.INPUT_OUT_OF_RANGE,
  ErrorCodes.SEQUENCE_TOO_LONG,
  ErrorCodes.UNSUPPORTED,
];

type RunnablePipeline = ((inputs: unknown[], options?: Record<string, unknown>) => Promise<unknown>) & { dispose(): void };

/**
 * Loads the pipeline once and starts a BullMQ worker on `queueName` that runs batch jobs: each batch runs as
 * one pipeline call, and its results (or, when it fails for good, its coded error) are stored under the run
 * with a write that only the first completion of the batch makes, so a job run twice (BullMQ delivers at
 * least once) never duplicates or changes output. A failed attempt is retried with the job's backoff
 * unless its error is the input's fault (`ERR_ALBERT_INVALID_INPUT`, `..._INPUT_OUT_OF_RANGE`,
 * `..._SEQUENCE_TOO_LONG`, `..._UNSUPPORTED`). Resolves when the worker is connected and taking jobs.
 */
export async function startWorker(options: WorkerOptions): Promise<QueueWorker> {
  checkTarget(options, 'startWorker');
  const concurrency = options.concurrency ?? 1;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw albertError(ErrorCodes.INVALID_INPUT, `startWorker: concurrency must be a positive integer (got ${String(concurrency)})`, true);
  }
  const bull = loadBullmq();
  // Loaded here so that producers and collectors never load the native addon.
  const { pipeline } = require('../pipelines') as typeof import('../pipelines');
  const pipe = (await pipeline(options.task, options.model, options.pipelineOptions ?? {})) as unknown as RunnablePipeline;
  const stats: WorkerStats = { batches: 0, rows: 0, failed: 0, skipped: 0, retried: 0 };
  const task = options.task;
  const ttl = options.resultTtlSeconds ?? 0;
  let client: RedisLike | undefined;
  const onError = options.onError ?? ((error: Error) => process.stderr.write(`albert-node/queue worker: ${error.message}\n`));

  const processBatch = async (job: BullJob): Promise<unknown> => {
    let data: BatchJobData;
    try {
      data = checkJob(job.data);
    } catch (error) {
      throw new bull.UnrecoverableError((error as Error).message);
    }
    const keys = runKeys(options, data.runId);
    const field = String(data.batch);
    client ??= await redisClient(worker);
    const info: BatchInfo = { runId: data.runId, batch: data.batch, first: data.first, rows: data.rows, attempt: job.attemptsMade + 1 };
    const started = Date.now();
    const report = (outcome: BatchOutcome['outcome'], error?: BatchOutcome['error']) => {
      if (outcome === 'duplicate') stats.skipped++;
      try {
        options.onBatch?.({ ...info, outcome, ms: Date.now() - started, ...(error && { error }) });
      } catch (hookError) {
        onError(hookError instanceof Error ? hookError : new Error(String(hookError)));
      }
    };
    if ((await client.hexists(keys.results, field)) === 1) {
      report('duplicate');
      return { stored: false };
    }
    try {
      if (data.task !== undefined && data.task !== task) {
        throw albertError(ErrorCodes.INVALID_INPUT, `run ${data.runId} is for task ${data.task}, but this worker runs ${task}`);
      }
      await options.beforeBatch?.(info);
      const results = splitRows(await pipe(data.rows, { ...data.options }), data.rows.length);
      const stored = await putOnce(client, keys.results, field, encodeRecord({ v: 1, ok: true, first: data.first, results }), ttl);
      if (stored) {
        stats.batches++;
        stats.rows += results.length;
      }
      report(stored ? 'stored' : 'duplicate');
      return { stored };
    } catch (thrown) {
      const error = codedMessage(thrown);
      error.message += ` (run ${data.runId}, batch ${data.batch}, whose first row is row ${data.first})`;
      const permanent = PERMANENT.includes(error.code);
      if (permanent || job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
        const record = encodeRecord({ v: 1, ok: false, first: data.first, count: data.rows.length, error });
        const stored = await putOnce(client, keys.results, field, record, ttl);
        if (stored) stats.failed++;
        report(stored ? 'failed' : 'duplicate', error);
      } else {
        stats.retried++;
        report('retry', error);
      }
      if (permanent) throw new bull.UnrecoverableError(`${error.code}: ${error.message}`);
      throw thrown;
    }
  };

  let worker: BullWorker;
  try {
    worker = new bull.Worker(options.queueName, processBatch, {
      ...bullOptions(options),
      concurrency,
      ...(options.lockDuration !== undefined && { lockDuration: options.lockDuration }),
      ...(options.stalledInterval !== undefined && { stalledInterval: options.stalledInterval }),
      ...(options.maxStalledCount !== undefined && { maxStalledCount: options.maxStalledCount }),
    });
    worker.on('error', onError);
    await worker.waitUntilReady();
  } catch (error) {
    pipe.dispose();
    throw codedSetupError(error);
  }

  let closing: Promise<void> | undefined;
  return {
    pipeline: pipe,
    get stats() {
      return { ...stats };
    },
    close() {
      closing ??= worker.close().finally(() => pipe.dispose());
      return closing;
    },
  };
}

function checkJob(data: unknown): BatchJobData {
  const d = data as Partial<BatchJobData> | null;
  if (
    d === null ||
    typeof d !== 'object' ||
    typeof d.runId !== 'string' ||
    !Number.isSafeInteger(d.batch) ||
    !Number.isSafeInteger(d.first) ||
    !Array.isArray(d.rows)
  ) {
    throw albertError(ErrorCodes.INVALID_INPUT, 'the job is not an albert-node batch job ({ runId, batch, first, rows })');
  }
  return d as BatchJobData;
}

function codedMessage(error: unknown): { code: string; message: string } {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string' && code.startsWith('ERR_ALBERT_')) return { code, message };
  return { code: ErrorCodes.JOB_FAILED, message: code === undefined ? message : `${String(code)}: ${message}` };
}
