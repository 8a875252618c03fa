import * as path from 'node:path';
import { binding, type NativeBatchEncoding, type NativePackedTokens, type NativeTokenizer, type NativeTokenizerInfo } from './binding';
import { albertError, ErrorCodes } from './errors';
import { describe } from './inputs';
import { checkHubOptions, type DownloadProgress } from './hub';
import { resolveModelPath } from './model-path';
import { Tensor } from './tensor';
import {
  checkObject,
  checkText,
  encodeFlags,
  toNativeBatchOptions,
  toNativeEncodeOptions,
  type BatchOptions,
  type TruncationOptions,
} from './tokenizer-options';

/**
 * Which tokenizer semantics a Tokenizer follows: transformers' slow `AlbertTokenizer` (SentencePiece) or
 * `BertTokenizer` (WordPiece), the raw SentencePiece library, or a Hugging Face `tokenizer.json`.
 */
export type TokenizerKind = 'albert' | 'bert' | 'sentencepiece' | 'tokenizer.json';

/** Which file of a model folder to load; 'auto' picks it as described at {@link Tokenizer.fromPretrained}. */
export type TokenizerSource = 'auto' | 'spiece.model' | 'vocab.txt' | 'tokenizer.json';

export interface TokenizerLoadOptions {
  /** Default 'auto'. */
  source?: TokenizerSource;
  /** Where a `.tar.gz` release archive is unpacked or a Hub model is downloaded (as for `AlbertModel.fromPretrained`). */
  cacheDir?: string;
  /** Hub models: the branch, tag or commit (default `main`); as for `AlbertModel.fromPretrained`. */
  revision?: string;
  /** Hub models: never touch the network (also env HF_HUB_OFFLINE=1). */
  localFilesOnly?: boolean;
  /** Hub models: an access token for private and gated repositories (default: env HF_TOKEN). */
  token?: string;
  /** Hub models: called as each file downloads. */
  onProgress?: (progress: DownloadProgress) => void;
}

export interface TokenizerFileOptions {
  /**
   * For a SentencePiece `.model` file: encode exactly as the SentencePiece library does (no ALBERT
   * preprocessing, no special tokens) instead of with transformers' AlbertTokenizer semantics.
   */
  rawSentencePiece?: boolean;
}

/** A special token and its id. */
export interface SpecialToken {
  token: string;
  id: number;
}

export interface SpecialTokens {
  cls?: SpecialToken;
  sep?: SpecialToken;
  pad?: SpecialToken;
  unk?: SpecialToken;
  mask?: SpecialToken;
  bos?: SpecialToken;
  eos?: SpecialToken;
}

export interface EncodeOptions extends TruncationOptions {
  /** A second text: the pair is encoded as [CLS] A [SEP] B [SEP] with token type ids 0 then 1. */
  textPair?: string;
  /** Also return each token's offsets in the input (see {@link Encoding.offsets}). Default false. */
  returnOffsets?: boolean;
}

/** One encoded text (or text pair). */
export interface Encoding {
  /** Token ids, special tokens included. */
  ids: number[];
  /** Token strings (the vocabulary entries; an unknown piece keeps its text). */
  tokens: string[];
  /** Segment ids: 0 for [CLS] A [SEP], 1 for B [SEP]. */
  typeIds: number[];
  /** All ones (one encoding has no padding). */
  attentionMask: number[];
  /** 1 for the special tokens the template added. */
  specialTokensMask: number[];
  /**
   * With `returnOffsets`: for each token, `[start, end)` in UTF-16 code units of the input string (so
   * `text.slice(start, end)` is the text the token came from; `textPair` offsets index `textPair`). Tokens
   * added by the template, and a SentencePiece dummy-prefix `▁`, have empty ranges.
   */
  offsets?: Array<[number, number]>;
}

export interface BatchEncodeOptions extends BatchOptions {}

/** A batch as AlbertModel.forward takes it: int32 tensors of [batch, seqLen], right-padded. */
export interface BatchEncoding {
  inputIds: Tensor<'int32'>;
  /** 1 for tokens, 0 for padding. */
  attentionMask: Tensor<'int32'>;
  tokenTypeIds: Tensor<'int32'>;
  /** Tokens in each row before padding. */
  lengths: Int32Array;
}

