// Every case of every fixture model, on every kernel set this CPU supports, against Hugging Face's outputs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AlbertModel, cpuInfo } from '../dist/index.js';
import { maxAbsDiff } from './helpers/compare.mjs';
import { goldenModelFolders, TOLERANCE } from './helpers/fixtures.mjs';
import { readSafetensors } from './helpers/safetensors.mjs';

const kernels = cpuInfo().kernels;

for (const { name, folder } of goldenModelFolders()) {
  const goldens = readSafetensors(join(folder, 'goldens.safetensors'));
  const cases = JSON.parse(readFileSync(join(folder, 'goldens.json'), 'utf8')).cases.map((c) => c.name);
  for (const kernel of kernels) {
    describe(`${name} goldens (${kernel} kernels)`, () => {
      let model;
      it('loads', async () => {
        model = await AlbertModel.fromPretrained(folder, { kernel });
        assert.equal(model.info.kernel, kernel);
      });
      for (const caseName of cases) {
        it(caseName, async (t) => {
          const ids = goldens.get(`${caseName}.input_ids`);
          const mask = goldens.get(`${caseName}.attention_mask`);
          const types = goldens.get(`${caseName}.token_type_ids`);
          // Multiple-choice inputs are [batch, choices, seq]; the base model sees [batch * choices, seq].
          const seqLen = ids.shape.at(-1);
          const rows = ids.data.length / seqLen;
          const dims = [rows, seqLen];
          const expectHidden = goldens.get(`${caseName}.hidden_states`);
          const out = await model.forward(
            {
              inputIds: { data: ids.data, dims },
              attentionMask: { data: mask.data, dims },
              tokenTypeIds: { data: types.data, dims },
            },
            { outputHiddenStates: Boolean(expectHidden) },
          );
          const H = model.config.hidden_size;
          const diffs = {};
          diffs.last_hidden_state = maxAbsDiff(out.lastHiddenState.data, goldens.get(`${caseName}.last_hidden_state`).data, {
            rowSize: H,
            mask: mask.data,
          });
          const pooled = goldens.get(`${caseName}.pooler_output`);
          if (pooled) {
            assert.ok(out.poolerOutput, 'pooler output expected');
            diffs.pooler_output = maxAbsDiff(out.poolerOutput.data, pooled.data);
          } else {
            assert.equal(out.poolerOutput, undefined, 'this checkpoint has no pooler');
          }
          if (expectHidden) {
            const layers = model.config.num_hidden_layers + 1;
            assert.equal(out.hiddenStates.length, layers);
            const per = expectHidden.data.length / layers;
            let worst = 0;
            for (let l = 0; l < layers; l++) {
              const expected = expectHidden.data.subarray(l * per, (l + 1) * per);
              worst = Math.max(worst, maxAbsDiff(out.hiddenStates[l].data, expected, { rowSize: H, mask: mask.data }));
            }
            diffs.hidden_states = worst;
          }
          // Masked positions are not computed: they come back as zeros.
          for (let i = 0; i < mask.data.length; i++) {
            if (mask.data[i] === 0n) {
              assert.ok(out.lastHiddenState.data.subarray(i * H, (i + 1) * H).every((v) => v === 0));
            }
          }
          t.diagnostic(`max abs diff: ${Object.entries(diffs).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}`);
          for (const [output, diff] of Object.entries(diffs)) {
            assert.ok(diff <= TOLERANCE, `${output} differs by ${diff} (> ${TOLERANCE})`);
          }
        });
      }
      it('disposes', () => model.dispose());
    });
  }
}
