/**
 * Length-bucketed batching for large jobs: sequences are sorted by length and packed into batches under a
 * token budget, so each native call is large enough to keep every core busy and no padding is ever computed.
 */
import { albertError, ErrorCodes } from './errors';

export interface BatchPlan {
  /** Indices into the input list, one array per batch, longest sequences first. */
  batches: number[][];
}

/**
 * Plans batches of at most `tokenBudget` tokens (a single longer sequence gets a batch of its own) and at most
 * `maxBatchSize` sequences, visiting sequences from longest to shortest so similar lengths share a batch.
 */
export function planBatches(lengths: ArrayLike<number>, tokenBudget: number, maxBatchSize = Infinity): BatchPlan {
  if (!Number.isInteger(tokenBudget) || tokenBudget < 1) {
    throw albertError(ErrorCodes.INVALID_INPUT, `tokenBudget must be a positive integer (got ${String(tokenBudget)})`);
  }
  if (!(maxBatchSize >= 1)) {
    throw albertError(ErrorCodes.INVALID_INPUT, `maxBatchSize must be at least 1 (got ${String(maxBatchSize)})`);
  }
  const order = Array.from({ length: lengths.length }, (_, i) => i);
  order.sort((a, b) => lengths[b] - lengths[a] || a - b);
  const batches: number[][] = [];
  let current: number[] = [];
  let tokens = 0;
  for (const index of order) {
    const length = lengths[index];
    if (current.length > 0 && (tokens + length > tokenBudget || current.length >= maxBatchSize)) {
      batches.push(current);
      current = [];
      tokens = 0;
    }
    current.push(index);
    tokens += length;
  }
  if (current.length > 0) batches.push(current);
  return { batches };
}
