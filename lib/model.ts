import * as path from 'node:path';
import { binding, type NativeForwardInputs, type NativeModel } from './binding';
import type { AlbertConfig } from './config';
import { albertError, ErrorCodes } from './errors';
import { describe, toMatrix, type IndexInput, type Matrix } from './inputs';
import { Tensor } from './tensor';

/** Which compute kernels to use: the best the CPU supports (`auto`), or one ISA (for testing). */
export type KernelChoice = 'auto' | 'generic' | 'avx2' | 'avx512';

export interface FromPretrainedOptions {
  /** Threads for each forward pass (default: all cores). Concurrent forwards share the cores, never oversubscribe. */
  threads?: number;
  /** Kernel selection; `auto` (default) picks by CPU features. The env var ALBERT_NODE_ISA can lower it. */
  kernel?: KernelChoice;
}

export interface ForwardInputs {
  /** Token ids, [batch, seqLen]. */
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
}

const disposeSymbol: typeof Symbol.dispose = Symbol.dispose ?? Symbol.for('Symbol.dispose');
const asyncDisposeSymbol: typeof Symbol.asyncDispose = Symbol.asyncDispose ?? Symbol.for('Symbol.asyncDispose');

/**
 * The ALBERT encoder (Hugging Face `AlbertModel`): embeddings, the shared transformer layers and the pooler.
 * Loading and every forward pass run on native threads; the event loop stays free.
 */
export class AlbertModel {
  /** config.json with Hugging Face defaults filled in. */
  readonly config: AlbertConfig;
  /** The folder the model was loaded from. */
  readonly path: string;
  #native: NativeModel | undefined;
  readonly #info: ModelInfo;

  private constructor(native: NativeModel, folder: string) {
    this.#native = native;
    this.path = folder;
    this.config = Object.freeze(native.config()) as AlbertConfig;
    this.#info = Object.freeze({ ...native.info() });
  }

  /**
   * Loads a Hugging Face ALBERT folder: `config.json` and `model.safetensors` (or a sharded
   * `model.safetensors.index.json`), float32/float16/bfloat16, keys with or without the `albert.` prefix.
   */
  static async fromPretrained(folder: string, options: FromPretrainedOptions = {}): Promise<AlbertModel> {
    if (typeof folder !== 'string' || folder.length === 0) {
      throw albertError(ErrorCodes.INVALID_INPUT, `fromPretrained() needs a folder path string (got ${describe(folder)})`, true);
    }
    if (options === null || typeof options !== 'object') {
      throw albertError(ErrorCodes.INVALID_INPUT, `options must be an object (got ${describe(options)})`, true);
    }
    const { threads, kernel } = options;
    if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) {
      throw albertError(ErrorCodes.INVALID_INPUT, `threads must be a positive integer (got ${String(threads)})`, typeof threads !== 'number');
    }
    if (kernel !== undefined && !['auto', 'generic', 'avx2', 'avx512'].includes(kernel)) {
      throw albertError(ErrorCodes.INVALID_INPUT, `kernel must be 'auto', 'generic', 'avx2' or 'avx512' (got ${String(kernel)})`);
    }
    const resolved = path.resolve(folder);
    const native = await binding().loadModel(resolved, { threads: threads ?? 0, kernel: kernel ?? 'auto' });
    return new AlbertModel(native, resolved);
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
    const ids = toMatrix('inputIds', inputs.inputIds);
    const request: NativeForwardInputs = { batch: ids.batch, seqLen: ids.seqLen, inputIds: ids.data };
    const optional = ['attentionMask', 'tokenTypeIds', 'positionIds'] as const;
    for (const name of optional) {
      const value = inputs[name];
      if (value === undefined || value === null) continue;
      const matrix = toMatrix(name, value);
      sameDims(ids, matrix, name);
      request[name] = matrix.data;
    }

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
    await native.forward(request, {
      lastHiddenState: lastHiddenState.data,
      poolerOutput: poolerOutput?.data,
      hiddenStates: hiddenStates?.map((t) => t.data),
    });
    const result: AlbertOutput = { lastHiddenState };
    if (poolerOutput) result.poolerOutput = poolerOutput;
    if (hiddenStates) result.hiddenStates = hiddenStates;
    return result;
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
