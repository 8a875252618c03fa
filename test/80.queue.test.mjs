// albert-node/queue: BullMQ over a real redis-server (started here on a free loopback port). Worker processes
// share runs; a worker killed mid-job has its job taken over; a poison batch fails alone; re-runs and duplicate
// deliveries never duplicate results. Skipped only when redis-server is missing outside CI (.ci/run installs it).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { pipeline } from 'albert-node';
import { collectResults, deleteRun, enqueueJob, isQueueRowError, startWorker } from 'albert-node/queue';
import { fixture, repoRoot } from './helpers/fixtures.mjs';
import { haveRedisServer, startRedis } from './helpers/redis.mjs';
import { assertTypesCompile } from './helpers/typecheck.mjs';

const inCI = Boolean(process.env.CI || process.env.ALBERT_NODE_CI);
const skip = !haveRedisServer() && !inCI ? 'redis-server is not installed (apt-get install redis-server; CI installs it)' : false;

const SEQCLS = fixture('models', 'albert-tiny-seqcls');
const WORKER = fileURLToPath(new URL('./helpers/queue-worker.mjs', import.meta.url));

/** 200 rows from the fixture texts the tiny models' vocabulary was trained on: single texts and text pairs. */
function fixtureRows(count) {
  const file = fixture('tokenizers', 'goldens', 'albert-botchan-spm.albert-tokenizer.jsonl');
  const texts = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const { text, kind } = JSON.parse(line);
    if (kind === 'single' && text.trim() && !texts.includes(text)) texts.push(text);
    if (texts.length === count) break;
  }
  return texts.map((text, i) => (i % 5 === 4 ? { text, textPair: texts[i - 1] } : text));
}

/** A worker process (test/helpers/queue-worker.mjs) with its JSON events. */
function spawnWorker(redisPort, queueName, env = {}) {
  const child = spawn(process.execPath, [WORKER], {
    cwd: repoRoot,
    env: { ...process.env, QUEUE_REDIS_PORT: String(redisPort), QUEUE_NAME: queueName, QUEUE_MODEL: SEQCLS, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events = [];
  const waiters = new Set();
  let buffer = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (!line.trim()) continue;
      events.push(JSON.parse(line));
      for (const w of waiters) w();
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const waitFor = (predicate, what, ms = 20_000) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = events.find(predicate);
        if (!found) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(found);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`worker ${child.pid}: no ${what} within ${ms} ms; events ${JSON.stringify(events)}; stderr: ${stderr}`));
      }, ms);
      waiters.add(check);
      check();
    });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  };
  return { child, events, waitFor, stop, exited, stderr: () => stderr };
}

