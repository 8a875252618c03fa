/**
 * The producer side of albert-node/queue: split rows into batch jobs ({@link enqueueJob}), read the results
 * back in input order as batches complete ({@link collectResults}), and remove a run ({@link deleteRun}).
 */
import { randomUUID } from 'node:crypto';
import { albertError, ErrorCodes } from '../errors';
import {
  bullOptions,
  checkRunId,
  checkTarget,
  codedSetupError,
  jobId,
  loadBullmq,
  putOnce,
  redisClient,
  runKeys,
  type BullJobOptions,
  type BullQueue,
  type QueueTarget,
  type RedisLike,
  type RunKeys,
} from './bullmq';
import { decodeRecord, encodeRecord } from './codec';

/** What one job carries: a batch of rows of a run, and the pipeline call options for them. */
export interface BatchJobData<R = unknown> {
  runId: string;
  /** 0-based batch index within the run. */
  batch: number;
  /** Index of the batch's first row in the run's input. */
  first: number;
  rows: R[];
  /** The pipeline task the producer expects (a worker of another task fails the job); absent: any. */
  task?: string;
  /** Options passed to every pipeline call (`topK`, `pooling`, `maxLength`, ...); JSON values only. */
  options?: Record<string, unknown>;
}

export interface EnqueueOptions<R = unknown> extends QueueTarget {
  /** The inputs, one pipeline input per row (texts, `{ text, textPair }`, `{ question, context }`, ...). */
  rows: Iterable<R> | AsyncIterable<R>;
  /**
   * Names the run: jobs are `${runId}.b${batch}` and results are kept under it. Default: a random UUID. Enqueuing
   * again with the same runId (after a crash of the producer, say) adds only the batches that have no result
   * yet and never duplicates one.
   */
  runId?: string;
  /** Rows per job (default 64). A re-run of a runId must use the same value. */
  batchRows?: number;
  /** The task the rows are for; a worker that runs another task fails these jobs (`ERR_ALBERT_INVALID_INPUT`). */
  task?: string;
  /** Pipeline call options for every batch (JSON values: `{ topK: 3 }`, `{ pooling: 'mean', normalize: true }`). */
  pipelineCallOptions?: Record<string, unknown>;
  /** Tries per job before its rows are reported as errors (default 3; input errors are never retried). */
  attempts?: number;
  /** Delay before retry n: `backoffMs * 2^(n-1)` (BullMQ's exponential backoff; default 1000). */
  backoffMs?: number;
  /**
   * More BullMQ job options (`priority`, `removeOnFail`, ...). Defaults: `removeOnComplete: true` (results are
   * kept in the run's hash), `removeOnFail: false` (a failed job stays for inspection).
   */
  jobOptions?: Record<string, unknown>;
}

export interface EnqueueResult {
  runId: string;
  /** Rows in the run. */
  total: number;
  /** Batches (jobs) in the run. */
  batches: number;
  /** Jobs added by this call. */
  enqueued: number;
  /** Batches left out because a result was already stored (a re-run of the same runId). */
  skipped: number;
}

/** Jobs added per round trip. */
const JOBS_PER_ADD = 64;

/**
 * Splits `rows` into batches of `batchRows` and adds one BullMQ job per batch (data: {@link BatchJobData}).
 * Rows are read from the (async) iterable as jobs are added, so inputs of any size stream through. When all
 * are added, the run's size is stored for {@link collectResults}. Resolves when every job is in the queue.
 */
