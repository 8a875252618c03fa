import * as path from 'node:path';
import { binding, type NativeForwardInputs, type NativeForwardOutputs, type NativeModel } from './binding';
import type { AlbertConfig } from './config';
import { albertError, ErrorCodes } from './errors';
import { planBatches } from './batching';
import { describe, toFlat, toMatrix, type IndexInput, type Matrix } from './inputs';
import { checkHubOptions, type DownloadProgress } from './hub';
import { resolveModelPath, type ResolvedModelPath } from './model-path';
import { saveHuggingFaceFolder } from './save-pretrained';
import { Tensor } from './tensor';
import type { Tokenizer } from './tokenizer';

/** Which compute kernels to use: the best the CPU supports (`auto`), or one ISA (for testing). */
export type KernelChoice = 'auto' | 'generic' | 'avx2' | 'avx512';

export interface FromPretrainedOptions {
  /** Threads for each forward pass (default: all cores). Concurrent forwards share the cores, never oversubscribe. */
  threads?: number;
  /** Kernel selection; `auto` (default) picks by CPU features. The env var ALBERT_NODE_ISA can lower it. */
  kernel?: KernelChoice;
  /**
   * How the dense layers and word embeddings are kept in memory (default `float32`). `float16` and `bfloat16`
   * halve the weights' memory; the kernels widen them to float32 as they load them, so all arithmetic stays
   * float32 (results then differ from float32 weights by the rounding of the weights, about 1e-3).
   */
  dtype?: WeightDType;
  /**
   * Which head to load. Default `base`: only the encoder, of any ALBERT checkpoint (like transformers'
   * AlbertModel class); `auto`: the head of the class config.json's `architectures` names (like AutoModel).
   * The AlbertFor* classes load their own head.
   */
  task?: AlbertTask | 'auto';
  /**
   * Where `.tar.gz` release archives are unpacked and Hugging Face Hub models are downloaded (once; later loads
   * reuse the folder). Default: env ALBERT_NODE_CACHE, else `~/.cache/albert-node`.
   */
  cacheDir?: string;
  /**
   * Hub models: the branch, tag or 40-hex commit to download (default `main`). A branch or tag is resolved to a
   * commit on the first download; later loads reuse that snapshot without a network request.
   */
  revision?: string;
  /** Hub models: never touch the network; load from the cache or fail with FILE_NOT_FOUND (also env HF_HUB_OFFLINE=1). */
  localFilesOnly?: boolean;
  /** Hub models: an access token for private and gated repositories (default: env HF_TOKEN). */
  token?: string;
  /** Hub models: called as each file downloads, with its name, the bytes on disk so far and its size. */
  onProgress?: (progress: DownloadProgress) => void;
}

/** Where a loaded model came from, and in which format and variable layout (`model.source`). */
export interface ModelSource {
  /**
   * `safetensors` (a Hugging Face folder), `pytorch` (a Hugging Face folder with only `pytorch_model.bin` or
   * `pytorch_model.bin.index.json`, read without running its pickle) or `tensorflow` (a TF1 checkpoint).
   */
  format: 'safetensors' | 'pytorch' | 'tensorflow';
  /**
   * `huggingface`; `google` (google-research/albert and TF-Hub checkpoints: bert/encoder/transformer/group_G/inner_group_I);
   * `brightmart` (albert_zh: word_embeddings_2, bert/encoder/layer_shared, optionally pre-LayerNorm).
   */
  layout: 'huggingface' | 'google' | 'brightmart';
  /** The folder, checkpoint prefix or `.index` file that was opened (inside the cache for an archive). */
  path: string;
  /** The weights: `model.safetensors` (or its index), `pytorch_model.bin` (or its index), or the checkpoint prefix. */
  checkpoint: string;
  /** The config file that was read (`config.json`, `albert_config.json`, `albert_config_*.json`). */
  config: string;
  /** TensorFlow: variables not part of the model (optimizer slots such as adam_m/lamb_v, global_step). */
  skippedTensors: number;
  /** The `.tar.gz` archive the model was unpacked from, when it was loaded from one. */
  archive?: string;
  /** The Hugging Face Hub repository, revision and resolved commit, when it was downloaded (or found in the cache). */
  hub?: { repo: string; revision: string; commit: string };
}

/** The heads of transformers' ALBERT classes: AlbertModel, AlbertForPreTraining, AlbertForMaskedLM, ... */
export type AlbertTask =
  | 'base'
  | 'pretraining'
  | 'masked-lm'
  | 'sequence-classification'
  | 'token-classification'
  | 'question-answering'
  | 'multiple-choice';

const TASKS: readonly string[] = [
  'base',
  'pretraining',
  'masked-lm',
  'sequence-classification',
  'token-classification',
  'question-answering',
  'multiple-choice',
];

/** Storage type of the weights in memory. */
export type WeightDType = 'float32' | 'float16' | 'bfloat16';

export interface ForwardInputs {
  /**
   * Token ids, [batch, seqLen]. A `number[][]` may be ragged (rows of different lengths): the rows are then
   * padded to the longest and the padding is masked (never computed).
   */
  inputIds: IndexInput;
  /** 1 for tokens to attend to, 0 for padding; default all ones. Padded positions are never computed. */
  attentionMask?: IndexInput;
  /** Segment ids (0 for `[CLS] A [SEP]`, 1 for `B [SEP]`); default all zeros. */
  tokenTypeIds?: IndexInput;
  /** Position ids; default 0..seqLen-1 in every row. */
  positionIds?: IndexInput;
}