/** Workers report over stdout, which may lag the results in Redis: waits until `check` stops throwing. */
async function eventually(check, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

async function collect(options) {
  const out = [];
  for await (const row of collectResults({ signal: AbortSignal.timeout(30_000), pollMs: 20, ...options })) out.push(row);
  return out;
}

describe('albert-node/queue over BullMQ and redis-server', { skip }, () => {
  let redis;
  let connection;
  let client;
  let pipe;
  const rows = fixtureRows(200);
  let expected;
  const workers = [];
  const spawnTracked = (...args) => {
    const w = spawnWorker(...args);
    workers.push(w);
    return w;
  };

  before(async () => {
    redis = await startRedis();
    connection = redis.connection;
    client = new Redis({ ...connection, lazyConnect: false, maxRetriesPerRequest: 1 });
    pipe = await pipeline('text-classification', SEQCLS, { threads: 1 });
    expected = await pipe(rows);
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    pipe?.dispose();
    await client?.quit().catch(() => client.disconnect());
    await redis?.stop();
  });

  const resultsKey = (queueName, runId) => `bull:${queueName}:albert-run:${runId}:results`;

  describe('two worker processes share runs', () => {
    const queueName = 'shared';
    let a;
    let b;
    before(async () => {
      // Each worker: 20 ms per batch (so both take jobs), and batch 3's first attempt fails (a transient error).
      const env = { QUEUE_DELAY_MS: '20', QUEUE_FAIL_FIRST_ATTEMPT: 'run-shared/3' };
      a = spawnTracked(redis.port, queueName, env);
      b = spawnTracked(redis.port, queueName, env);
      await Promise.all([a.waitFor((e) => e.event === 'ready', 'ready'), b.waitFor((e) => e.event === 'ready', 'ready')]);
    });

    test('200 rows through text-classification equal a single-process pipeline() run, row for row', async () => {
      const runId = 'run-shared';
      const enqueued = await enqueueJob({ connection, queueName, runId, rows, batchRows: 10, backoffMs: 50, task: 'text-classification' });
      assert.deepEqual(enqueued, { runId, total: 200, batches: 20, enqueued: 20, skipped: 0 });
      const out = await collect({ connection, queueName, runId });
      assert.equal(out.length, 200);
      assert.deepEqual(out, expected);
      await eventually(() => {
        const stored = [...a.events, ...b.events].filter((e) => e.event === 'stored' && e.runId === runId);
        assert.deepEqual(stored.map((e) => e.batch).sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i));
      });
      assert.ok(a.events.some((e) => e.event === 'stored') && b.events.some((e) => e.event === 'stored'), 'both workers ran batches');
      // Batch 3 failed once, was retried with backoff and stored by its second attempt.
      const retried = [...a.events, ...b.events].filter((e) => e.runId === runId && e.batch === 3);
      const outcomes = retried.filter((e) => e.event !== 'start').sort((x, y) => x.attempt - y.attempt);
      assert.deepEqual(outcomes.map((e) => [e.event, e.attempt]), [['retry', 1], ['stored', 2]]);
      assert.equal(await client.hlen(resultsKey(queueName, runId)), 20);
    });

    test('re-running the producer with the same runId adds nothing and duplicates nothing', async () => {
      const runId = 'run-shared';
      const before = await client.hgetall(resultsKey(queueName, runId));
      const again = await enqueueJob({ connection, queueName, runId, rows, batchRows: 10, backoffMs: 50 });
      assert.deepEqual(again, { runId, total: 200, batches: 20, enqueued: 0, skipped: 20 });
      const out = await collect({ connection, queueName, runId });
      assert.deepEqual(out, expected);
      assert.deepEqual(await client.hgetall(resultsKey(queueName, runId)), before);

      // A second delivery of a stored batch (another job with the same data) runs nothing and writes nothing.
      const queue = new Queue(queueName, { connection });
      try {
        const job = await queue.add('albert-batch', { runId, batch: 0, first: 0, rows: rows.slice(0, 10) }, { jobId: `${runId}.dup` });
        const deadline = Date.now() + 10_000;
        while ((await job.getState()) !== 'completed') {
          assert.ok(Date.now() < deadline, 'the duplicate job did not complete');
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      } finally {
        await queue.close();
      }
      await eventually(() => {
        const dup = [...a.events, ...b.events].filter((e) => e.runId === runId && e.batch === 0 && e.event === 'duplicate');
        assert.equal(dup.length, 1);
      });
      assert.deepEqual(await client.hgetall(resultsKey(queueName, runId)), before);
      assert.deepEqual(await collect({ connection, queueName, runId, total: 200 }), expected);
    });

    test('a poison batch fails alone: its rows report the coded error, every other row is correct', async () => {
      const runId = 'run-poison';
      const poisoned = rows.slice(0, 100);
      poisoned[37] = { text: 42 }; // not a text: the pipeline rejects the whole batch with ERR_ALBERT_INVALID_INPUT
      await enqueueJob({ connection, queueName, runId, rows: poisoned, batchRows: 10, attempts: 3, backoffMs: 50 });
      const out = await collect({ connection, queueName, runId });
      assert.equal(out.length, 100);
      for (let i = 0; i < 100; i++) {
        if (i >= 30 && i < 40) {
          assert.ok(isQueueRowError(out[i]), `row ${i} is an error`);
          assert.equal(out[i].index, i);
          assert.equal(out[i].error.code, 'ERR_ALBERT_INVALID_INPUT');
          assert.match(out[i].error.message, /batch 3, whose first row is row 30/);
        } else {
          assert.deepEqual(out[i], expected[i], `row ${i}`);
        }
      }
      // An input error is not retried: one attempt only.
      await eventually(() => {
        const outcomes = [...a.events, ...b.events].filter((e) => e.runId === runId && e.batch === 3 && e.event !== 'start');
        assert.deepEqual(outcomes.map((e) => [e.event, e.attempt, e.code]), [['failed', 1, 'ERR_ALBERT_INVALID_INPUT']]);
      });
      assert.equal([...a.events, ...b.events].filter((e) => e.runId === runId && e.batch === 3 && e.event === 'start').length, 1);
      // onRowError: 'throw' ends the collection with the batch's coded error instead.
      await assert.rejects(collect({ connection, queueName, runId, onRowError: 'throw' }), (error) => {
        assert.equal(error.code, 'ERR_ALBERT_INVALID_INPUT');
        assert.match(error.message, /rows 30\.\.39/);
        return true;
      });
      await deleteRun({ connection, queueName, runId });
      assert.equal(await client.exists(resultsKey(queueName, runId)), 0);
    });

    test('the collector streams results while the producer is still reading an async iterable', async () => {
      const runId = 'run-stream';
      async function* slowRows() {
        for (let i = 0; i < 60; i++) {
          if (i % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 30));
          yield rows[i];
        }
      }
      const collecting = collect({ connection, queueName, runId, deleteWhenDone: true });
      const result = await enqueueJob({ connection, queueName, runId, rows: slowRows(), batchRows: 7 });
      assert.equal(result.batches, 9);
      assert.deepEqual(await collecting, expected.slice(0, 60));
      assert.equal(await client.exists(resultsKey(queueName, runId)), 0);
    });
  });

  test('a worker killed (SIGKILL) mid-job: the job is taken over by another worker, output identical, not duplicated', async () => {
    const queueName = 'kill';
    const runId = 'run-kill';
    const fast = { QUEUE_LOCK_MS: '1000', QUEUE_STALLED_MS: '500' };
    const slow = spawnTracked(redis.port, queueName, { ...fast, QUEUE_DELAY_MS: '60000' });
    await slow.waitFor((e) => e.event === 'ready', 'ready');
    await enqueueJob({ connection, queueName, runId, rows: rows.slice(0, 60), batchRows: 10 });
    const started = await slow.waitFor((e) => e.event === 'start', 'start');
    slow.child.kill('SIGKILL');
    assert.equal((await slow.exited).signal, 'SIGKILL');
    const rescuer = spawnTracked(redis.port, queueName, fast);
    const out = await collect({ connection, queueName, runId });
    assert.deepEqual(out, expected.slice(0, 60));
    await eventually(() => {
      const done = rescuer.events.filter((e) => e.event === 'stored');
      assert.deepEqual(done.map((e) => e.batch).sort((x, y) => x - y), [0, 1, 2, 3, 4, 5]);
    });
    assert.ok(rescuer.events.some((e) => e.event === 'stored' && e.batch === started.batch), 'the killed job was rerun');
    assert.equal(await client.hlen(resultsKey(queueName, runId)), 6);
  });

  test('an in-process worker: pooled feature-extraction Tensors come back exactly', async () => {
    const queueName = 'features';
    const model = fixture('models', 'albert-tiny');
    const worker = await startWorker({ connection, queueName, task: 'feature-extraction', model, pipelineOptions: { threads: 1 } });
    try {
      const texts = rows.filter((r) => typeof r === 'string').slice(0, 30);
      const options = { pooling: 'mean', normalize: true };
      const { runId } = await enqueueJob({ connection, queueName, rows: texts, batchRows: 8, pipelineCallOptions: options });
      const out = await collect({ connection, queueName, runId });
      const reference = await worker.pipeline(texts, options);
      assert.equal(out.length, 30);
      out.forEach((t, i) => {
        assert.deepEqual(t.dims, [reference.dims[1]]);
        assert.deepEqual(t.data, reference.data.subarray(i * t.dims[0], (i + 1) * t.dims[0]));
      });
      assert.equal(worker.stats.batches, 4);
      // A run for another task fails at once, with a coded error on its rows.
      const wrong = await enqueueJob({ connection, queueName, rows: ['x'], task: 'fill-mask' });
      const [row] = await collect({ connection, queueName, runId: wrong.runId });
      assert.equal(row.error.code, 'ERR_ALBERT_INVALID_INPUT');
      assert.match(row.error.message, /for task fill-mask, but this worker runs feature-extraction/);
    } finally {
      await worker.close();
    }
  });
});

