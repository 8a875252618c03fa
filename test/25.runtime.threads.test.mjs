// The compute pool under stress: thousands of short parallel regions, concurrent forwards racing for cores,
// and forwards mixed with batch tokenization. A race in the pool shows up as a wrong result or a hang
// (the per-test timeout turns a hang into a failure).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { AlbertModel } from '../dist/index.js';
import { fixture } from './helpers/fixtures.mjs';

const ROUNDS = Number(process.env.ALBERT_NODE_STRESS_ROUNDS ?? 1000);

it(`${ROUNDS} short forwards, sequential and concurrent, give identical results`, { timeout: 120_000 }, async () => {
  const model = await AlbertModel.fromPretrained(fixture('models', 'albert-tiny'), { threads: 2 });
  const inputs = Array.from({ length: 8 }, (_, i) => ({ inputIds: [Array.from({ length: 3 + i * 5 }, (_, t) => (t * 17 + i) % 2000)] }));
  const expected = [];
  for (const input of inputs) expected.push((await model.forward(input)).lastHiddenState.data);
  for (let round = 0; round < ROUNDS; round++) {
    const i = round % inputs.length;
    const [a, b] = await Promise.all([model.forward(inputs[i]), model.forward(inputs[(i + 3) % inputs.length])]);
    assert.deepEqual(a.lastHiddenState.data, expected[i], `round ${round}`);
    assert.deepEqual(b.lastHiddenState.data, expected[(i + 3) % inputs.length], `round ${round}`);
  }
  model.dispose();
});

it('many models with different thread counts share the cores', { timeout: 120_000 }, async () => {
  const models = await Promise.all([1, 2, 2, 1].map((threads) => AlbertModel.fromPretrained(fixture('models', 'albert-tiny-groups'), { threads })));
  const input = { inputIds: [Array.from({ length: 40 }, (_, t) => (t * 31) % 2000)] };
  const reference = (await models[0].forward(input)).lastHiddenState.data;
  const runs = [];
  for (let round = 0; round < ROUNDS / 10; round++) for (const m of models) runs.push(m.forward(input));
  for (const out of await Promise.all(runs)) assert.deepEqual(out.lastHiddenState.data, reference);
  for (const m of models) m.dispose();
});