export interface ForwardOptions {
  /** Also return the output of the embeddings projection and of every layer step (N + 1 tensors). */
  outputHiddenStates?: boolean;
  /**
   * MLM heads only: run the vocabulary projection at these `[row, position]` pairs alone (e.g. the [MASK]
   * positions); `predictionLogits` is then [pairs, vocab_size] in this order. Default: every position.
   */
  predictionPositions?: ReadonlyArray<readonly [number, number]>;
  /**
   * Preallocated float32 outputs to write into (reused across calls to avoid allocation). Each must have
   * the exact dims of the output it replaces.
   */
  outputs?: {
    lastHiddenState?: Tensor<'float32'>;
    poolerOutput?: Tensor<'float32'>;
    hiddenStates?: Tensor<'float32'>[];
  };
}

export interface AlbertOutput {
  /** [batch, seqLen, hidden_size]; positions whose attention mask is 0 hold zeros (they are not computed). */
  lastHiddenState: Tensor<'float32'>;
  /** [batch, hidden_size]: tanh(dense(first token)); absent when the checkpoint has no pooler weights. */
  poolerOutput?: Tensor<'float32'>;
  /** With `outputHiddenStates`: num_hidden_layers + 1 tensors of [batch, seqLen, hidden_size]. */
  hiddenStates?: Tensor<'float32'>[];
  /** masked-lm, pretraining: [batch, seqLen, vocab_size], or [pairs, vocab_size] with `predictionPositions`. */
  predictionLogits?: Tensor<'float32'>;
  /** pretraining: sentence-order prediction logits [batch, num_labels]. */
  sopLogits?: Tensor<'float32'>;
  /**
   * sequence-classification: [batch, num_labels]; token-classification: [batch, seqLen, num_labels];
   * multiple-choice: [batch, 1], one score per row (AlbertForMultipleChoice shapes it [batch, choices]).
   */
  logits?: Tensor<'float32'>;
  /** question-answering: [batch, seqLen]. */
  startLogits?: Tensor<'float32'>;
  /** question-answering: [batch, seqLen]. */
  endLogits?: Tensor<'float32'>;
}

/** The head outputs of a forward pass, by task (masked positions hold zeros in per-position outputs). */
export type HeadOutputs = Pick<AlbertOutput, 'predictionLogits' | 'sopLogits' | 'logits' | 'startLogits' | 'endLogits'>;

/** Sequences back to back with their lengths: the layout the engine runs natively (no padding anywhere). */
export interface PackedInputs {
  /** Token ids of all sequences, concatenated. Int32Array/BigInt64Array are read in place. */
  inputIds: Int32Array | BigInt64Array | readonly number[];
  /** Tokens per sequence; they must add up to the length of inputIds. */
  lengths: Int32Array | readonly number[];
  /** Segment ids, same layout as inputIds; default zeros. */
  tokenTypeIds?: Int32Array | BigInt64Array | readonly number[];
  /** Position ids, same layout as inputIds; default 0..length-1 within each sequence. */
  positionIds?: Int32Array | BigInt64Array | readonly number[];
  /** MLM heads only: token indices (into the packed tokens) where the vocabulary projection runs; default all. */
  predictionPositions?: Int32Array | readonly number[];
}

export interface PackedOutput {
  /** [totalTokens, hidden_size]: sequence b occupies rows offsets[b] .. offsets[b+1]-1. */
  lastHiddenState: Tensor<'float32'>;
  /** [sequences, hidden_size]; absent when the checkpoint has no pooler. A zero-length sequence pools a zero state. */
  poolerOutput?: Tensor<'float32'>;
  /** With `outputHiddenStates`: num_hidden_layers + 1 tensors of [totalTokens, hidden_size]. */
  hiddenStates?: Tensor<'float32'>[];
  /** sequences + 1 row offsets into the outputs. */
  offsets: Int32Array;
  /** masked-lm, pretraining: [totalTokens, vocab_size] (or [positions, vocab_size] with `predictionPositions`). */
  predictionLogits?: Tensor<'float32'>;
  /** pretraining: [sequences, num_labels]. */
  sopLogits?: Tensor<'float32'>;
  /** sequence-classification, multiple-choice: [sequences, num_labels]; token-classification: [totalTokens, num_labels]. */
  logits?: Tensor<'float32'>;
  /** question-answering: [totalTokens]. */
  startLogits?: Tensor<'float32'>;
  /** question-answering: [totalTokens]. */
  endLogits?: Tensor<'float32'>;
}

/**
 * One sequence for forwardMany(): a text or a `[text, textPair]` (with `options.tokenizer`), its token ids, or
 * ids with segment and position ids.
 */
export type SequenceInput =
  | string
  | readonly [string, string]
  | readonly number[]
  | Int32Array
  | {
      inputIds: readonly number[] | Int32Array;
      tokenTypeIds?: readonly number[] | Int32Array;
      positionIds?: readonly number[] | Int32Array;
      /** MLM heads: run the vocabulary projection only at these positions of this sequence (e.g. its [MASK]s). */
      predictionPositions?: readonly number[] | Int32Array;
    };

