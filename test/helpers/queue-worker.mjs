// A worker process for test/80.queue.test.mjs: startWorker from albert-node/queue, configured by env vars, with
// test-only hooks (a delay per batch, a transient failure on the first attempt of chosen batches). It prints one
// JSON line per event on stdout: ready, start, done, and stats when SIGTERM closes it.
import { startWorker } from 'albert-node/queue';

const env = process.env;
if (env.QUEUE_NAME === undefined) {
  // `node --test test/` also runs every module under test/ as a test, this one too: unconfigured, it does nothing.
  process.exit(0);
}
const num = (name) => (env[name] === undefined || env[name] === '' ? undefined : Number(env[name]));
const print = (event) => process.stdout.write(`${JSON.stringify({ pid: process.pid, ...event })}\n`);
const delayMs = num('QUEUE_DELAY_MS') ?? 0;
// QUEUE_FAIL_FIRST_ATTEMPT: comma-separated runId/batch pairs whose first attempt throws.
const failFirst = new Set((env.QUEUE_FAIL_FIRST_ATTEMPT ?? '').split(',').filter(Boolean));

const worker = await startWorker({
  connection: { host: '127.0.0.1', port: num('QUEUE_REDIS_PORT') },
  queueName: env.QUEUE_NAME,
  task: env.QUEUE_TASK ?? 'text-classification',
  model: env.QUEUE_MODEL,
  pipelineOptions: { threads: 1 },
  lockDuration: num('QUEUE_LOCK_MS'),
  stalledInterval: num('QUEUE_STALLED_MS'),
  beforeBatch: async ({ runId, batch, attempt }) => {
    print({ event: 'start', runId, batch, attempt });
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (attempt === 1 && failFirst.has(`${runId}/${batch}`)) throw new Error(`transient failure of batch ${batch} (test hook)`);
  },
  onBatch: ({ runId, batch, attempt, outcome, error }) => print({ event: outcome, runId, batch, attempt, code: error?.code }),
});
print({ event: 'ready' });
process.once('SIGTERM', async () => {
  await worker.close();
  print({ event: 'stats', stats: worker.stats });
  process.exit(0);
});
