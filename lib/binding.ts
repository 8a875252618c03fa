/**
 * @internal Loads the native addon and describes its raw interface. Users never see this module's types:
 * the public classes wrap them.
 */
import type { ModelSource } from './model';
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { albertError, ErrorCodes } from './errors';

export type NativeIndexArray = Int32Array | BigInt64Array;

export interface NativeForwardInputs {
  batch: number;
  /** Padded layout: [batch, seqLen]. */
  seqLen: number;
  /** Packed layout: tokens per row, rows back to back in the arrays (seqLen is then ignored). */
  lengths?: Int32Array;
  inputIds: NativeIndexArray;
  attentionMask?: NativeIndexArray;
  tokenTypeIds?: NativeIndexArray;
  positionIds?: NativeIndexArray;
}

export interface NativeForwardOutputs {
  /** Optional: left out when only the pooler output is wanted. */
  lastHiddenState?: Float32Array;
  poolerOutput?: Float32Array;
  hiddenStates?: Float32Array[];
  /** MLM rows: flat cell (padded) or token (packed) indices; absent: every position. */
  positions?: Int32Array;
  predictionLogits?: Float32Array;
  sopLogits?: Float32Array;
  logits?: Float32Array;
  startLogits?: Float32Array;
  endLogits?: Float32Array;
}

export interface NativeModelInfo {
  kernel: 'generic' | 'avx2' | 'avx512';
  threads: number;
  hasPooler: boolean;
  weightBytes: number;
  dtype: 'float32' | 'float16' | 'bfloat16';
  task: 'base' | 'pretraining' | 'masked-lm' | 'sequence-classification' | 'token-classification' | 'question-answering' | 'multiple-choice';
  numLabels: number;
  source: Omit<ModelSource, 'archive'>;
}

export interface NativeModel {
  forward(inputs: NativeForwardInputs, outputs: NativeForwardOutputs): Promise<void>;
  dispose(): void;
  config(): Record<string, unknown>;
  info(): NativeModelInfo;
  /** Writes the checkpoint's tensors (Hugging Face names) as one safetensors file. */
  saveWeights(path: string): Promise<void>;
}

export interface NativeCpuInfo {
  avx2: boolean;
  f16c: boolean;
  avx512: boolean;
  defaultKernel: 'generic' | 'avx2' | 'avx512';
  kernels: Array<'generic' | 'avx2' | 'avx512'>;
  cores: number;
}

export interface NativeSpecialToken {
  token: string;
  /** -1 when the tokenizer has no such token. */
  id: number;
}

export interface NativeTokenizerInfo {
  kind: 'albert' | 'bert' | 'sentencepiece' | 'tokenizer.json';
  vocabSize: number;
  /** -1 when unset. */
  modelMaxLength: number;
  source: string;
  specialTokens: Record<'cls' | 'sep' | 'pad' | 'unk' | 'mask' | 'bos' | 'eos', NativeSpecialToken>;
  allSpecialIds: Int32Array;
  specialTokensPerSequence: number;
  specialTokensPerPair: number;
}

export interface NativeEncodeOptions {
  addSpecialTokens?: boolean;
  maxLength?: number;
  truncation?: 'none' | 'longest_first' | 'only_first' | 'only_second';
}

export interface NativeBatchOptions extends NativeEncodeOptions {
  padding?: 'none' | 'longest' | 'max_length';
  threads?: number;
}

/**
 * Packed to keep the call cheap: `data` is [n, ids(n), typeIds(n), specialMask(n), tokenLengths(n),
 * offsets(2n)?] for encode() and [n, ids(n), tokenLengths(n), offsets(2n)?] for tokenize(); `tokens` is every
 * token string concatenated (tokenLengths in UTF-16 units); offsets are [begin, end) in UTF-16 units.
 */
export type NativePackedTokens = [data: Int32Array, tokens: string];

/**
 * encode()/tokenize() options as one integer: bit 0 addSpecialTokens, bits 1-2 truncation (0 none,
 * 1 longest_first, 2 only_first, 3 only_second), bit 3 return offsets.
 */
export type NativeEncodeFlags = number;

export interface NativeBatchEncoding {
  batch: number;
  seqLen: number;
  inputIds: Int32Array;
  attentionMask: Int32Array;
  tokenTypeIds: Int32Array;
  lengths: Int32Array;
}

export interface NativeTokenizer {
  info(): NativeTokenizerInfo;
  /** With a large enough `scratch`, data is written there and only the tokens string returns. */
  tokenize(text: string, flags: NativeEncodeFlags, scratch?: Int32Array): NativePackedTokens | string;
  /** `maxLength` -1 for none; `scratch` as for tokenize(). */
  encode(text: string, pair: string | undefined, flags: NativeEncodeFlags, maxLength: number, scratch?: Int32Array): NativePackedTokens | string;
  encodeBatch(texts: string[], pairs: string[] | undefined, options: NativeBatchOptions): Promise<NativeBatchEncoding>;
  encodeBatchSync(texts: string[], pairs: string[] | undefined, options: NativeBatchOptions): NativeBatchEncoding;
  decode(ids: ArrayLike<number>, skipSpecialTokens: boolean): string;
  idToToken(id: number): string | null;
  tokenToId(token: string): number | null;
  dispose(): void;
}

export interface NativeTokenizerClass {
  load(folder: string, source: 'auto' | 'spiece.model' | 'vocab.txt' | 'tokenizer.json'): Promise<NativeTokenizer>;
  loadFile(path: string, rawSentencePiece: boolean): Promise<NativeTokenizer>;
}