export interface ForwardManyOptions {
  /** Tokens per native call (default 16384). Larger batches use more memory; every batch keeps all cores busy. */
  tokenBudget?: number;
  /** Tokenizes the sequences given as texts (natively, off the event loop). */
  tokenizer?: Tokenizer;
  /**
   * Texts longer than this many tokens (special tokens included) are truncated ('longest_first' for pairs).
   * Default: max_position_embeddings.
   */
  maxLength?: number;
  /**
   * Which outputs to keep (default: hidden states, pooler and the head's outputs). Leaving out `lastHiddenState`
   * keeps a large job's memory to one vector per sequence. MLM `predictionLogits` ([length, vocab_size] per
   * sequence) are large and only computed with `predictionLogits: true`; `head: false` skips every head output.
   */
  outputs?: { lastHiddenState?: boolean; poolerOutput?: boolean; head?: boolean; predictionLogits?: boolean };
  /** Called after each batch with the number of sequences done and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Stops before the next batch; the Promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * forwardMany's options plus a hook for the pipelines (not exported from the package): each sequence's output
 * goes to `onSequence` as its batch finishes instead of into the returned array, so a pooled job never holds
 * every token's states of all its sequences at once.
 */
export interface StreamingForwardManyOptions extends ForwardManyOptions {
  onSequence?: (index: number, output: SequenceOutput) => void;
}

export interface SequenceOutput {
  /** [length, hidden_size]: a view into the batch's output (no copy); absent when not asked for. */
  lastHiddenState?: Tensor<'float32'>;
  /** [hidden_size]; absent when the checkpoint has no pooler. */
  poolerOutput?: Tensor<'float32'>;
  /**
   * masked-lm, pretraining: [length, vocab_size] with `outputs.predictionLogits`, or [positions, vocab_size]
   * when the sequence gave `predictionPositions`.
   */
  predictionLogits?: Tensor<'float32'>;
  /** pretraining: [num_labels]. */
  sopLogits?: Tensor<'float32'>;
  /** sequence-classification, multiple-choice: [num_labels]; token-classification: [length, num_labels]. */
  logits?: Tensor<'float32'>;
  /** question-answering: [length]. */
  startLogits?: Tensor<'float32'>;
  /** question-answering: [length]. */
  endLogits?: Tensor<'float32'>;
}

/** Facts about a loaded model's engine. */
export interface ModelInfo {
  /** The kernel set in use. */
  kernel: 'generic' | 'avx2' | 'avx512';
  /** Threads per forward pass. */
  threads: number;
  /** Whether the checkpoint has pooler weights (poolerOutput is returned). */
  hasPooler: boolean;
  /** Bytes of weights held in memory (packed). */
  weightBytes: number;
  /** How the weights are stored. */
  dtype: WeightDType;
  /** The head that was loaded. */
  task: AlbertTask;
  /** Outputs of the classifier head (sequence/token classification labels, 2 for SOP and QA, 1 for multiple choice); 0 without one. */
  numLabels: number;
}

const disposeSymbol: typeof Symbol.dispose = Symbol.dispose ?? Symbol.for('Symbol.dispose');
const asyncDisposeSymbol: typeof Symbol.asyncDispose = Symbol.asyncDispose ?? Symbol.for('Symbol.asyncDispose');

/**
 * The ALBERT encoder (Hugging Face `AlbertModel`): embeddings, the shared transformer layers and the pooler.
 * Loading and every forward pass run on native threads; the event loop stays free.
 */
export class AlbertModel {
  /** config.json with Hugging Face defaults filled in (for TensorFlow checkpoints: their config, converted). */
  readonly config: AlbertConfig;
  /** The folder the model was loaded from (for a checkpoint prefix: its folder; for an archive: the unpacked folder). */
  readonly path: string;
  #native: NativeModel | undefined;
  readonly #info: ModelInfo;
  readonly #source: ModelSource;

