/**
 * fill-mask: the top-k vocabulary entries for each mask token of each text, with Hugging Face's scores
 * (softmax over the vocabulary) and filled sequences. The MLM head runs only at the mask positions.
 */
import { albertError, ErrorCodes } from '../errors';
import { AlbertForMaskedLM } from '../heads';
import type { Tokenizer } from '../tokenizer';
import {
  asList,
  batching,
  callable,
  checkTopK,
  isText,
  loadTokenizer,
  modelOptions,
  softmax,
  topIndices,
  type PipelineBase,
  type PipelineLoadOptions,
  type PipelineRunOptions,
} from './common';

export interface FillMaskOptions extends PipelineRunOptions {
  /** Candidates per mask (default 5). */
  topK?: number;
  /** Longer texts are truncated to this many tokens (default: max_position_embeddings); a mask cut off is an error. */
  maxLength?: number;
  /**
   * Only these tokens are candidates (Hugging Face's `targets`). Each is looked up in the vocabulary as written
   * (a SentencePiece piece such as `▁paris`); one that is not a vocabulary entry is tokenized and its first
   * token used instead, with a process warning naming the replacement. Scores stay the softmax over the whole
   * vocabulary, and at most `targets.length` candidates are returned.
   */
  targets?: string | readonly string[];
}

export interface FillMaskCandidate {
  /** Softmax probability over the vocabulary. */
  score: number;
  /** Token id. */
  token: number;
  /** The token decoded on its own. */
  tokenStr: string;
  /**
   * The text decoded with this mask filled. With one mask, special tokens are left out; with several, the
   * other masks and the special tokens stay (as Hugging Face's pipeline does).
   */
  sequence: string;
}

export interface FillMaskPipeline extends PipelineBase<AlbertForMaskedLM> {
  /** One text: a candidate list per mask token, in text order. */
  (input: string, options?: FillMaskOptions): Promise<FillMaskCandidate[][]>;
  /** Several texts: one result as above per text. */
  (inputs: readonly string[], options?: FillMaskOptions): Promise<FillMaskCandidate[][][]>;
}

export async function fillMask(folder: string, options: PipelineLoadOptions = {}): Promise<FillMaskPipeline> {
  const model = await AlbertForMaskedLM.fromPretrained(folder, modelOptions(options));
  const { tokenizer, owned } = await loadTokenizer(folder, options);
  const maskId = tokenizer.maskTokenId;
  if (maskId === undefined) {
    model.dispose();
    if (owned) tokenizer.dispose();
    throw albertError(ErrorCodes.INVALID_INPUT, `the tokenizer of ${folder} has no mask token: fill-mask needs one`);
  }
  const maskToken = tokenizer.specialTokens.mask!.token;
  const run = async (input: string | readonly string[], runOptions: FillMaskOptions = {}) => {
    const { items, single } = asList(input, isText, 'a text');
    const targetIds = runOptions.targets === undefined ? undefined : resolveTargets(tokenizer, runOptions.targets);
    const topK = checkTopK(runOptions.topK, 5, targetIds?.length ?? model.config.vocab_size);
    const maxLength = runOptions.maxLength ?? model.config.max_position_embeddings;
    const encoded = items.map((text, i) => {
      const { ids, typeIds } = tokenizer.encode(text, { maxLength, truncation: true });
      const positions = ids.flatMap((id, t) => (id === maskId ? [t] : []));
      if (positions.length === 0) {
        const truncated = text.includes(maskToken) ? ' (truncation to maxLength cut it off)' : '';
        throw albertError(ErrorCodes.INVALID_INPUT, `inputs[${i}] has no mask token ${maskToken}${truncated}`);
      }
      return { ids, typeIds, positions };
    });
    const outputs = await model.forwardMany(
      encoded.map((e) => ({ inputIds: e.ids, tokenTypeIds: e.typeIds, predictionPositions: e.positions })),
      { ...batching(runOptions), outputs: { lastHiddenState: false, poolerOutput: false } },
    );
    const vocab = model.config.vocab_size;
    const results = encoded.map((e, i) => {
      const logits = outputs[i].predictionLogits!.data;
      const oneMask = e.positions.length === 1;
      return e.positions.map((position, m) => {
        const probabilities = softmax(logits.subarray(m * vocab, (m + 1) * vocab));
        const candidates = targetIds
          ? topIndices(targetIds.map((id) => probabilities[id]), topK).map((i) => targetIds[i])
          : topIndices(probabilities, topK);
        return candidates.map((token) => {
          const filled = e.ids.slice();
          filled[position] = token;
          return {
            score: probabilities[token],
            token,
            tokenStr: tokenizer.decode([token]),
            sequence: tokenizer.decode(filled, { skipSpecialTokens: oneMask }),
          };
        });
      });
    });
    return single ? results[0] : results;
  };
  return callable('fill-mask', model, tokenizer, owned, run) as unknown as FillMaskPipeline;
}

/** Token ids of fill-mask targets, deduplicated in order, as Hugging Face's pipeline resolves them. */
function resolveTargets(tokenizer: Tokenizer, targets: unknown): number[] {
  const list = typeof targets === 'string' ? [targets] : targets;
  if (!Array.isArray(list) || list.some((t) => typeof t !== 'string')) {
    throw albertError(ErrorCodes.INVALID_INPUT, 'targets must be a string or an array of strings', true);
  }
  const ids: number[] = [];
  for (const target of list as string[]) {
    let id = tokenizer.tokenToId(target);
    if (id === undefined) {
      const pieces = tokenizer.encode(target, { addSpecialTokens: false }).ids;
      if (pieces.length === 0) {
        process.emitWarning(`fill-mask target ${JSON.stringify(target)} is not in the vocabulary and tokenizes to nothing: ignored`);
        continue;
      }
      id = pieces[0];
      process.emitWarning(
        `fill-mask target ${JSON.stringify(target)} is not in the vocabulary: replaced by its first token ${JSON.stringify(tokenizer.idToToken(id))}`,
      );
    }
    if (!ids.includes(id)) ids.push(id);
  }
  if (ids.length === 0) throw albertError(ErrorCodes.INVALID_INPUT, 'targets names no usable token: give at least one');
  return ids;
}
