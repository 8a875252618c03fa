// albert-node/queue throughput: one feature-extraction run through BullMQ on a local redis-server, shared by
// local worker processes, against the same rows through pipeline() in this process. Reports rows/s, tokens/s,
// each worker's batches and peak RSS, and checks that the queued embeddings equal the in-process ones.
//   npm run build:ts && node bench/queue.mjs [--rows 2000] [--workers 2] [--batch-rows 64] [--threads N]
// Needs redis-server on the PATH (apt-get install redis-server), or --redis-port of a running one.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { pipeline, Tokenizer } from '../dist/index.js';
import { collectResults, enqueueJob, startWorker } from '../dist/queue/index.js';
import { startRedis } from '../test/helpers/redis.mjs';
import { baseRandom, parseArgs, printTable } from './common.mjs';
import { mixedCorpus } from './corpus.mjs';

const HELP = `node bench/queue.mjs [options]

One feature-extraction run (fixtures/base-random, the albert-base-v2 shape) through albert-node/queue: the
rows (fixture sentences of 5..128 tokens) are enqueued as batch jobs on a local redis-server, local worker
processes run them, and the results are collected in input order. The same rows then run through pipeline()
in this process for comparison (--skip-baseline to leave that out).

  --rows N          rows in the run (default 2000)
  --workers N       worker processes (default 2)
  --batch-rows N    rows per job (default 64)
  --threads N       engine threads per worker (default: cores / workers, at least 1)
  --concurrency N   jobs each worker runs at once (default 1)
  --pooling P       cls | mean | pooler (default mean)
  --redis-port N    use the redis-server on 127.0.0.1:N instead of starting one
  --skip-baseline   do not run the in-process pipeline() comparison
  --help            this text`;

if (process.env.ALBERT_NODE_BENCH_QUEUE_WORKER) {
  await runWorker();
} else {
  await main();
}

/** A worker process: serves the queue until SIGTERM, then reports its counts and peak RSS on stdout. */
async function runWorker() {
  const env = process.env;
  const worker = await startWorker({
    connection: { host: '127.0.0.1', port: Number(env.BENCH_REDIS_PORT) },
    queueName: env.BENCH_QUEUE,
    task: 'feature-extraction',
    model: baseRandom,
    pipelineOptions: { threads: Number(env.BENCH_THREADS) },
    concurrency: Number(env.BENCH_CONCURRENCY),
  });
  process.stdout.write(`${JSON.stringify({ event: 'ready' })}\n`);
  process.once('SIGTERM', async () => {
    await worker.close();
    const usage = process.resourceUsage();
    const report = { event: 'stats', pid: process.pid, ...worker.stats, peakRssMiB: usage.maxRSS / 1024, cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6 };
    process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(0));
  });
}

function spawnWorker(env) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], {
    env: { ...process.env, ALBERT_NODE_BENCH_QUEUE_WORKER: '1', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const events = [];
  const listeners = [];
  let buffer = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const event = JSON.parse(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
      events.push(event);
      for (const l of listeners) l(event);
    }
  });
  const next = (name) =>
    new Promise((resolve, reject) => {
      const found = events.find((e) => e.event === name);
      if (found) return resolve(found);
      listeners.push((e) => e.event === name && resolve(e));
      child.once('exit', (code) => reject(new Error(`worker ${child.pid} exited (${code}) before '${name}'`)));
    });
  return { child, next };
}

async function main() {
  const args = parseArgs(
    { rows: 2000, workers: 2, batchRows: 64, threads: 0, concurrency: 1, pooling: 'mean', redisPort: 0, skipBaseline: false },
    HELP,
  );
  const threads = args.threads || Math.max(1, Math.floor(availableParallelism() / args.workers));
  const tokenizer = await Tokenizer.fromPretrained(baseRandom);
  const rows = mixedCorpus(tokenizer, args.rows);
  const tokens = rows.reduce((n, text) => n + tokenizer.encode(text).ids.length, 0);
  tokenizer.dispose();

  const redis = args.redisPort ? { port: args.redisPort, connection: { host: '127.0.0.1', port: args.redisPort }, stop: async () => {} } : await startRedis();
  const queueName = `bench-${process.pid}`;
  const workers = Array.from({ length: args.workers }, () =>
    spawnWorker({ BENCH_REDIS_PORT: String(redis.port), BENCH_QUEUE: queueName, BENCH_THREADS: String(threads), BENCH_CONCURRENCY: String(args.concurrency) }),
  );
  let queued;
  let stats;
  try {
    await Promise.all(workers.map((w) => w.next('ready')));
    const { connection } = redis;
    const runId = `bench-${Date.now()}`;
    const t0 = performance.now();
    const producing = enqueueJob({ connection, queueName, runId, rows, batchRows: args.batchRows, pipelineCallOptions: { pooling: args.pooling } });
    queued = [];
    for await (const row of collectResults({ connection, queueName, runId, onRowError: 'throw', deleteWhenDone: true })) queued.push(row);
    await producing;
    const seconds = (performance.now() - t0) / 1000;
    stats = { seconds };
  } finally {
    for (const w of workers) w.child.kill('SIGTERM');
  }
  const reports = await Promise.all(workers.map((w) => w.next('stats')));
  await redis.stop();

  const table = [
    {
      path: `queue: ${args.workers} workers x ${threads} threads`,
      rows: args.rows,
      seconds: stats.seconds.toFixed(2),
      'rows/s': (args.rows / stats.seconds).toFixed(1),
      'tokens/s': Math.round(tokens / stats.seconds),
    },
  ];
  let maxDiff = 'n/a';
  if (!args.skipBaseline) {
    const extractor = await pipeline('feature-extraction', baseRandom, { threads: threads * args.workers });
    const t0 = performance.now();
    const reference = await extractor(rows, { pooling: args.pooling });
    const seconds = (performance.now() - t0) / 1000;
    const width = reference.dims[1];
    let diff = 0;
    queued.forEach((t, i) => {
      for (let j = 0; j < width; j++) diff = Math.max(diff, Math.abs(t.data[j] - reference.data[i * width + j]));
    });
    maxDiff = diff.toExponential(1);
    extractor.dispose();
    table.push({
      path: `pipeline() in one process, ${threads * args.workers} threads`,
      rows: args.rows,
      seconds: seconds.toFixed(2),
      'rows/s': (args.rows / seconds).toFixed(1),
      'tokens/s': Math.round(tokens / seconds),
    });
  }
  console.log(`fixtures/base-random feature-extraction (pooling ${args.pooling}), ${args.rows} rows, ${tokens} tokens, ${args.batchRows} rows per job, ${availableParallelism()} cores`);
  printTable(table, ['path', 'rows', 'seconds', 'rows/s', 'tokens/s']);
  console.log();
  printTable(
    reports.map((r, i) => ({ worker: i + 1, batches: r.batches, rows: r.rows, 'peak RSS MiB': r.peakRssMiB.toFixed(0), 'CPU s': r.cpuSeconds.toFixed(1) })),
    ['worker', 'batches', 'rows', 'peak RSS MiB', 'CPU s'],
  );
  console.log(`\nmax |queued - in-process| over the embeddings: ${maxDiff}`);
}