test('albert-node never loads bullmq; albert-node/queue without bullmq is a coded error', () => {
  const script = `
    const Module = require('node:module');
    const resolve = Module._resolveFilename;
    Module._resolveFilename = function (request, ...rest) {
      if (request === 'bullmq') throw Object.assign(new Error("Cannot find module 'bullmq'"), { code: 'MODULE_NOT_FOUND' });
      return resolve.call(this, request, ...rest);
    };
    require('albert-node');
    const queue = require('albert-node/queue');
    if (Object.keys(require.cache).some((f) => f.includes('node_modules/bullmq') || f.includes('node_modules/ioredis'))) throw new Error('bullmq loaded');
    queue.enqueueJob({ connection: {}, queueName: 'q', rows: [] }).then(
      () => { throw new Error('enqueueJob without bullmq resolved'); },
      (e) => console.log(JSON.stringify({ code: e.code, message: e.message })),
    );`;
  const run = spawnSync(process.execPath, ['-e', script], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const error = JSON.parse(run.stdout);
  assert.equal(error.code, 'ERR_ALBERT_UNSUPPORTED');
  assert.match(error.message, /install bullmq/);
});

test('dist/queue/*.d.ts types the API without bullmq types (valid use compiles, misuse is rejected)', { timeout: 120_000 }, () => {
  assertTypesCompile(['queue-usage.ts'], { skipLibCheck: false });
});
