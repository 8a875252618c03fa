/**
 * @internal Validates the options of Tokenizer methods and maps them onto the native ones, with
 * transformers' defaults (a maxLength alone means longest_first truncation; padding defaults to 'longest').
 */
import type { NativeBatchOptions, NativeEncodeOptions } from './binding';
import { albertError, ErrorCodes } from './errors';
import { describe } from './inputs';

/** How to shorten inputs longer than maxLength (transformers' truncation strategies). */
export type TruncationStrategy = 'longest_first' | 'only_first' | 'only_second';

/** How encodeBatch pads rows: to the longest row, or to maxLength (or the tokenizer's model_max_length). */
export type PaddingStrategy = 'longest' | 'max_length';

export interface TruncationOptions {
  /** Add the model's special tokens ([CLS] A [SEP] / [CLS] A [SEP] B [SEP]). Default true. */
  addSpecialTokens?: boolean;
  /** Maximum length in tokens, special tokens included. */
  maxLength?: number;
  /**
   * Truncation strategy. Default: 'longest_first' when maxLength is given, else none. `true` means
   * 'longest_first' (to maxLength, or the tokenizer's model_max_length); `false` disables truncation.
   */
  truncation?: boolean | TruncationStrategy;
}

const STRATEGIES: readonly string[] = ['longest_first', 'only_first', 'only_second'];

export function checkObject(name: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw albertError(ErrorCodes.INVALID_INPUT, `${name} must be an object (got ${describe(value)})`, true);
  }
  return value as Record<string, unknown>;
}

export function checkText(name: string, value: unknown): string {
  if (typeof value !== 'string') throw albertError(ErrorCodes.INVALID_INPUT, `${name} must be a string (got ${describe(value)})`, true);
  return value;
}

function checkCount(name: string, value: unknown, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 0x7fffffff) {
    throw albertError(ErrorCodes.INVALID_INPUT, `${name} must be an integer >= ${min} (got ${String(value)})`, typeof value !== 'number');
  }
  return value;
}

/** Native encode options from the public ones; `modelMaxLength` is used by `truncation: true`. */
export function toNativeEncodeOptions(options: TruncationOptions, modelMaxLength: number | undefined): NativeEncodeOptions {
  const { addSpecialTokens, truncation } = options;
  if (addSpecialTokens !== undefined && typeof addSpecialTokens !== 'boolean') {
    throw albertError(ErrorCodes.INVALID_INPUT, `addSpecialTokens must be a boolean (got ${describe(addSpecialTokens)})`, true);
  }
  let maxLength = checkCount('maxLength', options.maxLength, 0);
  if (truncation !== undefined && typeof truncation !== 'boolean' && !STRATEGIES.includes(truncation as string)) {
    throw albertError(
      ErrorCodes.INVALID_INPUT,
      `truncation must be a boolean or one of ${STRATEGIES.map((s) => `'${s}'`).join(', ')} (got ${String(truncation)})`,
      typeof truncation !== 'string',
    );
  }
  let strategy: NativeEncodeOptions['truncation'] = 'none';
  if (truncation === true) strategy = 'longest_first';
  else if (typeof truncation === 'string') strategy = truncation;
  else if (truncation === undefined && maxLength !== undefined) strategy = 'longest_first';
  if (strategy !== 'none' && maxLength === undefined) maxLength = modelMaxLength;
  const native: NativeEncodeOptions = { addSpecialTokens: addSpecialTokens ?? true, truncation: strategy };
  if (maxLength !== undefined) native.maxLength = maxLength;
  return native;
}

const TRUNCATION_CODES = { none: 0, longest_first: 1, only_first: 2, only_second: 3 } as const;

/** The native encode() flags for these options (see NativeEncodeFlags). */
export function encodeFlags(native: NativeEncodeOptions, withOffsets: boolean): number {
  return (native.addSpecialTokens === false ? 0 : 1) | (TRUNCATION_CODES[native.truncation ?? 'none'] << 1) | (withOffsets ? 8 : 0);
}

export interface BatchOptions extends TruncationOptions {
  /** 'longest' (default), 'max_length', or false (all rows must then have the same length). */
  padding?: boolean | PaddingStrategy;
  /** Threads for a large batch (default: what the batch can use, up to every core). */
  threads?: number;
}

export function toNativeBatchOptions(options: BatchOptions, modelMaxLength: number | undefined): NativeBatchOptions {
  const native: NativeBatchOptions = toNativeEncodeOptions(options, modelMaxLength);
  const { padding } = options;
  if (padding === undefined || padding === true || padding === 'longest') native.padding = 'longest';
  else if (padding === false) native.padding = 'none';
  else if (padding === 'max_length') native.padding = 'max_length';
  else {
    throw albertError(ErrorCodes.INVALID_INPUT, `padding must be a boolean, 'longest' or 'max_length' (got ${String(padding)})`, typeof padding !== 'string');
  }
  const threads = checkCount('threads', options.threads, 1);
  if (threads !== undefined) native.threads = threads;
  return native;
}
