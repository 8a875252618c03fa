/**
 * token-classification (NER): per-token labels, or words and entity groups, with Hugging Face's
 * aggregation strategies (none, simple, first, average, max) and character offsets into the input text.
 */
import { albertError, ErrorCodes } from '../errors';
import { AlbertForTokenClassification } from '../heads';
import {
  asList,
  batching,
  callable,
  isText,
  loadTokenizer,
  modelOptions,
  softmax,
  type PipelineBase,
  type PipelineLoadOptions,
  type PipelineRunOptions,
} from './common';

/**
 * `none`: every token with its own label; `simple`: tokens grouped into entities by label (B-/I- tags);
 * `first` / `average` / `max`: tokens first merged into words (the first token's scores, the mean of the
 * scores, or the scores of the token with the highest score), then grouped.
 */
export type AggregationStrategy = 'none' | 'simple' | 'first' | 'average' | 'max';

export interface TokenClassificationOptions extends PipelineRunOptions {
  /** Default `none`, as Hugging Face's pipeline. */
  aggregationStrategy?: AggregationStrategy;
  /** Labels left out of the results (default ['O']). */
  ignoreLabels?: readonly string[];
  /** Longer texts are truncated to this many tokens (default: max_position_embeddings). */
  maxLength?: number;
}

/** One result. `entity` (per token) or `entityGroup` (aggregated) is set, by strategy. */
export interface TokenEntity {
  /** The token's label (`none`). */
  entity?: string;
  /** The group's label without its B-/I- prefix (every other strategy). */
  entityGroup?: string;
  /** Probability of the label (for groups, the mean over their tokens or words). */
  score: number;
  /** The token or the words, decoded (lowercased where the tokenizer lowercases, like Hugging Face's). */
  word: string;
  /** `[start, end)` in UTF-16 code units of the input: `text.slice(start, end)` is the original text. */
  start: number;
  end: number;
  /** The token's index in the encoding (`none` only). */
  index?: number;
}

export interface TokenClassificationPipeline extends PipelineBase<AlbertForTokenClassification> {
  (input: string, options?: TokenClassificationOptions): Promise<TokenEntity[]>;
  (inputs: readonly string[], options?: TokenClassificationOptions): Promise<TokenEntity[][]>;
}

const STRATEGIES: readonly string[] = ['none', 'simple', 'first', 'average', 'max'];

interface PreEntity {
  id: number;
  /** The vocabulary entry, or the original text for an unknown token. */
  piece: string;
  scores: Float64Array;
  start: number;
  end: number;
  index: number;
  isSubword: boolean;
}

interface Scored {
  entity: string;
  score: number;
  ids: number[];
  piece?: string;
  start: number;
  end: number;
  index?: number;
}

export async function tokenClassification(folder: string, options: PipelineLoadOptions = {}): Promise<TokenClassificationPipeline> {
  const model = await AlbertForTokenClassification.fromPretrained(folder, modelOptions(options));
  const { tokenizer, owned } = await loadTokenizer(folder, options);
  const labels = model.id2label;
  const run = async (input: string | readonly string[], runOptions: TokenClassificationOptions = {}) => {
    const { items, single } = asList(input, isText, 'a text');
    const { aggregationStrategy = 'none', ignoreLabels = ['O'] } = runOptions;
    if (!STRATEGIES.includes(aggregationStrategy)) {
      throw albertError(ErrorCodes.INVALID_INPUT, `aggregationStrategy must be one of ${STRATEGIES.join(', ')} (got ${String(aggregationStrategy)})`);
    }
    const maxLength = runOptions.maxLength ?? model.config.max_position_embeddings;
    const encoded = items.map((text) => tokenizer.encode(text, { maxLength, truncation: true, returnOffsets: true }));
    const outputs = await model.forwardMany(
      encoded.map((e) => ({ inputIds: e.ids, tokenTypeIds: e.typeIds })),
      { ...batching(runOptions), outputs: { lastHiddenState: false, poolerOutput: false } },
    );
    const numLabels = model.info.numLabels;
    const wordPieces = tokenizer.kind === 'bert';
    const results = encoded.map((encoding, i) => {
      const logits = outputs[i].logits!.data;
      const text = items[i];
      const pre: PreEntity[] = [];
      let afterMarker = false;
      encoding.ids.forEach((id, t) => {
        if (encoding.specialTokensMask[t]) return;
        const [start, end] = encoding.offsets![t];
        const unknown = id === tokenizer.unkTokenId;
        pre.push({
          id,
          piece: unknown ? text.slice(start, end) : encoding.tokens[t],
          scores: softmax(logits.subarray(t * numLabels, (t + 1) * numLabels)),
          start,
          end,
          index: t,
          // A SentencePiece word marker on its own ('▁') starts the word its next token continues.
          isSubword: afterMarker || isSubword(text, encoding.tokens[t], start, end, wordPieces, unknown),
        });
        afterMarker = encoding.tokens[t] === '\u2581';
      });
      const label = (index: number) => labels[index] ?? `LABEL_${index}`;
      let entities: Scored[];
      if (aggregationStrategy === 'none' || aggregationStrategy === 'simple') {
        entities = pre.map((p) => {
          const best = argmax(p.scores);
          return { entity: label(best), score: p.scores[best], ids: [p.id], piece: p.piece, start: p.start, end: p.end, index: p.index };
        });
      } else {
        entities = words(pre).map((word) => aggregateWord(word, aggregationStrategy, label));
      }
      // Words and groups are their tokens decoded; one holding an unknown token shows the original text.
      const word = (e: Scored) =>
        e.ids.includes(tokenizer.unkTokenId ?? -1) ? text.slice(e.start, e.end).trim() : tokenizer.decode(e.ids).trim();
      if (aggregationStrategy === 'none') {
        // Hugging Face reports each token's vocabulary entry here.
        return entities
          .filter((e) => !ignoreLabels.includes(e.entity))
          .map((e): TokenEntity => ({ entity: e.entity, score: e.score, index: e.index!, word: e.piece!, start: e.start, end: e.end }));
      }
      return groupEntities(entities)
        .filter((g) => !ignoreLabels.includes(g.entity))
        .map((g): TokenEntity => ({ entityGroup: g.entity, score: g.score, word: word(g), start: g.start, end: g.end }));
    });
    return single ? results[0] : results;
  };
  return callable('token-classification', model, tokenizer, owned, run) as unknown as TokenClassificationPipeline;
}