export async function enqueueJob<R>(options: EnqueueOptions<R>): Promise<EnqueueResult> {
  checkTarget(options, 'enqueueJob');
  const runId = checkRunId(options.runId ?? randomUUID(), 'enqueueJob');
  const batchRows = options.batchRows ?? 64;
  if (!Number.isSafeInteger(batchRows) || batchRows < 1) {
    throw albertError(ErrorCodes.INVALID_INPUT, `enqueueJob: batchRows must be a positive integer (got ${String(batchRows)})`, true);
  }
  const attempts = options.attempts ?? 3;
  if (!Number.isSafeInteger(attempts) || attempts < 1) {
    throw albertError(ErrorCodes.INVALID_INPUT, `enqueueJob: attempts must be a positive integer (got ${String(attempts)})`, true);
  }
  const backoffMs = options.backoffMs ?? 1000;
  if (typeof backoffMs !== 'number' || !(backoffMs >= 0)) {
    throw albertError(ErrorCodes.INVALID_INPUT, `enqueueJob: backoffMs must be a number >= 0 (got ${String(backoffMs)})`, true);
  }
  const rows = options.rows as unknown;
  if (typeof rows === 'string' || rows === null || typeof rows !== 'object' || !(Symbol.iterator in rows || Symbol.asyncIterator in rows)) {
    throw albertError(ErrorCodes.INVALID_INPUT, 'enqueueJob: rows must be an array or an (async) iterable of pipeline inputs', true);
  }
  const callOptions = options.pipelineCallOptions;
  if (callOptions !== undefined && (callOptions === null || typeof callOptions !== 'object' || Array.isArray(callOptions))) {
    throw albertError(ErrorCodes.INVALID_INPUT, 'enqueueJob: pipelineCallOptions must be an object', true);
  }

  const jobOptions: BullJobOptions = {
    removeOnComplete: true,
    removeOnFail: false,
    ...options.jobOptions,
    attempts,
    backoff: { type: 'exponential', delay: backoffMs },
  };
  const keys = runKeys(options, runId);
  return withQueue(options, async (queue, client) => {
    const meta = await readMeta(client, keys);
    if (meta && meta.batchRows !== batchRows) {
      throw albertError(ErrorCodes.INVALID_INPUT, `enqueueJob: run ${runId} was enqueued with batchRows ${meta.batchRows}, not ${batchRows}`);
    }
    let total = 0;
    let batches = 0;
    let enqueued = 0;
    let skipped = 0;
    let pending: BatchJobData<R>[] = [];
    let current: R[] = [];
    const flush = async () => {
      if (pending.length === 0) return;
      const done = await client.hmget(keys.results, ...pending.map((p) => String(p.batch)));
      const add = pending.filter((_, i) => done[i] === null);
      skipped += pending.length - add.length;
      if (add.length > 0) {
        await queue.addBulk(add.map((data) => ({ name: 'albert-batch', data, opts: { ...jobOptions, jobId: jobId(runId, data.batch) } })));
      }
      enqueued += add.length;
      pending = [];
    };
    const close = async () => {
      if (current.length === 0) return;
      const data: BatchJobData<R> = { runId, batch: batches, first: total - current.length, rows: current };
      if (options.task !== undefined) data.task = options.task;
      if (callOptions !== undefined) data.options = callOptions;
      pending.push(data);
      batches++;
      current = [];
      if (pending.length >= JOBS_PER_ADD) await flush();
    };
    for await (const row of rows as AsyncIterable<R>) {
      current.push(row);
      total++;
      if (current.length === batchRows) await close();
    }
    await close();
    await flush();
    if (meta && (meta.total !== total || meta.batches !== batches)) {
      throw albertError(ErrorCodes.INVALID_INPUT, `enqueueJob: run ${runId} was enqueued with ${meta.total} rows, not ${total}`);
    }
    await client.hset(keys.meta, { v: 1, total, batches, batchRows });
    return { runId, total, batches, enqueued, skipped };
  });
}

/** A row of a batch that failed, in place of its result: the error that failed the batch. */
export interface QueueRowError {
  /** The row's 0-based position in the run's input. */
  index: number;
  error: { code: string; message: string };
}

/** True when a collected value is a {@link QueueRowError} rather than a result. */
export function isQueueRowError(value: unknown): value is QueueRowError {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const v = value as { index?: unknown; error?: { code?: unknown } };
  return typeof v.index === 'number' && v.error !== null && typeof v.error === 'object' && typeof v.error.code === 'string' && Object.keys(value).length === 2;
}

export interface CollectOptions extends QueueTarget {
  runId: string;
  /**
   * Rows expected. Default: the size {@link enqueueJob} stores when it has added every job, so collecting can
   * start before (or while) the producer runs.
   */
  total?: number;
  /**
   * `'yield'` (default): a failed batch yields a {@link QueueRowError} for each of its rows, and the run goes on.
   * `'throw'`: the first failed batch ends the iteration with its coded error.
   */
  onRowError?: 'yield' | 'throw';
  /** How often to look for the next batch while it is not done (default 50 ms). */
  pollMs?: number;
  /**
   * How long the next batch may be missing before its job's state is checked (default 2000 ms): a job BullMQ
   * failed without a stored record (its worker died on it more often than `maxStalledCount`) is then
   * recorded as failed with `ERR_ALBERT_JOB_FAILED`, so the run never waits for it forever.
   */
  jobCheckMs?: number;
  /** Aborting ends the iteration with the signal's reason (use `AbortSignal.timeout(ms)` for a deadline). */
  signal?: AbortSignal;
  /** Delete the run's stored results once every row has been yielded (default false). */
  deleteWhenDone?: boolean;
}

/**
 * Yields the run's results in input order, one per row, as their batches complete (a batch's rows come as soon
 * as it and every batch before it are stored). Results are read from Redis, where each batch was written once
 * whatever the number of times its job ran, so every row is yielded exactly once; collecting a run again
 * yields the same values. Pooled feature-extraction rows are `[hidden]` Tensors.
 */