export interface DecodeOptions {
  /** Leave out special tokens ([CLS], [SEP], <pad>, ...). Default false. */
  skipSpecialTokens?: boolean;
}

// encode() without options is the common call: skip rebuilding its native options each time.
const DEFAULT_OPTIONS: EncodeOptions = Object.freeze({});
const DEFAULT_NATIVE_OPTIONS = Object.freeze(toNativeEncodeOptions({}, undefined));

const disposeSymbol: typeof Symbol.dispose = Symbol.dispose ?? Symbol.for('Symbol.dispose');

/**
 * A tokenizer for ALBERT models, in native code: SentencePiece (`spiece.model`) with the preprocessing of
 * transformers' AlbertTokenizer, WordPiece (`vocab.txt`) with BertTokenizer's, or a `tokenizer.json`.
 * It produces the ids Hugging Face produces for the same files.
 *
 * Any JS string is valid input; a lone surrogate is read as U+FFFD.
 */
export class Tokenizer {
  /** Semantics this tokenizer follows. */
  readonly kind: TokenizerKind;
  /** The file it was loaded from. */
  readonly path: string;
  #native: NativeTokenizer | undefined;
  readonly #info: NativeTokenizerInfo;
  // Reused output buffer of encode()/tokenize(): read right after each call, before any other call.
  #scratch = new Int32Array(4096);
  readonly #specials: SpecialTokens;