/**
 * Hugging Face's rule: WordPiece marks continuations itself (`##`); for other tokenizers a token continues a
 * word when the text has no space right before it. An unknown token always starts a word.
 */
function isSubword(text: string, token: string, start: number, end: number, wordPieces: boolean, unknown: boolean): boolean {
  if (unknown) return false;
  if (wordPieces) return token.startsWith('##');
  if (end <= start) return false;
  return start > 0 && !/\s/.test(text.slice(start - 1, start + 1));
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** Consecutive tokens of one word: a word starts at every token that is not a subword. */
function words(pre: PreEntity[]): PreEntity[][] {
  const out: PreEntity[][] = [];
  for (const p of pre) {
    if (out.length === 0 || !p.isSubword) out.push([p]);
    else out[out.length - 1].push(p);
  }
  return out;
}

function aggregateWord(word: PreEntity[], strategy: string, label: (i: number) => string): Scored {
  let scores: Float64Array;
  if (strategy === 'first') {
    scores = word[0].scores;
  } else if (strategy === 'max') {
    scores = word.reduce((best, p) => (Math.max(...p.scores) > Math.max(...best.scores) ? p : best)).scores;
  } else {
    scores = new Float64Array(word[0].scores.length);
    for (const p of word) p.scores.forEach((s, i) => (scores[i] += s / word.length));
  }
  const best = argmax(scores);
  return { entity: label(best), score: scores[best], ids: word.map((p) => p.id), start: word[0].start, end: word[word.length - 1].end };
}

/** B-/I- tags: a label without a prefix counts as I- (it continues a group of the same label). */
function tag(entity: string): [string, string] {
  if (entity.startsWith('B-')) return ['B', entity.slice(2)];
  if (entity.startsWith('I-')) return ['I', entity.slice(2)];
  return ['I', entity];
}

function groupEntities(entities: Scored[]): Scored[] {
  const groups: Scored[] = [];
  let current: Scored[] = [];
  const close = () => {
    if (current.length === 0) return;
    // The label after its first '-' (B-PER -> PER), as Hugging Face's split("-", 1)[-1].
    const first = current[0].entity;
    groups.push({
      entity: first.slice(first.indexOf('-') + 1),
      score: current.reduce((sum, e) => sum + e.score, 0) / current.length,
      ids: current.flatMap((e) => e.ids),
      start: current[0].start,
      end: current[current.length - 1].end,
    });
  };
  for (const entity of entities) {
    if (current.length > 0) {
      const [bi, label] = tag(entity.entity);
      const [, lastLabel] = tag(current[current.length - 1].entity);
      if (label === lastLabel && bi !== 'B') {
        current.push(entity);
        continue;
      }
      close();
    }
    current = [entity];
  }
  close();
  return groups;
}
