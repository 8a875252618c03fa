// One copy of the weights per process: loading the same files again (in this thread, concurrently, or from
// worker_threads) shares the packed weights; other dtypes get their own copy; changed files are reloaded.
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { AlbertModel } from '../dist/index.js';
import { fixture } from './helpers/fixtures.mjs';
import { tempDir } from './helpers/temp-model.mjs';

const base = fixture('models', 'albert-tiny');
const big = fixture('base-random');
const tinyOnly = process.env.ALBERT_NODE_TEST_TINY_ONLY === '1';
const rssMiB = () => process.memoryUsage().rss / 2 ** 20;
const ids = { inputIds: [[2, 15, 99, 1024, 7, 3]] };

async function hidden(model) {
  return Array.from((await model.forward(ids)).lastHiddenState.data);
}

describe('weights shared within the process', () => {
  it('a second load of the same folder reuses the weights (RSS grows by far less than a copy)', { skip: tinyOnly && 'base-random is skipped in the sanitizer run' }, async (t) => {
    const r0 = rssMiB();
    const first = await AlbertModel.fromPretrained(big, { threads: 1 });
    const r1 = rssMiB();
    const again = await Promise.all([AlbertModel.fromPretrained(big, { threads: 1 }), AlbertModel.fromPretrained(big, { threads: 2 })]);
    const r2 = rssMiB();
    t.diagnostic(`first load +${(r1 - r0).toFixed(0)} MiB, two more loads +${(r2 - r1).toFixed(0)} MiB`);
    assert.ok(r1 - r0 > 40, 'the first load holds the weights');
    assert.ok(r2 - r1 < 12, `two more loads should share them (grew ${(r2 - r1).toFixed(1)} MiB)`);
    assert.equal(again[1].info.threads, 2, 'each model keeps its own thread count');
    const input = { inputIds: [[2, 100, 200, 300, 3]] };
    const a = (await first.forward(input)).lastHiddenState.data;
    const b = (await again[1].forward(input)).lastHiddenState.data;
    assert.deepEqual(b, a);
    // Disposing one model leaves the others working on the shared weights.
    first.dispose();
    assert.deepEqual((await again[0].forward(input)).lastHiddenState.data, a);
    for (const m of again) m.dispose();
  });

  it('worker_threads loading the same folder share one copy', { skip: tinyOnly && 'base-random is skipped in the sanitizer run' }, async (t) => {
    const main = await AlbertModel.fromPretrained(big, { threads: 1 });
    const r1 = rssMiB();
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const { AlbertModel } = require(workerData.dist);
      (async () => {
        const model = await AlbertModel.fromPretrained(workerData.folder, { threads: 1 });
        const out = await model.forward({ inputIds: [[2, 100, 200, 3]] });
        parentPort.postMessage(Array.from(out.lastHiddenState.data.subarray(0, 4)));
        parentPort.once('message', () => { model.dispose(); parentPort.postMessage('bye'); });
      })().catch((e) => parentPort.postMessage({ error: String(e) }));`;
    const workers = Array.from({ length: 3 }, () => new Worker(code, { eval: true, workerData: { folder: big, dist: new URL('../dist/index.js', import.meta.url).pathname } }));
    const results = await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
    const r2 = rssMiB();
    const perWorker = (r2 - r1) / workers.length;
    t.diagnostic(`3 workers: +${perWorker.toFixed(1)} MiB each (one copy of the weights is ~55 MiB)`);
    const expected = Array.from((await main.forward({ inputIds: [[2, 100, 200, 3]] })).lastHiddenState.data.subarray(0, 4));
    for (const r of results) assert.deepEqual(r, expected);
    assert.ok(perWorker < 30, `each worker should add its JS runtime only, not a copy of the weights (${perWorker.toFixed(1)} MiB)`);
    await Promise.all(workers.map((w) => new Promise((resolve) => { w.once('message', resolve); w.postMessage('done'); })));
    await Promise.all(workers.map((w) => w.terminate()));
    main.dispose();
  });

  it('another dtype or task is a separate copy; changed files are read again', async () => {
    const folder = tempDir();
    for (const f of ['config.json', 'model.safetensors']) copyFileSync(join(base, f), join(folder, f));
    const a = await AlbertModel.fromPretrained(folder);
    const before = await hidden(a);
    const half = await AlbertModel.fromPretrained(folder, { dtype: 'float16' });
    assert.equal(half.info.dtype, 'float16');
    assert.notDeepEqual(await hidden(half), before, 'float16 weights are their own copy');
    // Rewrite the checkpoint in place with one weight changed (same size): a new load must see it.
    const bytes = readFileSync(join(folder, 'model.safetensors'));
    const headerEnd = 8 + Number(bytes.readBigUInt64LE(0));
    bytes.writeFloatLE(bytes.readFloatLE(headerEnd) + 1, headerEnd);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // a new modification time even at 1 s resolution
    writeFileSync(join(folder, 'model.safetensors'), bytes);
    const b = await AlbertModel.fromPretrained(folder);
    assert.deepEqual(await hidden(a), before, 'the first model keeps its weights');
    const after = await hidden(b);
    assert.notDeepEqual(after, before, 'the changed file was read again');
    // Rewritten again at once (same size, same second): the nanosecond modification time still tells.
    const changed = Buffer.from(bytes);
    changed.writeFloatLE(changed.readFloatLE(headerEnd) + 1, headerEnd);
    writeFileSync(join(folder, 'model.safetensors'), changed);
    const quick = await AlbertModel.fromPretrained(folder);
    assert.notDeepEqual(await hidden(quick), after, 'a rewrite within the same second is seen too');
    quick.dispose();
    writeFileSync(join(folder, 'model.safetensors'), bytes);
    for (const m of [a, half, b]) m.dispose();
    // Once every model is disposed the weights are freed; loading again works.
    const c = await AlbertModel.fromPretrained(folder);
    assert.deepEqual(await hidden(c), after);
    c.dispose();
  });
});
