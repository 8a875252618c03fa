// WorkerPool: N worker_threads over one model. Results equal the in-thread pipeline's, a failing task rejects
// alone, a model that cannot load fails create(), and closing rejects what is still running.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCodes, pipeline, Tensor, WorkerPool } from '../dist/index.js';
import { fixture } from './helpers/fixtures.mjs';

const seqcls = fixture('models', 'albert-tiny-seqcls');
const tiny = fixture('models', 'albert-tiny');
const texts = Array.from({ length: 40 }, (_, i) => `row ${i}: ${'a quick test '.repeat(1 + (i % 7))}`);

describe('WorkerPool', () => {
  it('spreads calls over its workers and returns what the pipeline returns', async () => {
    const pool = await WorkerPool.create({ task: 'text-classification', model: seqcls, size: 2 });
    const local = await pipeline('text-classification', seqcls);
    try {
      const batches = [0, 10, 20, 30].map((start) => texts.slice(start, start + 10));
      const results = await Promise.all(batches.map((batch) => pool.run(batch, { topK: null })));
      for (let b = 0; b < batches.length; b++) assert.deepEqual(results[b], await local(batches[b], { topK: null }));
      assert.equal(pool.size, 2);
    } finally {
      local.dispose();
      await pool.close();
    }
  });

  it('returns Tensors from feature extraction', async () => {
    const pool = await WorkerPool.create({ task: 'feature-extraction', model: tiny, size: 1 });
    const local = await pipeline('feature-extraction', tiny);
    try {
      const pooled = await pool.run(texts.slice(0, 5), { pooling: 'mean' });
      assert.ok(pooled instanceof Tensor);
      assert.deepEqual(pooled.dims, [5, 32]);
      assert.deepEqual(pooled.data, (await local(texts.slice(0, 5), { pooling: 'mean' })).data);
    } finally {
      local.dispose();
      await pool.close();
    }
  });

  it('a failing task rejects alone with its coded error; the pool keeps serving', async () => {
    const pool = await WorkerPool.create({ task: 'text-classification', model: seqcls, size: 2 });
    try {
      const [bad, good] = await Promise.allSettled([pool.run([42]), pool.run(texts.slice(0, 3))]);
      assert.equal(bad.status, 'rejected');
      assert.equal(bad.reason.code, ErrorCodes.INVALID_INPUT);
      assert.equal(good.status, 'fulfilled');
      assert.equal((await pool.run(texts.slice(0, 2))).length, 2);
    } finally {
      await pool.close();
    }
  });

  it('create() fails with the load error; close() rejects running and later tasks', async () => {
    await assert.rejects(WorkerPool.create({ task: 'text-classification', model: '/no/such/model', size: 2 }), { code: ErrorCodes.FILE_NOT_FOUND });
    await assert.rejects(WorkerPool.create({ task: 'text-classification', model: seqcls, size: 0 }), { code: ErrorCodes.INVALID_INPUT });
    const pool = await WorkerPool.create({ task: 'text-classification', model: seqcls, size: 1 });
    const running = assert.rejects(pool.run(texts), { code: ErrorCodes.DISPOSED });
    await pool.close();
    await running;
    await assert.rejects(pool.run(texts), { code: ErrorCodes.DISPOSED });
  });
});

describe('WorkerPool teardown', () => {
  it('closing pools while their tasks run never aborts the process (settling into a terminating worker is dropped)', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => `row ${i} ${'a quick test '.repeat(1 + (i % 7))}`);
    for (let i = 0; i < 15; i++) {
      const pool = await WorkerPool.create({ task: 'text-classification', model: seqcls, size: 2 });
      const runs = [pool.run(rows), pool.run(rows)].map((p) => p.then(() => 'done', (e) => e.code));
      await new Promise((resolve) => setTimeout(resolve, i % 5));
      await pool.close();
      for (const outcome of await Promise.all(runs)) assert.ok(outcome === 'done' || outcome === ErrorCodes.DISPOSED, String(outcome));
    }
  });
});