  protected constructor(native: NativeModel, resolved: ResolvedModelPath) {
    this.#native = native;
    this.path = resolved.folder;
    this.config = Object.freeze(native.config()) as AlbertConfig;
    const { source, ...info } = native.info();
    this.#info = Object.freeze(info);
    this.#source = Object.freeze({
      ...source,
      ...(resolved.archive === undefined ? {} : { archive: resolved.archive }),
      ...(resolved.hub === undefined ? {} : { hub: Object.freeze({ ...resolved.hub }) }),
    });
  }

  /**
   * Loads an ALBERT checkpoint, detecting its format and layout (see {@link AlbertModel.source}):
   * - a Hugging Face folder: `config.json` and `model.safetensors` (or a sharded `model.safetensors.index.json`),
   *   or only `pytorch_model.bin` (torch's zip or legacy format, read by a restricted unpickler that never runs
   *   code), float32/float16/bfloat16, keys with or without the `albert.` prefix;
   * - a Hugging Face Hub model id (`albert-base-v2`, `org/name`), downloaded once into `options.cacheDir`;
   * - a TensorFlow 1 checkpoint of Google's ALBERT code (also TF-Hub's `module/` variables) or brightmart's
   *   albert_zh (post- and pre-LayerNorm): a folder holding `checkpoint` or `*.index` plus `albert_config*.json`,
   *   a prefix such as `.../model.ckpt-best`, or its `.index` file;
   * - a `.tar.gz` release archive (Google's `albert_base_v2.tar.gz`, `albert_base_zh.tar.gz`), unpacked once
   *   into `options.cacheDir`.
   */
  static async fromPretrained(folder: string, options: FromPretrainedOptions = {}): Promise<AlbertModel> {
    const { native, resolved } = await AlbertModel.loadNative(folder, options, options?.task ?? 'base');
    return new AlbertModel(native, resolved);
  }

  /** @internal Validates the options and loads the native model with `task`. */
  protected static async loadNative(
    folder: string,
    options: FromPretrainedOptions,
    task: AlbertTask | 'auto',
  ): Promise<{ native: NativeModel; resolved: ResolvedModelPath }> {
    if (typeof folder !== 'string' || folder.length === 0) {
      throw albertError(ErrorCodes.INVALID_INPUT, `fromPretrained() needs a folder path string (got ${describe(folder)})`, true);
    }
    if (options === null || typeof options !== 'object') {
      throw albertError(ErrorCodes.INVALID_INPUT, `options must be an object (got ${describe(options)})`, true);
    }
    const { threads, kernel, dtype, cacheDir, revision, localFilesOnly, token, onProgress } = options;
    if (cacheDir !== undefined && (typeof cacheDir !== 'string' || cacheDir.length === 0)) {
      throw albertError(ErrorCodes.INVALID_INPUT, `cacheDir must be a folder path string (got ${describe(cacheDir)})`, true);
    }
    checkHubOptions(options);
    if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) {
      throw albertError(ErrorCodes.INVALID_INPUT, `threads must be a positive integer (got ${String(threads)})`, typeof threads !== 'number');
    }
    if (kernel !== undefined && !['auto', 'generic', 'avx2', 'avx512'].includes(kernel)) {
      throw albertError(ErrorCodes.INVALID_INPUT, `kernel must be 'auto', 'generic', 'avx2' or 'avx512' (got ${String(kernel)})`);
    }
    if (dtype !== undefined && !['float32', 'float16', 'bfloat16'].includes(dtype)) {
      throw albertError(ErrorCodes.INVALID_INPUT, `dtype must be 'float32', 'float16' or 'bfloat16' (got ${String(dtype)})`);
    }
    if (task !== 'auto' && !TASKS.includes(task)) {
      throw albertError(ErrorCodes.INVALID_INPUT, `task must be 'auto' or one of ${TASKS.join(', ')} (got ${String(task)})`);
    }
    const resolved = await resolveModelPath(folder, { cacheDir, revision, localFilesOnly, token, onProgress });
    const native = await binding().loadModel(resolved.modelPath, { threads: threads ?? 0, kernel: kernel ?? 'auto', dtype: dtype ?? 'float32', task });
    return { native, resolved };
  }

  /** The loaded head (`info.task`). */
  get task(): AlbertTask {
    return this.#info.task;
  }

  /** Label names by class index, from config.json's `id2label` (transformers' `LABEL_i` where it has none). */
  get id2label(): Readonly<Record<number, string>> {
    const given = this.config.id2label;
    const out: Record<number, string> = {};
    if (given && typeof given === 'object') {
      for (const [key, value] of Object.entries(given)) out[Number(key)] = String(value);
    } else {
      for (let i = 0; i < this.#info.numLabels; i++) out[i] = `LABEL_${i}`;
    }
    return out;
  }

  /** Class index by label name, from config.json's `label2id` (else the inverse of `id2label`). */
  get label2id(): Readonly<Record<string, number>> {
    const given = this.config.label2id;
    if (given && typeof given === 'object') return Object.fromEntries(Object.entries(given).map(([k, v]) => [k, Number(v)]));
    return Object.fromEntries(Object.entries(this.id2label).map(([id, label]) => [label, Number(id)]));
  }

  /** Where the model came from: format (safetensors / tensorflow), variable layout, files read. */
  get source(): ModelSource {
    return this.#source;
  }

  /**
   * Saves the model as a Hugging Face folder: `model.safetensors` (every tensor of the checkpoint under
   * transformers' names, re-read from the source files, which must still be there), `config.json`, and the
   * tokenizer files (a TensorFlow release's `30k-clean.model` becomes `spiece.model`, its `vocab_chinese.txt`
   * becomes `vocab.txt`, with a `tokenizer_config.json` naming AlbertTokenizer or BertTokenizer). Converts a
   * TensorFlow checkpoint once into a folder that loads fast and can be shared. Google-layout checkpoints give
   * folders transformers loads too; brightmart's layout has no transformers class, so its folders carry
   * `embedding_layout` / `ln_type` fields that only albert-node reads.
   */
  async savePretrained(folder: string): Promise<void> {
    const native = this.#requireNative();
    if (typeof folder !== 'string' || folder.length === 0) {
      throw albertError(ErrorCodes.INVALID_INPUT, `savePretrained() needs a folder path string (got ${describe(folder)})`, true);
    }
    await saveHuggingFaceFolder(native, this.config, this.#source, this.path, path.resolve(folder));
  }

  /** Engine facts: kernel set, threads, pooler presence, weight memory. */
  get info(): ModelInfo {
    return this.#info;
  }

  /** True after dispose(). */
  get disposed(): boolean {
    return this.#native === undefined;
  }

  /**
   * Runs the encoder. Inputs may be Tensors, `number[][]`, or flat Int32Array/BigInt64Array with a
   * `dims: [batch, seqLen]` field (read in place, never copied). Outputs are float32 Tensors whose memory
   * JS owns; native code writes them directly. Safe to call concurrently.
   */
  async forward(inputs: ForwardInputs, options: ForwardOptions = {}): Promise<AlbertOutput> {
    const native = this.#requireNative();
    if (inputs === null || typeof inputs !== 'object') {
      throw albertError(ErrorCodes.INVALID_INPUT, `forward() needs an inputs object (got ${describe(inputs)})`, true);
    }
    if (options === null || typeof options !== 'object') {
      throw albertError(ErrorCodes.INVALID_INPUT, `options must be an object (got ${describe(options)})`, true);
    }
    if (inputs.inputIds === undefined) throw albertError(ErrorCodes.INVALID_INPUT, 'inputs.inputIds is required', true);
    const ids = toMatrix('inputIds', inputs.inputIds, true);
    const request: NativeForwardInputs = { batch: ids.batch, seqLen: ids.seqLen, inputIds: ids.data };
    const optional = ['attentionMask', 'tokenTypeIds', 'positionIds'] as const;
    for (const name of optional) {
      const value = inputs[name];
      if (value === undefined || value === null) continue;
      const matrix = toMatrix(name, value, ids.rowLengths !== undefined);
      sameDims(ids, matrix, name);
      if (ids.rowLengths && matrix.rowLengths) {
        const row = ids.rowLengths.findIndex((length, b) => matrix.rowLengths![b] !== length);
        if (row >= 0) {
          throw albertError(ErrorCodes.INVALID_INPUT, `${name}[${row}] has ${matrix.rowLengths[row]} elements but inputIds[${row}] has ${ids.rowLengths[row]}`);
        }
      }
      if (ids.rowLengths && name === 'attentionMask') checkMaskCoversRows(matrix, ids.rowLengths);
      request[name] = matrix.data;
    }
    if (ids.rowLengths && !request.attentionMask) request.attentionMask = maskFromLengths(ids.rowLengths, ids.seqLen);

    const { batch, seqLen } = ids;
    const hidden = this.config.hidden_size;
    const stateDims = [batch, seqLen, hidden];
    const given = options.outputs ?? {};
    const lastHiddenState = output('lastHiddenState', given.lastHiddenState, stateDims);
    const poolerOutput = this.#info.hasPooler ? output('poolerOutput', given.poolerOutput, [batch, hidden]) : undefined;
    let hiddenStates: Tensor<'float32'>[] | undefined;
    if (options.outputHiddenStates) {
      const count = this.config.num_hidden_layers + 1;
      if (given.hiddenStates !== undefined && (!Array.isArray(given.hiddenStates) || given.hiddenStates.length !== count)) {
        throw albertError(ErrorCodes.INVALID_INPUT, `outputs.hiddenStates must be an array of ${count} tensors`);
      }
      hiddenStates = Array.from({ length: count }, (_, i) => output(`hiddenStates[${i}]`, given.hiddenStates?.[i], stateDims));
    }
    const positions = options.predictionPositions === undefined ? undefined : cellPositions(options.predictionPositions, batch, seqLen);
    const heads = this.#allocateHeads([batch], [batch, seqLen], positions);
    await native.forward(request, {
      lastHiddenState: lastHiddenState.data,
      poolerOutput: poolerOutput?.data,
      hiddenStates: hiddenStates?.map((t) => t.data),
      ...nativeHeads(heads, positions),
    });
    const result: AlbertOutput = { lastHiddenState, ...heads };
    if (poolerOutput) result.poolerOutput = poolerOutput;
    if (hiddenStates) result.hiddenStates = hiddenStates;
    return result;
  }

  /**
   * Zeroed head outputs for this model's task. `rows` is the per-sequence shape prefix, `cells` the
   * per-position one; `positions` narrows the MLM logits to those rows.
   */
  #allocateHeads(rows: number[], cells: number[], positions: Int32Array | undefined, mlm = true): HeadOutputs {
    const { task, numLabels } = this.#info;
    const vocab = this.config.vocab_size;
    const out: HeadOutputs = {};
    if ((task === 'masked-lm' || task === 'pretraining') && mlm) {
      out.predictionLogits = Tensor.zeros('float32', positions ? [positions.length, vocab] : [...cells, vocab]);
    }
    if (task === 'pretraining') out.sopLogits = Tensor.zeros('float32', [...rows, numLabels]);
    if (task === 'sequence-classification' || task === 'multiple-choice') out.logits = Tensor.zeros('float32', [...rows, numLabels]);
    if (task === 'token-classification') out.logits = Tensor.zeros('float32', [...cells, numLabels]);
    if (task === 'question-answering') {
      out.startLogits = Tensor.zeros('float32', cells);
      out.endLogits = Tensor.zeros('float32', cells);
    }
    return out;
  }

  /**
   * Runs sequences given back to back with their lengths: the engine's native layout, with no padding in the
   * inputs, the computation or the outputs. Outputs are [totalTokens, hidden_size].
   */
  async forwardPacked(inputs: PackedInputs, options: Pick<ForwardOptions, 'outputHiddenStates'> = {}): Promise<PackedOutput> {
    const out = await this.#runPacked(inputs, { lastHiddenState: true, poolerOutput: true, hiddenStates: options.outputHiddenStates, head: true });
    return out as PackedOutput;
  }

  async #runPacked(
    inputs: PackedInputs,
    want: { lastHiddenState: boolean; poolerOutput: boolean; hiddenStates?: boolean | undefined; head?: boolean; predictionLogits?: boolean },
  ): Promise<Partial<PackedOutput> & { offsets: Int32Array }> {
    const native = this.#requireNative();
    if (inputs === null || typeof inputs !== 'object') {
      throw albertError(ErrorCodes.INVALID_INPUT, `forwardPacked() needs an inputs object (got ${describe(inputs)})`, true);
    }
    const ids = toFlat('inputIds', inputs.inputIds);
    const lengths = inputs.lengths instanceof Int32Array ? inputs.lengths : toFlat('lengths', inputs.lengths);
    if (!(lengths instanceof Int32Array)) throw albertError(ErrorCodes.INVALID_INPUT, 'lengths must be an Int32Array or number[]', true);
    const offsets = new Int32Array(lengths.length + 1);
    for (let b = 0; b < lengths.length; b++) {
      if (lengths[b] < 0) throw albertError(ErrorCodes.INVALID_INPUT, `lengths[${b}] = ${lengths[b]} is negative`);
      offsets[b + 1] = offsets[b] + lengths[b];
    }
    const total = offsets[lengths.length];
    if (ids.length !== total) {
      throw albertError(ErrorCodes.INVALID_INPUT, `inputIds has ${ids.length} tokens but lengths add up to ${total}`);
    }
    const request: NativeForwardInputs = { batch: lengths.length, seqLen: 0, lengths, inputIds: ids };
    for (const name of ['tokenTypeIds', 'positionIds'] as const) {
      const value = inputs[name];
      if (value === undefined || value === null) continue;
      const flat = toFlat(name, value);
      if (flat.length !== total) throw albertError(ErrorCodes.INVALID_INPUT, `${name} has ${flat.length} elements, inputIds has ${total}`);
      request[name] = flat;
    }
    const hidden = this.config.hidden_size;
    const lastHiddenState = want.lastHiddenState ? Tensor.zeros('float32', [total, hidden]) : undefined;
    const poolerOutput = want.poolerOutput && this.#info.hasPooler ? Tensor.zeros('float32', [lengths.length, hidden]) : undefined;
    const hiddenStates = want.hiddenStates
      ? Array.from({ length: this.config.num_hidden_layers + 1 }, () => Tensor.zeros('float32', [total, hidden]))
      : undefined;
    let positions: Int32Array | undefined;
    if (inputs.predictionPositions !== undefined && inputs.predictionPositions !== null) {
      positions = int32('predictionPositions', inputs.predictionPositions);
      const bad = positions.findIndex((p) => p < 0 || p >= total);
      if (bad >= 0) {
        throw albertError(ErrorCodes.INPUT_OUT_OF_RANGE, `predictionPositions[${bad}] = ${positions[bad]} is outside the ${total} tokens`);
      }
    }
    const heads = want.head === false ? {} : this.#allocateHeads([lengths.length], [total], positions, want.predictionLogits !== false);
    await native.forward(request, {
      lastHiddenState: lastHiddenState?.data,
      poolerOutput: poolerOutput?.data,
      hiddenStates: hiddenStates?.map((t) => t.data),
      ...nativeHeads(heads, positions),
    });
    const result: Partial<PackedOutput> & { offsets: Int32Array } = { offsets, ...heads };
    if (lastHiddenState) result.lastHiddenState = lastHiddenState;
    if (poolerOutput) result.poolerOutput = poolerOutput;
    if (hiddenStates) result.hiddenStates = hiddenStates;
    return result;
  }

  /**
   * The batching helper for large jobs: sorts the sequences by length, packs them into native calls of at most
   * `tokenBudget` tokens (no padding), and returns one output per sequence in input order.
   */
  async forwardMany(sequences: readonly SequenceInput[], options: ForwardManyOptions = {}): Promise<SequenceOutput[]> {
    const onSequence = (options as StreamingForwardManyOptions).onSequence;
    this.#requireNative();
    if (!Array.isArray(sequences)) {
      throw albertError(ErrorCodes.INVALID_INPUT, `forwardMany() needs an array of sequences (got ${describe(sequences)})`, true);
    }
    const { tokenBudget = 16384, onProgress, signal } = options;
    const keepHidden = options.outputs?.lastHiddenState ?? true;
    const keepPooler = options.outputs?.poolerOutput ?? true;
    const keepHead = options.outputs?.head ?? true;
    const items = await this.#normalizeSequences(sequences, options);
    // Positions given by any sequence narrow the MLM head to them (sequences without any get none).
    const byPosition = items.some((item) => item.predictionPositions);
    const keepPredictions = keepHead && (byPosition || (options.outputs?.predictionLogits ?? false));
    const { batches } = planBatches(items.map((s) => s.inputIds.length), tokenBudget);
    const results: SequenceOutput[] = new Array(items.length);
    const hidden = this.config.hidden_size;
    let done = 0;
    for (const batch of batches) {
      signal?.throwIfAborted();
      const lengths = Int32Array.from(batch, (i) => items[i].inputIds.length);
      const inputIds = concat(batch.map((i) => items[i].inputIds));
      const packed: PackedInputs = { inputIds, lengths };
      if (batch.some((i) => items[i].tokenTypeIds)) {
        packed.tokenTypeIds = concat(batch.map((i) => items[i].tokenTypeIds ?? new Int32Array(items[i].inputIds.length)));
      }
      if (batch.some((i) => items[i].positionIds)) {
        packed.positionIds = concat(batch.map((i) => items[i].positionIds ?? Int32Array.from(items[i].inputIds, (_, t) => t)));
      }
      const predictionStart = new Int32Array(batch.length + 1);
      if (byPosition && keepPredictions) {
        let tokenOffset = 0;
        const positions: number[] = [];
        batch.forEach((i, b) => {
          for (const p of items[i].predictionPositions ?? []) positions.push(tokenOffset + p);
          tokenOffset += items[i].inputIds.length;
          predictionStart[b + 1] = positions.length;
        });
        if (positions.length > 0) packed.predictionPositions = Int32Array.from(positions);
      }
      // Narrowed to positions and none in this batch: no MLM work at all.
      const predictions = keepPredictions && (!byPosition || packed.predictionPositions !== undefined);
      const out = await this.#runPacked(packed, {
        lastHiddenState: keepHidden,
        poolerOutput: keepPooler,
        head: keepHead,
        predictionLogits: predictions,
      });
      batch.forEach((index, b) => {
        const result: SequenceOutput = {};
        if (out.lastHiddenState) {
          const begin = out.offsets[b] * hidden;
          const end = out.offsets[b + 1] * hidden;
          result.lastHiddenState = new Tensor('float32', out.lastHiddenState.data.subarray(begin, end), [lengths[b], hidden]);
        }
        if (out.poolerOutput) {
          result.poolerOutput = new Tensor('float32', out.poolerOutput.data.subarray(b * hidden, (b + 1) * hidden), [hidden]);
        }
        Object.assign(result, sequenceHeads(out, b, this.#info.task, packed.predictionPositions !== undefined));
        if (out.predictionLogits && packed.predictionPositions) {
          const vocab = out.predictionLogits.dims[1];
          const rows = out.predictionLogits.data.subarray(predictionStart[b] * vocab, predictionStart[b + 1] * vocab);
          result.predictionLogits = new Tensor('float32', rows, [predictionStart[b + 1] - predictionStart[b], vocab]);
        }
        if (onSequence) onSequence(index, result);
        else results[index] = result;
      });
      done += batch.length;
      onProgress?.(done, items.length);
    }
    return results;
  }

  async #normalizeSequences(sequences: readonly SequenceInput[], options: ForwardManyOptions): Promise<NormalizedSequence[]> {
    const items: (NormalizedSequence | undefined)[] = new Array(sequences.length);
    const textIndices: number[] = [];
    sequences.forEach((s, i) => {
      if (typeof s === 'string' || (Array.isArray(s) && s.length === 2 && typeof s[0] === 'string')) textIndices.push(i);
      else items[i] = normalizeSequence(s as Exclude<SequenceInput, string | readonly [string, string]>, i);
    });
    if (textIndices.length > 0) {
      const { tokenizer } = options;
      if (!tokenizer || typeof (tokenizer as Partial<Tokenizer>).encodeBatch !== 'function') {
        throw albertError(ErrorCodes.INVALID_INPUT, `sequences[${textIndices[0]}] is text: pass options.tokenizer to tokenize it`, true);
      }
      const maxLength = options.maxLength ?? this.config.max_position_embeddings;
      // Encoded in slices so a huge job never holds one giant padded matrix.
      for (let start = 0; start < textIndices.length; start += 4096) {
        const slice = textIndices.slice(start, start + 4096);
        const texts = slice.map((i) => sequences[i]);
        const allPairs = texts.every((t) => Array.isArray(t));
        if (!allPairs && texts.some((t) => Array.isArray(t))) {
          // Mixed singles and pairs: encode them separately.
          for (const i of slice) {
            const t = sequences[i] as string | readonly [string, string];
            const enc = Array.isArray(t) ? tokenizer.encode(t[0], { textPair: t[1], maxLength }) : tokenizer.encode(t as string, { maxLength });
            items[i] = { inputIds: Int32Array.from(enc.ids), tokenTypeIds: Int32Array.from(enc.typeIds) };
          }
          continue;
        }
        const batch = await tokenizer.encodeBatch(texts as string[] | Array<[string, string]>, { truncation: true, maxLength });
        const seqLen = batch.inputIds.dims[1];
        slice.forEach((index, row) => {
          const begin = row * seqLen;
          const end = begin + batch.lengths[row];
          items[index] = { inputIds: batch.inputIds.data.subarray(begin, end), tokenTypeIds: batch.tokenTypeIds.data.subarray(begin, end) };
        });
      }
    }
    return items as NormalizedSequence[];
  }

  /**
   * Releases the weights. Forwards already running finish normally; later calls throw ERR_ALBERT_DISPOSED.
   * Calling it twice is harmless.
   */
  dispose(): void {
    this.#native?.dispose();
    this.#native = undefined;
  }

  [disposeSymbol](): void {
    this.dispose();
  }

  async [asyncDisposeSymbol](): Promise<void> {
    this.dispose();
  }

  #requireNative(): NativeModel {
    if (!this.#native) throw albertError(ErrorCodes.DISPOSED, 'the model has been disposed');
    return this.#native;
  }
}

