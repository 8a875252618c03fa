/**
 * N worker_threads running one pipeline over one model: each worker loads the pipeline (the weights are shared:
 * one copy per process), tasks go to the least busy worker, results come back as the pipeline returns them.
 * A task that fails rejects alone; a worker that dies is replaced, and only its in-flight tasks reject.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { albertError, ErrorCodes } from '../errors';
import { describe } from '../inputs';
import type { PipelineLoadOptions, PipelineTask, PipelineTypes } from '../pipelines';
import { errorFromWire, fromWire, type WireError } from './wire';

/** How a WorkerPool is made. */
export interface WorkerPoolOptions<T extends PipelineTask> {
  /** The pipeline each worker runs. */
  task: T;
  /** What fromPretrained takes: a Hub id, folder, TensorFlow checkpoint or archive. */
  model: string;
  /** Workers (default 2). */
  size?: number;
  /** The pipeline's load options (threads per worker default 1; not `tokenizer` or `onProgress`, which cannot cross threads). */
  options?: Omit<PipelineLoadOptions, 'tokenizer' | 'onProgress'>;
}

/** A pipeline's several-inputs call: its inputs, options and result. */
type PoolInputs<T extends PipelineTask> = Parameters<PipelineTypes[T]>[0];
type PoolCallOptions<T extends PipelineTask> = Parameters<PipelineTypes[T]>[1];
type PoolResult<T extends PipelineTask> = Awaited<ReturnType<PipelineTypes[T]>>;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  ready: Promise<void>;
  pending: Map<number, Pending>;
}

export class WorkerPool<T extends PipelineTask> {
  readonly task: T;
  readonly size: number;
  #workers: PoolWorker[] = [];
  #nextId = 0;
  #closed = false;
  readonly #setup: { task: T; model: string; options: Record<string, unknown> };

  private constructor(task: T, model: string, size: number, options: Record<string, unknown>) {
    this.task = task;
    this.size = size;
    this.#setup = { task, model, options };
  }

  /** Starts the workers and waits until each has loaded the pipeline (rejects with the load error otherwise). */
  static async create<T extends PipelineTask>(options: WorkerPoolOptions<T>): Promise<WorkerPool<T>> {
    if (options === null || typeof options !== 'object') {
      throw albertError(ErrorCodes.INVALID_INPUT, `WorkerPool.create() needs an options object (got ${describe(options)})`, true);
    }
    const { task, model, size = 2, options: loadOptions = {} } = options;
    if (typeof model !== 'string' || model.length === 0) {
      throw albertError(ErrorCodes.INVALID_INPUT, `model must be a path or Hub id string (got ${describe(model)})`, true);
    }
    if (!Number.isInteger(size) || size < 1 || size > 256) {
      throw albertError(ErrorCodes.INVALID_INPUT, `size must be an integer from 1 to 256 (got ${String(size)})`);
    }
    if ('tokenizer' in loadOptions || 'onProgress' in loadOptions) {
      throw albertError(ErrorCodes.INVALID_INPUT, 'options.tokenizer and options.onProgress cannot be passed to worker threads');
    }
    const pool = new WorkerPool(task, model, size, { threads: 1, ...loadOptions });
    for (let i = 0; i < size; i++) pool.#workers.push(pool.#spawn());
    try {
      await Promise.all(pool.#workers.map((w) => w.ready));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /**
   * Runs one pipeline call on the least busy worker: an array of inputs, with the pipeline's call options; the
   * result is what the pipeline returns for them (feature-extraction with `pooling` gives one [n, hidden] Tensor).
   */
  run(inputs: PoolInputs<T>, options?: PoolCallOptions<T>): Promise<PoolResult<T>> {
    if (this.#closed) return Promise.reject(albertError(ErrorCodes.DISPOSED, 'the worker pool is closed'));
    const target = this.#workers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.#nextId++;
    return new Promise<PoolResult<T>>((resolve, reject) => {
      target.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      target.ready.then(
        () => target.worker.postMessage({ id, input: inputs, options }),
        (error: Error) => {
          target.pending.delete(id);
          reject(error);
        },
      );
    });
  }

  /** Stops the workers; tasks still running reject with ERR_ALBERT_DISPOSED. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const workers = this.#workers;
    this.#workers = [];
    for (const w of workers) this.#failAll(w, albertError(ErrorCodes.DISPOSED, 'the worker pool was closed'));
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }

  #spawn(): PoolWorker {
    const worker = new Worker(path.join(__dirname, 'worker.js'), { workerData: this.#setup });
    const pending = new Map<number, Pending>();
    let markReady: () => void = () => {};
    let markFailed: (error: Error) => void = () => {};
    const entry: PoolWorker = {
      worker,
      pending,
      ready: new Promise<void>((resolve, reject) => {
        markReady = resolve;
        markFailed = reject;
      }),
    };
    entry.ready.catch(() => {});
    worker.on('message', (message: { ready?: boolean; id?: number; result?: unknown; error?: WireError }) => {
      if (message.ready !== undefined) {
        if (message.ready) markReady();
        else markFailed(errorFromWire(message.error ?? { code: ErrorCodes.INTERNAL, message: 'a pool worker failed to start' }));
        return;
      }
      const task = message.id === undefined ? undefined : pending.get(message.id);
      if (!task || message.id === undefined) return;
      pending.delete(message.id);
      if (message.error) task.reject(errorFromWire(message.error));
      else task.resolve(fromWire(message.result));
    });
    worker.on('error', (error) => markFailed(error));
    // A worker that dies (a crash, process.exit in user code) fails its own tasks only and is replaced.
    worker.on('exit', (code) => {
      markFailed(albertError(ErrorCodes.INTERNAL, `a pool worker exited (code ${code}) before it was ready`));
      this.#failAll(entry, albertError(ErrorCodes.INTERNAL, `a pool worker exited (code ${code}) while running this task`));
      const index = this.#workers.indexOf(entry);
      if (index >= 0 && !this.#closed) this.#workers[index] = this.#spawn();
    });
    return entry;
  }

  #failAll(entry: PoolWorker, error: Error): void {
    for (const task of entry.pending.values()) task.reject(error);
    entry.pending.clear();
  }
}
