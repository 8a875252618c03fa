/**
 * feature-extraction: texts -> hidden states, or one embedding per text (cls, mask-aware mean, or pooler),
 * optionally L2-normalized. Texts run through forwardMany (length-bucketed batches, no padding computed).
 */
import { albertError, ErrorCodes } from '../errors';
import { AlbertModel, type SequenceOutput, type StreamingForwardManyOptions } from '../model';
import { Tensor } from '../tensor';
import {
  asList,
  batching,
  callable,
  isTextInput,
  loadTokenizer,
  modelOptions,
  toSequence,
  type PipelineBase,
  type PipelineLoadOptions,
  type PipelineRunOptions,
  type TextInput,
} from './common';

/** `none`: every token's state; `cls`: the first token's; `mean`: the mean over the text's tokens; `pooler`: the pooler output. */
export type Pooling = 'none' | 'cls' | 'mean' | 'pooler';

export interface FeatureExtractionOptions extends PipelineRunOptions {
  /** Default `none` (Hugging Face's feature-extraction output). */
  pooling?: Pooling;
  /** Divide each embedding (each token state with `none`) by its L2 norm. Default false. */
  normalize?: boolean;
  /** Longer texts are truncated to this many tokens (default: max_position_embeddings). */
  maxLength?: number;
}

export interface FeatureExtractionPipeline extends PipelineBase<AlbertModel> {
  /** Pooled: a [texts, hidden_size] Tensor (one row per text, also for a single text). */
  (input: TextInput | readonly TextInput[], options: FeatureExtractionOptions & { pooling: 'cls' | 'mean' | 'pooler' }): Promise<Tensor<'float32'>>;
  /** Not pooled: one [tokens, hidden_size] Tensor per text. */
  (input: TextInput | readonly TextInput[], options?: FeatureExtractionOptions): Promise<Tensor<'float32'>[]>;
}

const POOLINGS: readonly string[] = ['none', 'cls', 'mean', 'pooler'];

export async function featureExtraction(folder: string, options: PipelineLoadOptions = {}): Promise<FeatureExtractionPipeline> {
  const model = await AlbertModel.fromPretrained(folder, { ...modelOptions(options), task: 'base' });
  const { tokenizer, owned } = await loadTokenizer(folder, options);
  const run = async (input: TextInput | readonly TextInput[], runOptions: FeatureExtractionOptions = {}) => {
    const { pooling = 'none', normalize = false, maxLength } = runOptions;
    if (!POOLINGS.includes(pooling)) {
      throw albertError(ErrorCodes.INVALID_INPUT, `pooling must be one of ${POOLINGS.join(', ')} (got ${String(pooling)})`);
    }
    if (pooling === 'pooler' && !model.info.hasPooler) {
      throw albertError(ErrorCodes.INVALID_INPUT, `pooling 'pooler' needs pooler weights, and ${folder} has none: use 'cls' or 'mean'`);
    }
    const { items } = asList(input, isTextInput, 'a text or { text, textPair }');
    const hidden = model.config.hidden_size;
    const forwardOptions = {
      ...batching(runOptions),
      tokenizer,
      maxLength,
      outputs: { lastHiddenState: pooling !== 'pooler', poolerOutput: pooling === 'pooler' },
    };
    if (pooling === 'none') {
      const outputs = await model.forwardMany(items.map(toSequence), forwardOptions);
      return outputs.map((o) => {
        const states = o.lastHiddenState!;
        if (normalize) for (let t = 0; t < states.dims[0]; t++) l2normalize(states.data.subarray(t * hidden, (t + 1) * hidden));
        return states;
      });
    }
    // Pooled as each batch finishes: the token states of one batch at a time, not of every text, are in memory.
    const embeddings = Tensor.zeros('float32', [items.length, hidden]);
    const onSequence = (i: number, o: SequenceOutput) => {
      const row = embeddings.data.subarray(i * hidden, (i + 1) * hidden);
      if (pooling === 'pooler') row.set(o.poolerOutput!.data);
      else if (pooling === 'cls') row.set(o.lastHiddenState!.data.subarray(0, hidden));
      else meanOfRows(o.lastHiddenState!.data, hidden, row);
      if (normalize) l2normalize(row);
    };
    const streaming: StreamingForwardManyOptions = { ...forwardOptions, onSequence };
    await model.forwardMany(items.map(toSequence), streaming);
    return embeddings;
  };
  return callable('feature-extraction', model, tokenizer, owned, run) as unknown as FeatureExtractionPipeline;
}

/** Mean of the rows (every row is a real token: no padding reaches here). Summed in float64. */
function meanOfRows(states: Float32Array, width: number, out: Float32Array): void {
  const rows = states.length / width;
  const sum = new Float64Array(width);
  for (let r = 0; r < rows; r++) for (let j = 0; j < width; j++) sum[j] += states[r * width + j];
  for (let j = 0; j < width; j++) out[j] = rows > 0 ? sum[j] / rows : 0;
}

/** In place; a zero vector stays zero (torch's normalize divides by max(norm, 1e-12)). */
function l2normalize(v: Float32Array): void {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  const norm = Math.max(Math.sqrt(sum), 1e-12);
  for (let i = 0; i < v.length; i++) v[i] /= norm;
}