interface NormalizedSequence {
  inputIds: Int32Array;
  tokenTypeIds?: Int32Array;
  positionIds?: Int32Array;
  predictionPositions?: Int32Array;
}

function int32(name: string, value: unknown): Int32Array {
  const flat = toFlat(name, value);
  if (flat instanceof BigInt64Array) throw albertError(ErrorCodes.INVALID_INPUT, `${name} must be an Int32Array or number[]`, true);
  return flat;
}

function normalizeSequence(sequence: SequenceInput, index: number): NormalizedSequence {
  if (Array.isArray(sequence) || sequence instanceof Int32Array) return { inputIds: int32(`sequences[${index}]`, sequence) };
  if (sequence === null || typeof sequence !== 'object' || !('inputIds' in sequence)) {
    throw albertError(ErrorCodes.INVALID_INPUT, `sequences[${index}] must be token ids or { inputIds, ... } (got ${describe(sequence)})`, true);
  }
  const inputIds = int32(`sequences[${index}].inputIds`, sequence.inputIds);
  const out: NormalizedSequence = { inputIds };
  for (const name of ['tokenTypeIds', 'positionIds'] as const) {
    const value = sequence[name];
    if (value === undefined) continue;
    const flat = int32(`sequences[${index}].${name}`, value);
    if (flat.length !== inputIds.length) {
      throw albertError(ErrorCodes.INVALID_INPUT, `sequences[${index}].${name} has ${flat.length} elements, inputIds has ${inputIds.length}`);
    }
    out[name] = flat;
  }
  if (sequence.predictionPositions !== undefined) {
    const positions = int32(`sequences[${index}].predictionPositions`, sequence.predictionPositions);
    const bad = positions.findIndex((p) => p < 0 || p >= inputIds.length);
    if (bad >= 0) {
      throw albertError(
        ErrorCodes.INPUT_OUT_OF_RANGE,
        `sequences[${index}].predictionPositions[${bad}] = ${positions[bad]} is outside its ${inputIds.length} tokens`,
      );
    }
    out.predictionPositions = positions;
  }
  return out;
}

