// Type-level test: compiled with `tsc --noEmit` against dist/queue/*.d.ts by test/80.queue.test.mjs, without
// bullmq's own types. Each line either type-checks (valid use) or carries @ts-expect-error (misuse).
import type { ClassificationLabel } from 'albert-node';
import {
  collectResults,
  deleteRun,
  enqueueJob,
  isQueueRowError,
  startWorker,
  type BatchOutcome,
  type EnqueueResult,
  type QueueRowError,
  type QueueWorker,
  type WorkerStats,
} from 'albert-node/queue';

async function main(): Promise<void> {
  const connection = { host: '127.0.0.1', port: 6379 };
  const worker: QueueWorker = await startWorker({
    connection,
    queueName: 'albert',
    task: 'text-classification',
    model: 'folder',
    pipelineOptions: { threads: 2, dtype: 'float16' },
    concurrency: 2,
    onBatch: (outcome: BatchOutcome) => console.log(outcome.outcome, outcome.batch, outcome.ms, outcome.error?.code),
  });
  const stats: Readonly<WorkerStats> = worker.stats;
  console.log(stats.batches + stats.rows + stats.failed + stats.skipped + stats.retried);
  // @ts-expect-error: an unknown task
  await startWorker({ connection, queueName: 'albert', task: 'summarization', model: 'folder' });
  // @ts-expect-error: the model is required
  await startWorker({ connection, queueName: 'albert', task: 'fill-mask' });

  async function* rows(): AsyncGenerator<string> {
    yield 'a';
  }
  const run: EnqueueResult = await enqueueJob({ connection, queueName: 'albert', rows: rows(), batchRows: 128, runId: 'nightly-1', pipelineCallOptions: { topK: 2 } });
  await enqueueJob({ connection, queueName: 'albert', rows: [{ text: 'a', textPair: 'b' }], attempts: 5, backoffMs: 200 });
  // @ts-expect-error: rows must be iterable
  await enqueueJob({ connection, queueName: 'albert', rows: 42 });

  for await (const row of collectResults<ClassificationLabel[]>({ connection, queueName: 'albert', runId: run.runId })) {
    if (isQueueRowError(row)) {
      const e: QueueRowError = row;
      const where: number = e.index;
      console.log(where, e.error.code);
    } else {
      const label: string = row[0].label;
      console.log(label);
    }
    // @ts-expect-error: with onRowError 'yield' (the default), a row may be an error
    const labels: ClassificationLabel[] = row;
  }
  for await (const labels of collectResults<ClassificationLabel[]>({ connection, queueName: 'albert', runId: run.runId, onRowError: 'throw' })) {
    const score: number = labels[0].score;
    console.log(score);
  }
  await deleteRun({ connection, queueName: 'albert', runId: run.runId });
  await worker.close();
}
void main;
