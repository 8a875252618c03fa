// Embeds texts with an ALBERT model: tokenizer -> batching helper -> pooled vectors.
// usage: node examples/embed.mjs <model-folder> [text ...]
import { AlbertModel, Tokenizer } from 'albert-node';

const [folder, ...args] = process.argv.slice(2);
if (!folder) {
  console.error('usage: node examples/embed.mjs <model-folder> [text ...]');
  process.exit(2);
}
const texts = args.length > 0 ? args : ['The capital of France is Paris.', 'ALBERT shares one layer across all layers.'];

const tokenizer = await Tokenizer.fromPretrained(folder);
const model = await AlbertModel.fromPretrained(folder);

// Tokenize natively (off the event loop), truncating to the model's maximum length.
const batch = await tokenizer.encodeBatch(texts, { truncation: true, maxLength: model.config.max_position_embeddings });
const seqLen = batch.inputIds.dims[1];
const sequences = Array.from(batch.lengths, (length, row) => batch.inputIds.data.subarray(row * seqLen, row * seqLen + length));

// Sorted, packed into large batches, no padding computed; results come back in input order.
const outputs = await model.forwardMany(sequences, { outputs: { lastHiddenState: false } });
outputs.forEach((out, i) => {
  const v = out.poolerOutput.data;
  console.log(`${texts[i].slice(0, 40).padEnd(40)} -> [${Array.from(v.subarray(0, 4), (x) => x.toFixed(4)).join(', ')}, ...] (${v.length} dims)`);
});
model.dispose();
tokenizer.dispose();