function concat(parts: Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** A mask given with ragged ids may not attend to positions past a row's end (there is no token there). */
function checkMaskCoversRows(mask: Matrix, lengths: Int32Array): void {
  for (let b = 0; b < lengths.length; b++) {
    for (let t = lengths[b]; t < mask.seqLen; t++) {
      if (Number(mask.data[b * mask.seqLen + t]) !== 0) {
        throw albertError(ErrorCodes.INVALID_INPUT, `attentionMask[${b}][${t}] is set but inputIds[${b}] has only ${lengths[b]} tokens`);
      }
    }
  }
}

function maskFromLengths(lengths: Int32Array, seqLen: number): Int32Array {
  const mask = new Int32Array(lengths.length * seqLen);
  lengths.forEach((length, b) => mask.fill(1, b * seqLen, b * seqLen + length));
  return mask;
}

function sameDims(reference: Matrix, other: Matrix, name: string): void {
  if (reference.batch !== other.batch || reference.seqLen !== other.seqLen) {
    throw albertError(
      ErrorCodes.INVALID_INPUT,
      `${name} has dims [${other.batch}, ${other.seqLen}] but inputIds has [${reference.batch}, ${reference.seqLen}]`,
    );
  }
}

function output(name: string, given: Tensor<'float32'> | undefined, dims: number[]): Tensor<'float32'> {
  if (given === undefined) return Tensor.zeros('float32', dims);
  if (!(given instanceof Tensor) || given.dtype !== 'float32') {
    throw albertError(ErrorCodes.INVALID_INPUT, `outputs.${name} must be a float32 Tensor`, true);
  }
  if (given.dims.length !== dims.length || given.dims.some((d, i) => d !== dims[i])) {
    throw albertError(
      ErrorCodes.INVALID_INPUT,
      `outputs.${name} has dims [${given.dims.join(', ')}], expected [${dims.join(', ')}]`,
    );
  }
  return given;
}

/** [row, position] pairs -> flat cell indices of a [batch, seqLen] input. */
function cellPositions(pairs: ReadonlyArray<readonly [number, number]>, batch: number, seqLen: number): Int32Array {
  if (!Array.isArray(pairs)) throw albertError(ErrorCodes.INVALID_INPUT, 'predictionPositions must be an array of [row, position] pairs', true);
  const cells = new Int32Array(pairs.length);
  pairs.forEach((pair, i) => {
    const [row, position] = Array.isArray(pair) ? pair : [NaN, NaN];
    if (!Number.isInteger(row) || !Number.isInteger(position) || row < 0 || row >= batch || position < 0 || position >= seqLen) {
      throw albertError(
        ErrorCodes.INPUT_OUT_OF_RANGE,
        `predictionPositions[${i}] = ${JSON.stringify(pair)} is not a [row, position] inside [${batch}, ${seqLen}]`,
      );
    }
    cells[i] = row * seqLen + position;
  });
  return cells;
}

function nativeHeads(heads: HeadOutputs, positions: Int32Array | undefined): Partial<NativeForwardOutputs> {
  return {
    positions: heads.predictionLogits ? positions : undefined,
    predictionLogits: heads.predictionLogits?.data,
    sopLogits: heads.sopLogits?.data,
    logits: heads.logits?.data,
    startLogits: heads.startLogits?.data,
    endLogits: heads.endLogits?.data,
  };
}

/** Sequence b's views of a packed call's head outputs. */
function sequenceHeads(out: Partial<PackedOutput> & { offsets: Int32Array }, b: number, task: AlbertTask, byPosition: boolean): HeadOutputs {
  const begin = out.offsets[b];
  const end = out.offsets[b + 1];
  const perSequence = (t: Tensor<'float32'>): Tensor<'float32'> => {
    const width = t.dims[1];
    return new Tensor('float32', t.data.subarray(b * width, (b + 1) * width), [width]);
  };
  const perToken = (t: Tensor<'float32'>): Tensor<'float32'> => {
    const width = t.dims.length > 1 ? t.dims[1] : 1;
    const dims = t.dims.length > 1 ? [end - begin, width] : [end - begin];
    return new Tensor('float32', t.data.subarray(begin * width, end * width), dims);
  };
  const result: HeadOutputs = {};
  if (out.predictionLogits && !byPosition) result.predictionLogits = perToken(out.predictionLogits);
  if (out.sopLogits) result.sopLogits = perSequence(out.sopLogits);
  if (out.logits) result.logits = task === 'token-classification' ? perToken(out.logits) : perSequence(out.logits);
  if (out.startLogits) result.startLogits = perToken(out.startLogits);
  if (out.endLogits) result.endLogits = perToken(out.endLogits);
  return result;
}