export interface NativeBinding {
  loadModel(folder: string, options: { threads?: number; kernel?: string; dtype?: string; task?: string }): Promise<NativeModel>;
  NativeTokenizer: NativeTokenizerClass;
  cpuInfo(): NativeCpuInfo;
  napiVersion: number;
  testing: {
    parseSafetensors(bytes: Uint8Array): number;
    parseConfig(text: string): Record<string, unknown>;
    /** The entries of a TensorFlow checkpoint .index file. */
    parseTfIndex(bytes: Uint8Array): {
      numShards: number;
      entries: Array<{ name: string; dtype: string; shape: number[]; shard: number; offset: number; size: number }>;
    };
    /** The tensors of a pytorch_model.bin (zip or legacy format), read without running its pickle. */
    parseTorchBin(bytes: Uint8Array): {
      format: 'zip' | 'legacy';
      /** State dict values that are not tensors. */
      skipped: number;
      tensors: Array<{ name: string; dtype: string; shape: number[]; nbytes: number }>;
    };
    /** out = LayerNorm?(activation(a * w^T + bias + residual)); a [m][k], w [n][k], out [m][n]. */
    gemm(options: {
      m: number;
      n: number;
      k: number;
      a: Float32Array;
      w: Float32Array;
      bias?: Float32Array;
      residual?: Float32Array;
      normGamma?: Float32Array;
      normBeta?: Float32Array;
      activation?: string;
      kernel?: string;
      dtype?: 'float32' | 'float16' | 'bfloat16';
      threads?: number;
    }): Float32Array;
    benchmarkGemm(options: { m: number; n: number; k: number; threads: number; kernel?: string; seconds?: number }): {
      fmaPeakPerCore: number;
      gflops: number;
    };
    /** Parses (and exercises) a serialized SentencePiece ModelProto; returns its piece count. */
    parseSpieceModel(bytes: Uint8Array): number;
    /** Parses a vocab.txt; returns its size. */
    parseVocabTxt(text: string): number;
    /** Parses a tokenizer_config.json; returns its tokenizer_class. */
    parseTokenizerConfig(text: string): string;
  };
}

let cached: NativeBinding | undefined;

/** The package root (where binding.gyp, build/ and prebuilds/ live). */
export const packageRoot = path.resolve(__dirname, '..');

/** @internal Electron packs apps into app.asar, from which native addons cannot load: they are unpacked beside it. */
export function outsideAsar(p: string): string {
  return p.replace(/([\\/])app\.asar([\\/]|$)/, '$1app.asar.unpacked$2');
}

/** glibc or musl (prebuildify tags musl builds); undefined off Linux. */
function libc(): 'glibc' | 'musl' | undefined {
  if (process.platform !== 'linux') return undefined;
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime ? 'glibc' : 'musl';
}

/**
 * The prebuilt N-API binaries for this platform and architecture (prebuildify --napi --tag-libc's layout:
 * prebuilds/<platform>-<arch>/<name>[.glibc|.musl].node; ABI-specific builds carry an abiNN tag and are
 * skipped), those tagged with this libc first and those of the other libc left out.
 */
function prebuiltCandidates(root: string): string[] {
  const folder = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  let names: string[];
  try {
    names = readdirSync(folder).filter((n) => n.endsWith('.node') && !n.split('.').some((tag) => /^abi\d+$/.test(tag)));
  } catch {
    return [];
  }
  const own = libc();
  const other = own === 'glibc' ? 'musl' : 'glibc';
  const tags = (name: string) => name.split('.');
  return names
    .filter((n) => own === undefined || !tags(n).includes(other))
    .sort((a, b) => Number(tags(b).includes(own ?? '')) - Number(tags(a).includes(own ?? '')))
    .map((n) => path.join(folder, n));
}

/**
 * Loads the addon: the file named by ALBERT_NODE_BINARY when set (and only that one), else the prebuilt binary
 * for this platform (shipped in the npm package), then a local build (build/Release). One error lists every
 * attempt. Inside an Electron app.asar, the binaries are read from app.asar.unpacked.
 */
export function binding(): NativeBinding {
  if (cached) return cached;
  const attempts: string[] = [];
  const tryLoad = (what: string, file: string): NativeBinding | undefined => {
    try {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      cached = require(file) as NativeBinding;
      return cached;
    } catch (error) {
      attempts.push(`${what} ${file}: ${(error as Error).message.split('\n')[0]}`);
      return undefined;
    }
  };
  const override = process.env.ALBERT_NODE_BINARY;
  // An explicit choice that fails is an error, not a silent fallback to another binary.
  if (override) return tryLoad('ALBERT_NODE_BINARY:', path.resolve(override)) ?? notFound(attempts);
  const root = outsideAsar(packageRoot);
  const prebuilt = prebuiltCandidates(root);
  if (prebuilt.length === 0) attempts.push(`prebuilt binary: none for ${process.platform}-${process.arch} in ${path.join(root, 'prebuilds')}`);
  const builds = ['Release', 'Debug'].map((c) => path.join(root, 'build', c, 'albert_node.node')).filter((f) => existsSync(f));
  if (builds.length === 0) attempts.push(`local build: none in ${path.join(root, 'build')}`);
  for (const [what, file] of [...prebuilt.map((f) => ['prebuilt binary:', f]), ...builds.map((f) => ['local build:', f])]) {
    const loaded = tryLoad(what, file);
    if (loaded) return loaded;
  }
  return notFound(attempts);
}

function notFound(attempts: string[]): never {
  throw albertError(
    ErrorCodes.BINDING_NOT_FOUND,
    `albert-node could not load its native addon.\n  Tried:\n    - ${attempts.join('\n    - ')}\n` +
      '  Fix: run `npm rebuild albert-node` (needs a C++17 compiler, make and Python for node-gyp), ' +
      'or set ALBERT_NODE_BINARY to the path of a built albert_node.node.',
  );
}
