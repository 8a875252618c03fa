/**
 * albert-node/queue: scale pipelines out over many processes and machines with BullMQ on Redis.
 *
 * A producer splits rows into batch jobs ({@link enqueueJob}); workers anywhere ({@link startWorker}) load a
 * pipeline once and run the batches; {@link collectResults} yields the results in input order as batches
 * complete. Jobs are retried with exponential backoff, a job whose worker dies is taken over by another
 * (BullMQ's stalled-job recovery), and each batch's output is stored once under `(runId, batch)`, so
 * at-least-once processing never duplicates a row. A batch that fails for good reports its coded error on
 * each of its rows without holding up the others.
 *
 * Needs `bullmq` (an optional peer dependency) and a Redis client for it (`ioredis`): `npm install bullmq ioredis`.
 * `albert-node` itself never loads them.
 * @packageDocumentation
 */
export { collectResults, deleteRun, enqueueJob, isQueueRowError } from './producer';
export type { BatchJobData, CollectOptions, EnqueueOptions, EnqueueResult, QueueRowError } from './producer';
export { startWorker } from './worker';
export type { BatchInfo, BatchOutcome, QueueWorker, WorkerOptions, WorkerStats } from './worker';
export type { QueueConnection, QueueTarget } from './bullmq';
