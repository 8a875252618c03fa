/**
 * Every error albert-node raises (from JS or native code) is an `Error` (a `TypeError` for arguments of the
 * wrong JS type) with a stable `code` from this list and a message that names the file, tensor, field or
 * index at fault.
 */
export const ErrorCodes = {
  /** A folder or file does not exist. */
  FILE_NOT_FOUND: 'ERR_ALBERT_FILE_NOT_FOUND',
  /** A file exists but cannot be read (permissions, I/O error, not a regular file, too large). */
  FILE_READ: 'ERR_ALBERT_FILE_READ',
  /** A JSON file (config.json, a safetensors header, an index) is not valid JSON. */
  INVALID_JSON: 'ERR_ALBERT_INVALID_JSON',
  /** config.json has a field of the wrong type or out of range. */
  INVALID_CONFIG: 'ERR_ALBERT_INVALID_CONFIG',
  /**
   * A tokenizer file is malformed: spiece.model (truncated, bad varints or wire types, impossible lengths, an
   * empty or inconsistent piece table), vocab.txt (empty, duplicate entries, no unknown token),
   * tokenizer_config.json or tokenizer.json (a field of the wrong type, an unknown token).
   */
  INVALID_TOKENIZER: 'ERR_ALBERT_INVALID_TOKENIZER',
  /** A valid but unsupported feature (e.g. relative position embeddings, an unknown activation). */
  UNSUPPORTED: 'ERR_ALBERT_UNSUPPORTED',
  /** A safetensors file is truncated, lies about its sizes or offsets, or has an unknown dtype. */
  INVALID_SAFETENSORS: 'ERR_ALBERT_INVALID_SAFETENSORS',
  /**
   * A TensorFlow checkpoint is truncated or corrupt: a bad table block, footer or varint, a checksum (CRC32C)
   * mismatch, an entry pointing outside its data shard, a dtype/shape/size disagreement, compressed blocks.
   * Or a `pytorch_model.bin` is: a bad zip directory or local header, a CRC-32 mismatch, a malformed or
   * truncated pickle, a storage or tensor range outside the file. (Pickle globals off the allow-list, such as
   * `os.system`, and compressed entries or non-contiguous tensors are `ERR_ALBERT_UNSUPPORTED`; nothing in the
   * pickle is ever run.)
   */
  INVALID_CHECKPOINT: 'ERR_ALBERT_INVALID_CHECKPOINT',
  /** A `.tar.gz` archive is corrupt, truncated, or holds unsafe members (absolute paths, `..`, links, absurd sizes). */
  INVALID_ARCHIVE: 'ERR_ALBERT_INVALID_ARCHIVE',
  /** A tensor the model needs is not in the checkpoint. */
  MISSING_TENSOR: 'ERR_ALBERT_MISSING_TENSOR',
  /** A checkpoint tensor's shape disagrees with config.json. */
  TENSOR_SHAPE: 'ERR_ALBERT_TENSOR_SHAPE',
  /** A checkpoint tensor has a dtype that cannot hold weights. */
  TENSOR_DTYPE: 'ERR_ALBERT_TENSOR_DTYPE',
  /** An argument has the wrong type, shape or length. */
  INVALID_INPUT: 'ERR_ALBERT_INVALID_INPUT',
  /** An input value is out of range (token id >= vocab_size, token type >= type_vocab_size, mask not 0/1). */
  INPUT_OUT_OF_RANGE: 'ERR_ALBERT_INPUT_OUT_OF_RANGE',
  /** A sequence is longer than max_position_embeddings (or a position id is past it). */
  SEQUENCE_TOO_LONG: 'ERR_ALBERT_SEQUENCE_TOO_LONG',
  /** The model was disposed. */
  DISPOSED: 'ERR_ALBERT_DISPOSED',
  /** An allocation failed. */
  OUT_OF_MEMORY: 'ERR_ALBERT_OUT_OF_MEMORY',
  /** The native addon could not be loaded. */
  BINDING_NOT_FOUND: 'ERR_ALBERT_BINDING_NOT_FOUND',
  /**
   * Downloading from the Hugging Face Hub failed: the server could not be reached or timed out, answered with an
   * HTTP error (401/403 for a private or gated repository without a valid token), or sent a file whose size or
   * sha256 disagrees with what it announced. The message names the URL.
   */
  NETWORK: 'ERR_ALBERT_NETWORK',
  /**
   * A queue job (`albert-node/queue`) failed for a reason outside the pipeline: its worker died on it more often
   * than BullMQ allows (`maxStalledCount`), or it threw an error without a code (a hook, Redis). The message
   * says which; the batch's rows report this error.
   */
  JOB_FAILED: 'ERR_ALBERT_JOB_FAILED',
  /** A bug in albert-node; please report it. */
  INTERNAL: 'ERR_ALBERT_INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export interface AlbertNodeError extends Error {
  code: ErrorCode;
}

/** True when `error` was raised by albert-node (it has one of the documented codes). */
export function isAlbertNodeError(error: unknown): error is AlbertNodeError {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (Object.values(ErrorCodes) as string[]).includes(code);
}

/** @internal Creates a coded error; TypeError when the problem is a JS value of the wrong type. */
export function albertError(code: ErrorCode, message: string, asTypeError = false): AlbertNodeError {
  const error = (asTypeError ? new TypeError(message) : new Error(message)) as AlbertNodeError;
  error.code = code;
  return error;
}
