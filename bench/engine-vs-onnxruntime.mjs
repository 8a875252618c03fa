// albert-node vs onnxruntime-node on the same ALBERT-base weights (fixtures/base-random: model.safetensors
// and its ONNX export), in one process, with the same thread count. Prints tokens/s and the ratio.
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import ort from 'onnxruntime-node';
import { AlbertModel } from '../dist/index.js';
import { baseRandom, median, parseArgs, printTable, timeRuns } from './common.mjs';

const HELP = `usage: node bench/engine-vs-onnxruntime.mjs [--threads N] [--shapes 32x128,1x16] [--seconds S]
  --threads   threads for both engines (default: all cores)
  --shapes    batch x sequence length pairs, comma-separated (default 32x128,1x16)
  --seconds   minimum measuring time per engine and shape (default 5)`;

const args = parseArgs({ threads: cpus().length, shapes: '32x128,1x16', seconds: 5 }, HELP);
const shapes = args.shapes.split(',').map((s) => s.split('x').map(Number));

const albert = await AlbertModel.fromPretrained(baseRandom, { threads: args.threads });
const session = await ort.InferenceSession.create(resolve(baseRandom, 'onnx', 'model.onnx'), {
  intraOpNumThreads: args.threads,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
});

console.log(`base-random (albert-base-v2 shape), threads=${args.threads}, albert-node kernel=${albert.info.kernel}, onnxruntime-node ${ort.env.versions?.node ?? ''}`);
const rows = [];
for (const [batch, seqLen] of shapes) {
  const count = batch * seqLen;
  // Deterministic non-special ids in the vocabulary.
  const ids32 = Int32Array.from({ length: count }, (_, i) => 5 + ((i * 7919) % 29990));
  const ids64 = BigInt64Array.from(ids32, BigInt);
  const ones = new BigInt64Array(count).fill(1n);
  const zeros = new BigInt64Array(count);
  const feeds = {
    input_ids: new ort.Tensor('int64', ids64, [batch, seqLen]),
    attention_mask: new ort.Tensor('int64', ones, [batch, seqLen]),
    token_type_ids: new ort.Tensor('int64', zeros, [batch, seqLen]),
  };
  const timing = { warmup: 2, minIterations: 5, minSeconds: args.seconds };
  const albertTimes = await timeRuns(() => albert.forward({ inputIds: { data: ids32, dims: [batch, seqLen] } }), timing);
  const ortTimes = await timeRuns(() => session.run(feeds), timing);
  const albertTps = count / (median(albertTimes) / 1000);
  const ortTps = count / (median(ortTimes) / 1000);
  rows.push({
    shape: `${batch} x ${seqLen}`,
    'albert-node ms': median(albertTimes).toFixed(1),
    'onnxruntime ms': median(ortTimes).toFixed(1),
    'albert-node tok/s': albertTps.toFixed(0),
    'onnxruntime tok/s': ortTps.toFixed(0),
    'ratio (albert/ort)': (albertTps / ortTps).toFixed(2),
  });
}
printTable(rows, Object.keys(rows[0]));
albert.dispose();
await session.release();