export function collectResults<T = unknown>(options: CollectOptions & { onRowError: 'throw' }): AsyncGenerator<T, void, undefined>;
export function collectResults<T = unknown>(options: CollectOptions): AsyncGenerator<T | QueueRowError, void, undefined>;
export async function* collectResults<T = unknown>(options: CollectOptions): AsyncGenerator<T | QueueRowError, void, undefined> {
  checkTarget(options, 'collectResults');
  const runId = checkRunId(options.runId, 'collectResults');
  const { total: expected, onRowError = 'yield', pollMs = 50, jobCheckMs = 2000, signal } = options;
  if (expected !== undefined && (!Number.isSafeInteger(expected) || expected < 0)) {
    throw albertError(ErrorCodes.INVALID_INPUT, `collectResults: total must be a non-negative integer (got ${String(expected)})`, true);
  }
  if (onRowError !== 'yield' && onRowError !== 'throw') {
    throw albertError(ErrorCodes.INVALID_INPUT, `collectResults: onRowError must be 'yield' or 'throw' (got ${String(onRowError)})`, true);
  }
  const keys = runKeys(options, runId);
  const { queue, client } = await openQueue(options);
  try {
    let meta: RunMeta | undefined;
    let batch = 0;
    let row = 0;
    let waitingSince = Date.now();
    let lastCheck = Date.now();
    for (;;) {
      signal?.throwIfAborted();
      if (meta === undefined) meta = await readMeta(client, keys);
      const totalRows = meta?.total ?? expected;
      if (totalRows !== undefined && row >= totalRows && (meta === undefined || batch >= meta.batches)) break;
      const window = meta ? Math.min(32, meta.batches - batch) : 32;
      const fields = Array.from({ length: Math.max(1, window) }, (_, i) => String(batch + i));
      const stored = await client.hmget(keys.results, ...fields);
      let progressed = false;
      for (const text of stored) {
        if (text === null) break;
        const record = decodeRecord(text, `run ${runId} batch ${batch}`);
        if (record.first !== row) {
          throw albertError(ErrorCodes.INTERNAL, `run ${runId} batch ${batch} starts at row ${record.first}, expected ${row}`);
        }
        if (record.ok) {
          for (const result of record.results) yield result as T;
          row += record.results.length;
        } else {
          if (onRowError === 'throw') {
            throw albertError(record.error.code as never, `run ${runId}, rows ${row}..${row + record.count - 1}: ${record.error.message}`);
          }
          for (let i = 0; i < record.count; i++) yield { index: row + i, error: { ...record.error } };
          row += record.count;
        }
        batch++;
        progressed = true;
        signal?.throwIfAborted();
      }
      if (progressed) {
        waitingSince = lastCheck = Date.now();
        continue;
      }
      if (Date.now() - waitingSince >= jobCheckMs && Date.now() - lastCheck >= jobCheckMs) {
        lastCheck = Date.now();
        await recordLostJob(queue, client, keys, runId, batch, row);
      }
      await sleep(pollMs, signal);
    }
    if (options.deleteWhenDone) await client.del(keys.results, keys.meta);
  } finally {
    await queue.close();
  }
}

/**
 * Deletes a run: its stored results and size, and its jobs still in the queue (waiting, delayed or failed;
 * a job a worker is running is left to finish, and its result is then stored again).
 */
export async function deleteRun(options: QueueTarget & { runId: string }): Promise<void> {
  checkTarget(options, 'deleteRun');
  const runId = checkRunId(options.runId, 'deleteRun');
  const keys = runKeys(options, runId);
  await withQueue(options, async (queue, client) => {
    const meta = await readMeta(client, keys);
    if (meta) {
      for (let b = 0; b < meta.batches; b++) {
        await queue.remove(jobId(runId, b)).catch(() => 0); // a locked (active) job cannot be removed
      }
    }
    await client.del(keys.results, keys.meta);
  });
}

interface RunMeta {
  total: number;
  batches: number;
  batchRows: number;
}

async function readMeta(client: RedisLike, keys: RunKeys): Promise<RunMeta | undefined> {
  const m = await client.hgetall(keys.meta);
  if (!m || m.total === undefined) return undefined;
  return { total: Number(m.total), batches: Number(m.batches), batchRows: Number(m.batchRows) };
}

/** The next batch has been missing for a while: if BullMQ failed its job without a record, record that. */
async function recordLostJob(queue: BullQueue, client: RedisLike, keys: RunKeys, runId: string, batch: number, first: number): Promise<void> {
  const job = await queue.getJob(jobId(runId, batch));
  if (!job || (await job.getState()) !== 'failed') return;
  const data = job.data as Partial<BatchJobData>;
  const count = Array.isArray(data?.rows) ? data.rows.length : 0;
  const message = `job ${job.id ?? jobId(runId, batch)} failed: ${job.failedReason ?? 'no reason given'}`;
  await putOnce(client, keys.results, String(batch), encodeRecord({ v: 1, ok: false, first, count, error: { code: ErrorCodes.JOB_FAILED, message } }));
}

async function openQueue(target: QueueTarget): Promise<{ queue: BullQueue; client: RedisLike }> {
  const { Queue } = loadBullmq();
  let queue: BullQueue;
  try {
    queue = new Queue(target.queueName, bullOptions(target));
  } catch (error) {
    throw codedSetupError(error);
  }
  try {
    return { queue, client: await redisClient(queue) };
  } catch (error) {
    await queue.close().catch(() => undefined);
    throw codedSetupError(error);
  }
}

async function withQueue<T>(target: QueueTarget, fn: (queue: BullQueue, client: RedisLike) => Promise<T>): Promise<T> {
  const { queue, client } = await openQueue(target);
  try {
    return await fn(queue, client);
  } finally {
    await queue.close();
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
