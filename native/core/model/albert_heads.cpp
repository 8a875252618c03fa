#include "model/albert_heads.h"

#include "error.h"

namespace albert {

namespace {

struct TaskName {
  Task task;
  const char* name;
  const char* architecture;
};

constexpr TaskName kTasks[] = {
    {Task::Base, "base", "AlbertModel"},
    {Task::PreTraining, "pretraining", "AlbertForPreTraining"},
    {Task::MaskedLM, "masked-lm", "AlbertForMaskedLM"},
    {Task::SequenceClassification, "sequence-classification", "AlbertForSequenceClassification"},
    {Task::TokenClassification, "token-classification", "AlbertForTokenClassification"},
    {Task::QuestionAnswering, "question-answering", "AlbertForQuestionAnswering"},
    {Task::MultipleChoice, "multiple-choice", "AlbertForMultipleChoice"},
};

// transformers' PretrainedConfig.num_labels: the size of id2label, else num_labels, else 2.
int config_num_labels(const JsonValue& json, const std::string& source) {
  if (const JsonValue* id2label = json.find("id2label"); id2label && !id2label->is_null()) {
    if (!id2label->is_object() || id2label->members().empty()) {
      fail(code::kInvalidConfig, source + ": field 'id2label' must be a non-empty object");
    }
    return int(id2label->members().size());
  }
  if (const JsonValue* n = json.find("num_labels"); n && !n->is_null()) {
    if (!n->is_integer() || n->as_int64() < 1 || n->as_int64() > (1 << 20)) {
      fail(code::kInvalidConfig, source + ": field 'num_labels' must be a positive integer");
    }
    return int(n->as_int64());
  }
  return 2;
}

DenseLayer read_dense(const TensorStore& store, const KernelSet& kernels, WeightFormat format, const std::string& name,
                      int64_t out, int64_t in) {
  return {read_packed_weight(store, name, out, in, kernels, format), read_float_tensor(store, name + ".bias", {out})};
}

bool tie_word_embeddings(const JsonValue& json) {
  const JsonValue* tie = json.find("tie_word_embeddings");
  return !(tie && tie->is_bool() && !tie->as_bool());
}

}  // namespace

const char* task_name(Task task) {
  for (const TaskName& t : kTasks) {
    if (t.task == task) return t.name;
  }
  return "?";
}

Task resolve_task(const std::string& requested, const JsonValue& config_json, const std::string& config_source) {
  if (requested != "auto") {
    for (const TaskName& t : kTasks) {
      if (requested == t.name) return t.task;
    }
    std::string names;
    for (const TaskName& t : kTasks) names += std::string(names.empty() ? "" : ", ") + t.name;
    fail(code::kInvalidInput, "task '" + requested + "' is not 'auto' or one of " + names);
  }
  const JsonValue* architectures = config_json.find("architectures");
  if (!architectures || architectures->is_null()) return Task::Base;
  if (!architectures->is_array() || architectures->items().empty() || !architectures->items()[0].is_string()) {
    fail(code::kInvalidConfig, config_source + ": field 'architectures' must be a non-empty array of class names");
  }
  const std::string& architecture = architectures->items()[0].as_string();
  for (const TaskName& t : kTasks) {
    if (architecture == t.architecture) return t.task;
  }
  fail(code::kUnsupported, config_source + ": architecture '" + architecture +
                               "' is not an ALBERT class this engine knows; load it with task 'base' for its encoder");
}

size_t AlbertHeads::bytes() const {
  return mlm_dense.weight.bytes() + mlm_projection.bytes() + mlm_decoder.weight.bytes() + classifier.weight.bytes() +
         4 * (mlm_dense.bias.size() + mlm_decoder.bias.size() + classifier.bias.size());
}

AlbertHeads load_albert_heads(const TensorStore& store, const AlbertConfig& c, const JsonValue& config_json,
                              const std::string& config_source, const KernelSet& kernels, WeightFormat format,
                              Task task, bool has_pooler) {
  AlbertHeads heads;
  heads.task = task;
  const int64_t h = c.hidden_size;
  const int64_t e = c.embedding_size;
  if (heads.pooled_classifier() && !has_pooler) {
    fail(code::kMissingTensor, store.description() + ": the " + task_name(task) +
                                   " head reads the pooled output, but the checkpoint has no pooler weights "
                                   "(albert.pooler.weight)");
  }
  if (heads.has_mlm()) {
    const int64_t mid = c.project_then_add ? h : e;
    heads.mlm_dense = read_dense(store, kernels, format, "predictions.dense", mid, h);
    heads.mlm_norm = read_layer_norm(store, "predictions.LayerNorm", mid);
    if (c.project_then_add) {
      // The embedding projection is [H][E] (E -> H); decoding runs it backwards, H -> E.
      AlignedBuffer<float> projection = read_float_tensor(store, detect_base_prefix(store) + "embeddings.projection.weight", {h, e});
      AlignedBuffer<float> transposed(projection.size());
      for (int64_t r = 0; r < h; ++r) {
        for (int64_t col = 0; col < e; ++col) transposed[size_t(col * h + r)] = projection[size_t(r * e + col)];
      }
      heads.mlm_projection = PackedWeight(kernels, transposed.data(), int(e), int(h), format);
    }
    const std::string decoder = tie_word_embeddings(config_json)
                                    ? detect_base_prefix(store) + "embeddings.word_embeddings.weight"
                                    : "predictions.decoder.weight";
    AlignedBuffer<float> w = read_float_tensor(store, decoder, {c.vocab_size, e});
    heads.mlm_decoder.weight = PackedWeight(kernels, w.data(), c.vocab_size, int(e), format);
    // transformers ties predictions.decoder.bias to predictions.bias; either name may be the one stored.
    const bool own_bias = store.find("predictions.bias") != nullptr || store.find("predictions.decoder.bias") == nullptr;
    heads.mlm_decoder.bias = read_float_tensor(store, own_bias ? "predictions.bias" : "predictions.decoder.bias", {c.vocab_size});
  }
  switch (task) {
    case Task::Base:
    case Task::MaskedLM:
      break;
    case Task::PreTraining:
      heads.num_labels = config_num_labels(config_json, config_source);
      heads.classifier = read_dense(store, kernels, format, "sop_classifier.classifier", heads.num_labels, h);
      break;
    case Task::SequenceClassification:
    case Task::TokenClassification:
      heads.num_labels = config_num_labels(config_json, config_source);
      heads.classifier = read_dense(store, kernels, format, "classifier", heads.num_labels, h);
      break;
    case Task::QuestionAnswering:
      heads.num_labels = 2;
      heads.classifier = read_dense(store, kernels, format, "qa_outputs", 2, h);
      break;
    case Task::MultipleChoice:
      heads.num_labels = 1;
      heads.classifier = read_dense(store, kernels, format, "classifier", 1, h);
      break;
  }
  return heads;
}

}  // namespace albert
