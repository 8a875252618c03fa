/**
 * pipeline(task, folder): the Hugging Face pipelines of the same names over albert-node's engine. Each
 * pipeline is an async function of one input or an array of inputs (results in input order) that batches
 * internally (forwardMany), runs on native threads, and takes an AbortSignal and a progress callback.
 */
import { albertError, ErrorCodes } from '../errors';
import type { PipelineLoadOptions } from './common';
import { featureExtraction, type FeatureExtractionPipeline } from './feature-extraction';
import { fillMask, type FillMaskPipeline } from './fill-mask';
import { textClassification, type TextClassificationPipeline } from './text-classification';
import { tokenClassification, type TokenClassificationPipeline } from './token-classification';
import { questionAnswering, type QuestionAnsweringPipeline } from './question-answering';
import { multipleChoice, type MultipleChoicePipeline } from './multiple-choice';

/** The pipelines by task name. */
export interface PipelineTypes {
  'feature-extraction': FeatureExtractionPipeline;
  'fill-mask': FillMaskPipeline;
  'text-classification': TextClassificationPipeline;
  'token-classification': TokenClassificationPipeline;
  'question-answering': QuestionAnsweringPipeline;
  'multiple-choice': MultipleChoicePipeline;
}

export type PipelineTask = keyof PipelineTypes;

const FACTORIES: { [T in PipelineTask]: (folder: string, options: PipelineLoadOptions) => Promise<PipelineTypes[T]> } = {
  'feature-extraction': featureExtraction,
  'fill-mask': fillMask,
  'text-classification': textClassification,
  'token-classification': tokenClassification,
  'question-answering': questionAnswering,
  'multiple-choice': multipleChoice,
};

/** Loads `folder` (model and tokenizer) for `task`. */
export async function pipeline<T extends PipelineTask>(task: T, folder: string, options: PipelineLoadOptions = {}): Promise<PipelineTypes[T]> {
  const factory = Object.prototype.hasOwnProperty.call(FACTORIES, task) ? FACTORIES[task] : undefined;
  if (!factory) {
    throw albertError(ErrorCodes.INVALID_INPUT, `unknown pipeline task ${JSON.stringify(task)}: one of ${Object.keys(FACTORIES).join(', ')}`);
  }
  return factory(folder, options);
}

export type { ClassificationLabel, ScoreFunction, TextClassificationOptions, TextClassificationPipeline } from './text-classification';
export type { Answer, QuestionAnsweringInput, QuestionAnsweringOptions, QuestionAnsweringPipeline } from './question-answering';
export type { MultipleChoiceInput, MultipleChoiceOptions, MultipleChoicePipeline, MultipleChoiceResult } from './multiple-choice';
export type { AggregationStrategy, TokenClassificationOptions, TokenClassificationPipeline, TokenEntity } from './token-classification';
export type { FillMaskCandidate, FillMaskOptions, FillMaskPipeline } from './fill-mask';
export type { FeatureExtractionOptions, FeatureExtractionPipeline, Pooling } from './feature-extraction';
export type { PipelineBase, PipelineLoadOptions, PipelineRunOptions, TextInput } from './common';
