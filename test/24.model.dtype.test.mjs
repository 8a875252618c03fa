// float16 / bfloat16 weight storage: the kernels must compute exactly what float32 kernels compute on the
// rounded weights, on every kernel set.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AlbertModel, cpuInfo, ErrorCodes } from '../dist/index.js';
import { maxAbsDiff } from './helpers/compare.mjs';
import { fixture } from './helpers/fixtures.mjs';
import { readSafetensors } from './helpers/safetensors.mjs';
import { modelFolder, readRawTensors } from './helpers/temp-model.mjs';
import { encodeSafetensors, fromBfloat16, fromHalf, toBfloat16, toHalf } from './helpers/write-safetensors.mjs';

const ROUNDED_NAMES = /(query|key|value|dense|ffn|ffn_output|embedding_hidden_mapping_in|pooler)\.weight$|word_embeddings\.weight$/;

/** The fixture with the tensors the engine stores in 16 bits pre-rounded, kept float32. */
function roundedFolder(source, round) {
  const tensors = readRawTensors(join(source, 'model.safetensors')).map((t) => {
    if (!ROUNDED_NAMES.test(t.name) || t.name.includes('LayerNorm')) return t;
    const f = new Float32Array(t.bytes.buffer.slice(t.bytes.byteOffset, t.bytes.byteOffset + t.bytes.length));
    return { ...t, bytes: new Uint8Array(Float32Array.from(f, round).buffer) };
  });
  return modelFolder({ config: readFileSync(join(source, 'config.json'), 'utf8'), weights: encodeSafetensors(tensors) });
}

const inputs = { inputIds: [[2, 40, 41, 42, 43, 3], [2, 50, 51, 3, 0, 0]], attentionMask: [[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]] };

for (const [dtype, round] of [
  ['float16', (v) => fromHalf(toHalf(v))],
  ['bfloat16', (v) => fromBfloat16(toBfloat16(v))],
]) {
  describe(`${dtype} weights`, () => {
    for (const name of ['albert-tiny', 'albert-tiny-groups']) {
      const source = fixture('models', name);
      const reference = roundedFolder(source, round);
      for (const kernel of cpuInfo().kernels) {
        it(`${name}, ${kernel} kernels: equal to float32 kernels on rounded weights`, async (t) => {
          const half = await AlbertModel.fromPretrained(source, { dtype, kernel });
          const full = await AlbertModel.fromPretrained(reference, { kernel });
          assert.equal(half.info.dtype, dtype);
          assert.ok(half.info.weightBytes < full.info.weightBytes * 0.6, 'weights take about half the memory');
          const a = await half.forward(inputs, { outputHiddenStates: true });
          const b = await full.forward(inputs, { outputHiddenStates: true });
          const diff = Math.max(maxAbsDiff(a.lastHiddenState.data, b.lastHiddenState.data), maxAbsDiff(a.poolerOutput.data, b.poolerOutput.data));
          // Against the float32 goldens the rounding of the weights shows; report it.
          const goldens = readSafetensors(join(source, 'goldens.safetensors'));
          const ids = goldens.get('single.input_ids');
          const g = await half.forward({ inputIds: { data: ids.data, dims: ids.shape } });
          const goldenDiff = maxAbsDiff(g.lastHiddenState.data, goldens.get('single.last_hidden_state').data);
          t.diagnostic(`vs float32 kernels on rounded weights: ${diff.toExponential(2)}; vs float32 goldens: ${goldenDiff.toExponential(2)}`);
          assert.ok(diff <= 1e-5, `differs by ${diff}`);
          assert.ok(goldenDiff < 0.1, `rounding error ${goldenDiff} is implausibly large`);
          half.dispose();
          full.dispose();
        });
      }
    }
  });
}

it('rejects unknown dtypes', async () => {
  await assert.rejects(AlbertModel.fromPretrained(fixture('models', 'albert-tiny'), { dtype: 'int8' }), { code: ErrorCodes.INVALID_INPUT });
});
