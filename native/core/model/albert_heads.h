// The task heads of transformers' ALBERT classes, on top of the encoder: the MLM head (dense, activation,
// LayerNorm, decoder tied to the word embeddings), the SOP / sequence / multiple-choice classifiers on the
// pooled output, and the token classifier / QA span head on every token.
#pragma once

#include <string>

#include "io/json.h"
#include "io/safetensors.h"
#include "kernels/gemm.h"
#include "model/albert_config.h"
#include "model/albert_weights.h"

namespace albert {

enum class Task {
  Base,                    // AlbertModel: hidden states and pooler only
  PreTraining,             // AlbertForPreTraining: prediction_logits + sop_logits
  MaskedLM,                // AlbertForMaskedLM: prediction_logits
  SequenceClassification,  // AlbertForSequenceClassification: logits [batch][labels]
  TokenClassification,     // AlbertForTokenClassification: logits [tokens][labels]
  QuestionAnswering,       // AlbertForQuestionAnswering: start_logits, end_logits
  MultipleChoice,          // AlbertForMultipleChoice: logits [rows][1], rows = batch x choices
};

// "base", "pretraining", "masked-lm", "sequence-classification", "token-classification",
// "question-answering", "multiple-choice".
const char* task_name(Task task);
// `requested` is "auto" (config.json's architectures[0], base when absent) or a task name; errors name the
// value and, for an unknown architecture, the config file.
Task resolve_task(const std::string& requested, const JsonValue& config_json, const std::string& config_source);

struct DenseLayer {
  PackedWeight weight;
  AlignedBuffer<float> bias;
};

struct AlbertHeads {
  Task task = Task::Base;
  int num_labels = 0;  // outputs of `classifier` (SOP: 2, QA: 2 for start/end, multiple choice: 1)
  // MLM head (PreTraining, MaskedLM).
  DenseLayer mlm_dense;  // H -> E (brightmart: H -> H), then the config's activation
  LayerNormWeights mlm_norm;
  PackedWeight mlm_projection;  // brightmart only: H -> E, the transposed embedding projection (no bias)
  DenseLayer mlm_decoder;  // E -> vocab
  // sop_classifier.classifier, classifier or qa_outputs.
  DenseLayer classifier;

  bool has_mlm() const { return task == Task::PreTraining || task == Task::MaskedLM; }
  // The classifier reads the pooled output (SOP, sequence classification, multiple choice).
  bool pooled_classifier() const {
    return task == Task::PreTraining || task == Task::SequenceClassification || task == Task::MultipleChoice;
  }
  // The classifier reads every token (token classification, QA).
  bool token_classifier() const { return task == Task::TokenClassification || task == Task::QuestionAnswering; }
  size_t bytes() const;
};

// Reads the head of `task` (keys without the base model's prefix, as transformers saves them). The MLM
// decoder is the word embedding matrix unless config.json sets tie_word_embeddings to false (then
// predictions.decoder.weight); its bias is predictions.bias. Errors name the missing or misshapen tensor.
AlbertHeads load_albert_heads(const TensorStore& store, const AlbertConfig& config, const JsonValue& config_json,
                              const std::string& config_source, const KernelSet& kernels, WeightFormat format,
                              Task task, bool has_pooler);

}  // namespace albert
