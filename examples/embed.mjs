// Embeds texts with an ALBERT model: tokenizer -> batching helper -> pooled vectors.
// usage: node examples/embed.mjs <model> [text ...]   (a Hub id such as albert-base-v2, or a local folder)
import { AlbertModel, Tokenizer } from 'albert-node';

const [folder, ...args] = process.argv.slice(2);
if (!folder) {
  console.error('usage: node examples/embed.mjs <model: Hub id or folder> [text ...]');
  process.exit(2);
}
const texts = args.length > 0 ? args : ['The capital of France is Paris.', 'ALBERT shares one layer across all layers.'];

const tokenizer = await Tokenizer.fromPretrained(folder);
const model = await AlbertModel.fromPretrained(folder);

// Tokenized natively, sorted by length, packed into large batches with no padding computed, run off the
// event loop; results come back in input order. Keep only the pooled vector of each text.
const outputs = await model.forwardMany(texts, { tokenizer, outputs: { lastHiddenState: false } });
outputs.forEach((out, i) => {
  const v = out.poolerOutput.data;
  console.log(`${texts[i].slice(0, 40).padEnd(40)} -> [${Array.from(v.subarray(0, 4), (x) => x.toFixed(4)).join(', ')}, ...] (${v.length} dims)`);
});
model.dispose();
tokenizer.dispose();
