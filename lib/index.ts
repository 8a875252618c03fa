/**
 * albert-node: ALBERT inference for Node.js on a native C++ engine.
 * @packageDocumentation
 */
export { AlbertModel } from './model';
export type {
  AlbertOutput,
  AlbertTask,
  HeadOutputs,
  ForwardInputs,
  ForwardManyOptions,
  ForwardOptions,
  FromPretrainedOptions,
  KernelChoice,
  ModelInfo,
  ModelSource,
  PackedInputs,
  PackedOutput,
  SequenceInput,
  SequenceOutput,
} from './model';
export {
  AlbertForMaskedLM,
  AlbertForMultipleChoice,
  AlbertForPreTraining,
  AlbertForQuestionAnswering,
  AlbertForSequenceClassification,
  AlbertForTokenClassification,
} from './heads';
export type {
  ChoiceIndexInput,
  HeadLoadOptions,
  MaskedLMOutput,
  MultipleChoiceInputs,
  MultipleChoiceOutput,
  PreTrainingOutput,
  QuestionAnsweringOutput,
  SequenceClassifierOutput,
  TokenClassifierOutput,
} from './heads';
export { pipeline } from './pipelines';
export type {
  AggregationStrategy,
  Answer,
  ClassificationLabel,
  FeatureExtractionOptions,
  FeatureExtractionPipeline,
  FillMaskCandidate,
  FillMaskOptions,
  FillMaskPipeline,
  MultipleChoiceInput,
  MultipleChoiceOptions,
  MultipleChoicePipeline,
  MultipleChoiceResult,
  PipelineBase,
  PipelineLoadOptions,
  PipelineRunOptions,
  PipelineTask,
  PipelineTypes,
  Pooling,
  QuestionAnsweringInput,
  QuestionAnsweringOptions,
  QuestionAnsweringPipeline,
  ScoreFunction,
  TextClassificationOptions,
  TextClassificationPipeline,
  TextInput,
  TokenClassificationOptions,
  TokenClassificationPipeline,
  TokenEntity,
} from './pipelines';
export { isStreamRowError, streamPipeline, streamTokenize } from './stream';
export type {
  StreamOptions,
  StreamPipelineOptions,
  StreamProgress,
  StreamResult,
  StreamRowError,
  StreamSource,
  StreamTokenizeOptions,
  TokenizeInput,
  TokenizeResult,
} from './stream';
export { WorkerPool } from './worker-pool';
export type { WorkerPoolOptions } from './worker-pool';
export { planBatches } from './batching';
export type { BatchPlan } from './batching';
export type { AlbertConfig } from './config';
export { Tensor, elementCount } from './tensor';
export type { DataType, TypedArray, TypedArrayFor } from './tensor';
export type { IndexInput } from './inputs';
export type { DownloadProgress } from './hub';
export { ErrorCodes, isAlbertNodeError } from './errors';
export type { AlbertNodeError, ErrorCode } from './errors';
export { cpuInfo } from './system';
export type { CpuInfo } from './system';
export { Tokenizer } from './tokenizer';
export type {
  BatchEncodeOptions,
  BatchEncoding,
  DecodeOptions,
  EncodeOptions,
  Encoding,
  SpecialToken,
  SpecialTokens,
  TokenizerFileOptions,
  TokenizerKind,
  TokenizerLoadOptions,
  TokenizerSource,
} from './tokenizer';
export type { PaddingStrategy, TruncationStrategy } from './tokenizer-options';