  private constructor(native: NativeTokenizer) {
    this.#native = native;
    this.#info = native.info();
    this.kind = this.#info.kind;
    this.path = this.#info.source;
    const specials: SpecialTokens = {};
    for (const [name, value] of Object.entries(this.#info.specialTokens)) {
      if (value.id >= 0) specials[name as keyof SpecialTokens] = Object.freeze({ token: value.token, id: value.id });
    }
    this.#specials = Object.freeze(specials);
  }

  /**
   * Loads the tokenizer of a Hugging Face model folder (an AlbertModel folder works as is). With
   * `source: 'auto'` (the default), `tokenizer_config.json`'s `tokenizer_class` decides when it names
   * AlbertTokenizer or BertTokenizer; otherwise the files do: `spiece.model`, then `vocab.txt`, then
   * `tokenizer.json`. The slow tokenizers' files win over `tokenizer.json` because they are the reference
   * that `tokenizer.json` only approximates; pass `source: 'tokenizer.json'` to load it instead. Options
   * (do_lower_case, remove_space, keep_accents, special tokens, model_max_length, ...) come from
   * `tokenizer_config.json` and `special_tokens_map.json` when present.
   *
   * TensorFlow releases load too (a folder, a checkpoint prefix or a `.tar.gz` archive, as for
   * `AlbertModel.fromPretrained`): Google's `30k-clean.model` as AlbertTokenizer, the Chinese models'
   * `vocab_chinese.txt` (or `vocab.txt`) as BertTokenizer, both lower-casing as the original FullTokenizer does.
   */
  static async fromPretrained(folder: string, options: TokenizerLoadOptions = {}): Promise<Tokenizer> {
    if (typeof folder !== 'string' || folder.length === 0) {
      throw albertError(ErrorCodes.INVALID_INPUT, `fromPretrained() needs a folder path string (got ${describe(folder)})`, true);
    }
    const { source = 'auto', cacheDir, revision, localFilesOnly, token, onProgress } = checkObject('options', options) as TokenizerLoadOptions;
    if (cacheDir !== undefined && (typeof cacheDir !== 'string' || cacheDir.length === 0)) {
      throw albertError(ErrorCodes.INVALID_INPUT, `cacheDir must be a folder path string (got ${describe(cacheDir)})`, true);
    }
    checkHubOptions(options);
    if (!['auto', 'spiece.model', 'vocab.txt', 'tokenizer.json'].includes(source)) {
      throw albertError(ErrorCodes.INVALID_INPUT, `source must be 'auto', 'spiece.model', 'vocab.txt' or 'tokenizer.json' (got ${String(source)})`);
    }
    const hub = { cacheDir, revision, localFilesOnly, token, onProgress, files: 'tokenizer' as const };
    const { folder: resolved } = await resolveModelPath(folder, hub);
    return new Tokenizer(await binding().NativeTokenizer.load(resolved, source));
  }

  /**
   * Loads one file: a SentencePiece `.model`, a WordPiece vocabulary `.txt`, or a `tokenizer.json`
   * (any `.json`). A `tokenizer_config.json` in the same folder is read too.
   */
  static async fromFile(file: string, options: TokenizerFileOptions = {}): Promise<Tokenizer> {
    if (typeof file !== 'string' || file.length === 0) {
      throw albertError(ErrorCodes.INVALID_INPUT, `fromFile() needs a file path string (got ${describe(file)})`, true);
    }
    const { rawSentencePiece = false } = checkObject('options', options) as TokenizerFileOptions;
    return new Tokenizer(await binding().NativeTokenizer.loadFile(path.resolve(file), Boolean(rawSentencePiece)));
  }

  /** Number of token ids (the vocabulary and added tokens). */
  get vocabSize(): number {
    return this.#info.vocabSize;
  }

  /** tokenizer_config.json's model_max_length, if it sets one. */
  get modelMaxLength(): number | undefined {
    return this.#info.modelMaxLength >= 0 ? this.#info.modelMaxLength : undefined;
  }

  /** The named special tokens this tokenizer has. */
  get specialTokens(): SpecialTokens {
    return this.#specials;
  }

  get clsTokenId(): number | undefined {
    return this.#specials.cls?.id;
  }
  get sepTokenId(): number | undefined {
    return this.#specials.sep?.id;
  }
  get padTokenId(): number | undefined {
    return this.#specials.pad?.id;
  }
  get unkTokenId(): number | undefined {
    return this.#specials.unk?.id;
  }
  get maskTokenId(): number | undefined {
    return this.#specials.mask?.id;
  }
  /** Every special token id (skipped by `decode(ids, { skipSpecialTokens: true })`). */
  get allSpecialIds(): number[] {
    return Array.from(this.#info.allSpecialIds);
  }

  /** Token strings of `text`, without special tokens (transformers' `tokenize()`). */
  tokenize(text: string): string[] {
    const [data, tokens] = this.#unpack(this.#requireNative().tokenize(checkText('text', text), 0, this.#scratch));
    const n = data[0];
    return splitTokens(tokens, data, 1 + n, n);
  }

  /** Encodes one text or a text pair. */
  encode(text: string, options: EncodeOptions = DEFAULT_OPTIONS): Encoding {
    const native = this.#requireNative();
    checkText('text', text);
    const opts = checkObject('options', options) as EncodeOptions;
    const pair = opts.textPair === undefined ? undefined : checkText('textPair', opts.textPair);
    const withOffsets = Boolean(opts.returnOffsets);
    const nativeOptions = options === DEFAULT_OPTIONS ? DEFAULT_NATIVE_OPTIONS : toNativeEncodeOptions(opts, this.modelMaxLength);
    const [data, tokens] = this.#unpack(native.encode(text, pair, encodeFlags(nativeOptions, withOffsets), nativeOptions.maxLength ?? -1, this.#scratch));
    const n = data[0];
    const ids = new Array<number>(n);
    const typeIds = new Array<number>(n);
    const specialTokensMask = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      ids[i] = data[1 + i];
      typeIds[i] = data[1 + n + i];
      specialTokensMask[i] = data[1 + 2 * n + i];
    }
    const result: Encoding = {
      ids,
      tokens: splitTokens(tokens, data, 1 + 3 * n, n),
      typeIds,
      attentionMask: new Array<number>(n).fill(1),
      specialTokensMask,
    };
    if (withOffsets) {
      const base = 1 + 4 * n;
      const offsets: Array<[number, number]> = new Array(n);
      for (let i = 0; i < n; i++) offsets[i] = [data[base + 2 * i], data[base + 2 * i + 1]];
      result.offsets = offsets;
    }
    return result;
  }

  /**
   * Encodes many texts (or `[text, textPair]` pairs) into padded int32 tensors ready for
   * `AlbertModel.forward`. Runs on native threads; the event loop stays free.
   */
  async encodeBatch(inputs: readonly string[] | ReadonlyArray<readonly [string, string]>, options: BatchEncodeOptions = {}): Promise<BatchEncoding> {
    const native = this.#requireNative();
    const [texts, pairs] = splitInputs(inputs);
    const nativeOptions = toNativeBatchOptions(checkObject('options', options) as BatchEncodeOptions, this.modelMaxLength);
    return toBatch(await native.encodeBatch(texts, pairs, nativeOptions));
  }

  /** encodeBatch on the calling thread, for small inputs where a thread hand-off costs more than it saves. */
  encodeBatchSync(inputs: readonly string[] | ReadonlyArray<readonly [string, string]>, options: BatchEncodeOptions = {}): BatchEncoding {
    const native = this.#requireNative();
    const [texts, pairs] = splitInputs(inputs);
    const nativeOptions = toNativeBatchOptions(checkObject('options', options) as BatchEncodeOptions, this.modelMaxLength);
    return toBatch(native.encodeBatchSync(texts, pairs, nativeOptions));
  }

  /** Ids back to text, as transformers' `decode()` does for this kind of tokenizer. */
  decode(ids: ArrayLike<number> | Int32Array, options: DecodeOptions = {}): string {
    const native = this.#requireNative();
    if (!Array.isArray(ids) && !ArrayBuffer.isView(ids)) {
      throw albertError(ErrorCodes.INVALID_INPUT, `ids must be an array or a typed array (got ${describe(ids)})`, true);
    }
    const { skipSpecialTokens = false } = checkObject('options', options) as DecodeOptions;
    return native.decode(ids, Boolean(skipSpecialTokens));
  }

  /** The token string of an id, or undefined when the id is out of range. */
  idToToken(id: number): string | undefined {
    if (typeof id !== 'number') throw albertError(ErrorCodes.INVALID_INPUT, `id must be a number (got ${describe(id)})`, true);
    return this.#requireNative().idToToken(id) ?? undefined;
  }

  /** The id of a token string, or undefined when it is not in the vocabulary. */
  tokenToId(token: string): number | undefined {
    return this.#requireNative().tokenToId(checkText('token', token)) ?? undefined;
  }

  /** Releases the native tokenizer. Batches already running finish normally. Calling it twice is harmless. */
  dispose(): void {
    this.#native?.dispose();
    this.#native = undefined;
  }

  [disposeSymbol](): void {
    this.dispose();
  }

  #unpack(result: NativePackedTokens | string): NativePackedTokens {
    if (typeof result === 'string') return [this.#scratch, result];
    // It did not fit: keep the larger buffer for next time (bounded, so one huge text is not kept alive).
    if (result[0].length <= 1 << 20) this.#scratch = new Int32Array(Math.max(result[0].length, this.#scratch.length * 2));
    return result;
  }

  #requireNative(): NativeTokenizer {
    if (!this.#native) throw albertError(ErrorCodes.DISPOSED, 'the tokenizer has been disposed');
    return this.#native;
  }
}

function splitInputs(inputs: unknown): [string[], string[] | undefined] {
  if (!Array.isArray(inputs)) {
    throw albertError(ErrorCodes.INVALID_INPUT, `encodeBatch() needs an array of strings or [text, textPair] pairs (got ${describe(inputs)})`, true);
  }
  if (inputs.length === 0 || typeof inputs[0] === 'string') {
    inputs.forEach((t, i) => checkText(`inputs[${i}]`, t));
    return [inputs as string[], undefined];
  }
  const texts: string[] = new Array(inputs.length);
  const pairs: string[] = new Array(inputs.length);
  inputs.forEach((p: unknown, i) => {
    if (!Array.isArray(p) || p.length !== 2) {
      throw albertError(ErrorCodes.INVALID_INPUT, `inputs[${i}] must be a [text, textPair] pair (got ${describe(p)})`, true);
    }
    texts[i] = checkText(`inputs[${i}][0]`, p[0]);
    pairs[i] = checkText(`inputs[${i}][1]`, p[1]);
  });
  return [texts, pairs];
}

// The token strings from their concatenation and UTF-16 lengths (data[at .. at + n)).
function splitTokens(joined: string, data: Int32Array, at: number, n: number): string[] {
  const out = new Array<string>(n);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const end = pos + data[at + i];
    out[i] = joined.slice(pos, end);
    pos = end;
  }
  return out;
}

function toBatch(out: NativeBatchEncoding): BatchEncoding {
  const dims = [out.batch, out.seqLen];
  return {
    inputIds: new Tensor('int32', out.inputIds, dims),
    attentionMask: new Tensor('int32', out.attentionMask, dims),
    tokenTypeIds: new Tensor('int32', out.tokenTypeIds, dims),
    lengths: out.lengths,
  };
}
