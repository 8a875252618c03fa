#include "model/tf_albert.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "error.h"
#include "io/json.h"
#include "io/mapped_file.h"
#include "io/tf_checkpoint.h"

namespace albert {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

std::string parent_folder(const std::string& path) {
  const size_t slash = path.find_last_of("/\\");
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::string base_name(const std::string& path) {
  const size_t slash = path.find_last_of("/\\");
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool is_absolute(const std::string& path) {
  return (!path.empty() && (path[0] == '/' || path[0] == '\\')) || (path.size() > 1 && path[1] == ':');
}

std::vector<std::string> index_files(const std::string& folder) {
  std::vector<std::string> out;
  for (const std::string& name : list_directory(folder)) {
    if (ends_with(name, ".index") && name.size() > 6 && !directory_exists(join_path(folder, name))) out.push_back(name);
  }
  return out;
}

// model_checkpoint_path from a `checkpoint` state file (a text-format CheckpointState), unescaped.
std::string checkpoint_state_path(const std::string& state_file) {
  const std::string text = read_text_file(state_file, size_t(1) << 20);
  const std::string key = "model_checkpoint_path:";
  size_t at = text.find(key);
  while (at != std::string::npos && at > 0 && text[at - 1] != '\n') at = text.find(key, at + 1);  // not all_model_...
  if (at == std::string::npos) return "";
  size_t quote = text.find('"', at + key.size());
  if (quote == std::string::npos) return "";
  std::string out;
  for (size_t i = quote + 1; i < text.size() && text[i] != '"' && text[i] != '\n'; ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) ++i;  // \" and \\ (paths need no other escapes)
    out += text[i];
  }
  return out;
}

// The prefix of the checkpoint at `path`: the prefix itself, its .index file, or a folder (its `checkpoint`
// state file, else its only *.index file, else TF-Hub's variables/variables.index).
std::string locate_prefix(const std::string& path) {
  if (file_exists(path + ".index") && !directory_exists(path + ".index")) return path;
  if (ends_with(path, ".index") && file_exists(path) && !directory_exists(path)) return path.substr(0, path.size() - 6);
  if (!directory_exists(path)) fail(code::kFileNotFound, "no model folder or TensorFlow checkpoint at " + path);
  const std::string state = join_path(path, "checkpoint");
  if (file_exists(state)) {
    const std::string named = checkpoint_state_path(state);
    if (!named.empty()) {
      const std::string candidate = is_absolute(named) ? named : join_path(path, named);
      if (file_exists(candidate + ".index")) return candidate;
      // Checkpoints often carry the training machine's absolute path: use the files beside the state file.
      const std::string beside = join_path(path, base_name(named));
      if (file_exists(beside + ".index")) return beside;
    }
  }
  const std::vector<std::string> indexes = index_files(path);
  if (indexes.size() == 1) return join_path(path, indexes[0].substr(0, indexes[0].size() - 6));
  if (indexes.empty()) {
    const std::string hub = join_path(join_path(path, "variables"), "variables");
    if (file_exists(hub + ".index")) return hub;
    fail(code::kFileNotFound, "no weights in " + path + ": expected config.json with model.safetensors, or a "
                                  "TensorFlow checkpoint (a `checkpoint` file or a *.index file)");
  }
  std::string list;
  for (const std::string& name : indexes) list += (list.empty() ? "" : ", ") + name;
  fail(code::kInvalidInput, path + " holds several TensorFlow checkpoints (" + list +
                                ") and no `checkpoint` file naming one: pass the prefix of the one to load");
}

// The TensorFlow config beside the checkpoint: albert_config.json, albert_config_*.json or bert_config.json
// (TF-Hub modules: also in the module's root and assets/ folders).
std::string locate_config(const std::string& prefix) {
  std::vector<std::string> folders = {parent_folder(prefix)};
  if (base_name(folders[0]) == "variables") {
    folders.push_back(parent_folder(folders[0]));
    folders.push_back(join_path(folders[1], "assets"));
  }
  for (const std::string& folder : folders) {
    if (!directory_exists(folder)) continue;
    const std::string exact = join_path(folder, "albert_config.json");
    if (file_exists(exact)) return exact;
    std::vector<std::string> candidates;
    for (const std::string& name : list_directory(folder)) {
      if (starts_with(name, "albert_config") && ends_with(name, ".json")) candidates.push_back(name);
    }
    if (candidates.size() == 1) return join_path(folder, candidates[0]);
    if (candidates.size() > 1) {
      std::string list;
      for (const std::string& name : candidates) list += (list.empty() ? "" : ", ") + name;
      fail(code::kInvalidInput, folder + " holds several configs (" + list + "): keep the one of this checkpoint");
    }
    const std::string bert = join_path(folder, "bert_config.json");
    if (file_exists(bert)) return bert;
  }
  fail(code::kFileNotFound, "no config for the TensorFlow checkpoint " + prefix +
                                ": expected albert_config.json (or albert_config_*.json) beside it");
}

// One variable-name rule: `tf` and `hf` may hold {g} and {i}, which match decimal numbers (group and inner
// layer). Dense kernels are stored [in, out] by TensorFlow and [out, in] by torch: `transpose`.
struct NameRule {
  std::string tf;
  std::string hf;
  bool transpose = false;
};

bool match_pattern(const std::string& pattern, const std::string& name, std::string captures[2]) {
  size_t p = 0, n = 0;
  while (p < pattern.size()) {
    if (pattern.compare(p, 3, "{g}") == 0 || pattern.compare(p, 3, "{i}") == 0) {
      const size_t start = n;
      while (n < name.size() && name[n] >= '0' && name[n] <= '9') ++n;
      if (n == start || n - start > 4) return false;
      captures[pattern[p + 1] == 'g' ? 0 : 1] = name.substr(start, n - start);
      p += 3;
      continue;
    }
    if (n >= name.size() || pattern[p] != name[n]) return false;
    ++p;
    ++n;
  }
  return n == name.size();
}

std::string fill_pattern(const std::string& pattern, const std::string captures[2]) {
  std::string out;
  for (size_t p = 0; p < pattern.size(); ++p) {
    if (pattern.compare(p, 3, "{g}") == 0 || pattern.compare(p, 3, "{i}") == 0) {
      out += captures[pattern[p + 1] == 'g' ? 0 : 1];
      p += 2;
    } else {
      out += pattern[p];
    }
  }
  return out;
}

std::vector<NameRule> name_rules(const std::string& layout) {
  std::vector<NameRule> rules = {
      {"bert/embeddings/word_embeddings", "albert.embeddings.word_embeddings.weight"},
      {"bert/embeddings/position_embeddings", "albert.embeddings.position_embeddings.weight"},
      {"bert/embeddings/token_type_embeddings", "albert.embeddings.token_type_embeddings.weight"},
      {"bert/embeddings/LayerNorm/gamma", "albert.embeddings.LayerNorm.weight"},
      {"bert/embeddings/LayerNorm/beta", "albert.embeddings.LayerNorm.bias"},
      {"bert/pooler/dense/kernel", "albert.pooler.weight", true},
      {"bert/pooler/dense/bias", "albert.pooler.bias"},
      {"cls/predictions/transform/dense/kernel", "predictions.dense.weight", true},
      {"cls/predictions/transform/dense/bias", "predictions.dense.bias"},
      {"cls/predictions/transform/LayerNorm/gamma", "predictions.LayerNorm.weight"},
      {"cls/predictions/transform/LayerNorm/beta", "predictions.LayerNorm.bias"},
      {"cls/predictions/output_bias", "predictions.bias"},
      // [labels, H] already: the TF code multiplies with transpose_b.
      {"cls/seq_relationship/output_weights", "sop_classifier.classifier.weight"},
      {"cls/seq_relationship/output_bias", "sop_classifier.classifier.bias"},
      {"output_weights", "classifier.weight"},  // run_classifier.py's fine-tuned head
      {"output_bias", "classifier.bias"},
  };
  struct LayerPart {
    const char* google;
    const char* brightmart;
    const char* hf;
    bool transpose;
  };
  static const LayerPart kLayer[] = {
      {"attention_1/self/query/kernel", "attention/self/query/kernel", "attention.query.weight", true},
      {"attention_1/self/query/bias", "attention/self/query/bias", "attention.query.bias", false},
      {"attention_1/self/key/kernel", "attention/self/key/kernel", "attention.key.weight", true},
      {"attention_1/self/key/bias", "attention/self/key/bias", "attention.key.bias", false},
      {"attention_1/self/value/kernel", "attention/self/value/kernel", "attention.value.weight", true},
      {"attention_1/self/value/bias", "attention/self/value/bias", "attention.value.bias", false},
      {"attention_1/output/dense/kernel", "attention/output/dense/kernel", "attention.dense.weight", true},
      {"attention_1/output/dense/bias", "attention/output/dense/bias", "attention.dense.bias", false},
      {"LayerNorm/gamma", "attention/output/LayerNorm/gamma", "attention.LayerNorm.weight", false},
      {"LayerNorm/beta", "attention/output/LayerNorm/beta", "attention.LayerNorm.bias", false},
      {"ffn_1/intermediate/dense/kernel", "intermediate/dense/kernel", "ffn.weight", true},
      {"ffn_1/intermediate/dense/bias", "intermediate/dense/bias", "ffn.bias", false},
      {"ffn_1/intermediate/output/dense/kernel", "output/dense/kernel", "ffn_output.weight", true},
      {"ffn_1/intermediate/output/dense/bias", "output/dense/bias", "ffn_output.bias", false},
      {"LayerNorm_1/gamma", "output/LayerNorm/gamma", "full_layer_layer_norm.weight", false},
      {"LayerNorm_1/beta", "output/LayerNorm/beta", "full_layer_layer_norm.bias", false},
  };
  const bool google = layout == "google";
  const std::string tf_layer = google ? "bert/encoder/transformer/group_{g}/inner_group_{i}/" : "bert/encoder/layer_shared/";
  const std::string hf_layer = google ? "albert.encoder.albert_layer_groups.{g}.albert_layers.{i}." : "albert.encoder.albert_layer_groups.0.albert_layers.0.";
  for (const LayerPart& part : kLayer) {
    rules.push_back({tf_layer + (google ? part.google : part.brightmart), hf_layer + part.hf, part.transpose});
  }
  if (google) {
    rules.push_back({"bert/encoder/embedding_hidden_mapping_in/kernel", "albert.encoder.embedding_hidden_mapping_in.weight", true});
    rules.push_back({"bert/encoder/embedding_hidden_mapping_in/bias", "albert.encoder.embedding_hidden_mapping_in.bias"});
  } else {
    // brightmart projects the E-wide word embeddings to H before adding the H-wide position/type embeddings.
    rules.push_back({"bert/embeddings/word_embeddings_2", "albert.embeddings.projection.weight", true});
  }
  return rules;
}

bool is_float_dtype(int tf_dtype, DType& out) {
  switch (tf_dtype) {
    case 1: out = DType::F32; return true;
    case 2: out = DType::F64; return true;
    case 14: out = DType::BF16; return true;
    case 19: out = DType::F16; return true;
    default: return false;
  }
}

// Adds the checkpoint's model variables to `store` under their Hugging Face names; returns how many
// variables were skipped (optimizer slots, global_step, anything the model does not use).
size_t map_variables(const std::shared_ptr<TfCheckpoint>& checkpoint, const std::string& layout, const std::string& scope,
                     TensorStore& store) {
  const std::vector<NameRule> rules = name_rules(layout);
  size_t skipped = 0;
  for (const TfTensorEntry& entry : checkpoint->entries()) {
    if (!starts_with(entry.name, scope)) {
      ++skipped;
      continue;
    }
    const std::string name = entry.name.substr(scope.size());
    const NameRule* rule = nullptr;
    std::string captures[2];
    for (const NameRule& r : rules) {
      if (match_pattern(r.tf, name, captures)) {
        rule = &r;
        break;
      }
    }
    if (!rule) {
      ++skipped;
      continue;
    }
    const std::string& shard = checkpoint->shard_path(entry);
    DType dtype;
    if (!is_float_dtype(entry.dtype, dtype)) {
      fail(code::kTensorDtype, shard + ": variable '" + entry.name + "' has dtype " + tf_dtype_name(entry.dtype) +
                                   "; weights must be DT_FLOAT, DT_HALF, DT_BFLOAT16 or DT_DOUBLE");
    }
    const uint8_t* bytes = checkpoint->data(entry);  // checks the CRC32C
    const std::string hf = fill_pattern(rule->hf, captures);
    if (!rule->transpose) {
      store.add_view(hf, entry.name, dtype, entry.shape, bytes, size_t(entry.size), shard);
      continue;
    }
    std::string shape;
    for (size_t i = 0; i < entry.shape.size(); ++i) shape += (i ? ", " : "") + std::to_string(entry.shape[i]);
    if (entry.shape.size() != 2) {
      fail(code::kTensorShape, shard + ": kernel '" + entry.name + "' has shape [" + shape + "], expected [in, out]");
    }
    const size_t rows = size_t(entry.shape[0]), cols = size_t(entry.shape[1]), width = dtype_size(dtype);
    std::vector<uint8_t> transposed(size_t(entry.size));
    for (size_t r = 0; r < rows; ++r) {
      for (size_t c = 0; c < cols; ++c) std::memcpy(&transposed[(c * rows + r) * width], bytes + (r * cols + c) * width, width);
    }
    // Shape errors show the transposed shape: the name says what TensorFlow stored.
    store.add_owned(hf, entry.name + " (stored [" + shape + "] as [in, out], transposed to [out, in])", dtype,
                    {entry.shape[1], entry.shape[0]}, std::move(transposed), shard);
  }
  // Errors about variables the model needs but the checkpoint lacks name them as TensorFlow does.
  store.set_missing_name([rules, scope](const std::string& hf) {
    std::string captures[2];
    for (const NameRule& r : rules) {
      if (match_pattern(r.hf, hf, captures)) return scope + fill_pattern(r.tf, captures);
    }
    return hf;
  });
  return skipped;
}

// Google's TF code and brightmart's both implement "gelu" as the tanh approximation (transformers' gelu_new).
std::string hf_activation(const std::string& tf_name) { return tf_name == "gelu" ? "gelu_new" : tf_name; }

std::string make_hf_config(const JsonValue& tf, const std::string& source, const std::string& layout, bool pre_ln,
                           const TfCheckpoint& checkpoint, const std::string& scope) {
  if (!tf.is_object()) fail(code::kInvalidConfig, source + ": config is not a JSON object");
  std::string architecture = "AlbertModel";
  std::string extra;
  if (const TfTensorEntry* classifier = checkpoint.find(scope + "output_weights")) {
    architecture = "AlbertForSequenceClassification";
    if (classifier->shape.size() == 2) extra += ",\"num_labels\":" + std::to_string(classifier->shape[0]);
  } else if (checkpoint.find(scope + "cls/predictions/output_bias")) {
    architecture = checkpoint.find(scope + "cls/seq_relationship/output_weights") ? "AlbertForPreTraining" : "AlbertForMaskedLM";
  }
  std::string out = "{\"model_type\":\"albert\",\"architectures\":[\"" + architecture + "\"]";
  bool has_eps = false;
  for (const auto& [key, value] : tf.members()) {
    if (key == "model_type" || key == "architectures" || key == "ln_type" || key == "num_labels") continue;
    if (key == "layer_norm_eps") has_eps = true;
    if (key == "hidden_act" && value.is_string()) {
      out += ",\"hidden_act\":" + json_quote(hf_activation(value.as_string()));
      continue;
    }
    out += "," + json_quote(key) + ":" + to_json_text(value);
  }
  if (!has_eps) out += ",\"layer_norm_eps\":1e-12";  // tf.contrib.layers.layer_norm's epsilon
  if (layout == "brightmart") out += ",\"embedding_layout\":\"project_then_add\"";
  out += std::string(",\"ln_type\":\"") + (pre_ln ? "preln" : "postln") + "\"";
  return out + extra + "}";
}

}  // namespace

bool is_tf_checkpoint(const std::string& path) {
  if (file_exists(path + ".index") && !directory_exists(path + ".index")) return true;
  if (ends_with(path, ".index") && file_exists(path) && !directory_exists(path)) return true;
  if (!directory_exists(path) || file_exists(join_path(path, "config.json"))) return false;
  return file_exists(join_path(path, "checkpoint")) || !index_files(path).empty() ||
         file_exists(join_path(join_path(path, "variables"), "variables.index"));
}

TfAlbertCheckpoint open_tf_albert(const std::string& path) {
  TfAlbertCheckpoint out;
  out.prefix = locate_prefix(path);
  out.config_path = locate_config(out.prefix);
  auto checkpoint = std::make_shared<TfCheckpoint>(out.prefix);

  // TF-Hub modules keep their variables under module/.
  std::string scope;
  if (!checkpoint->find("bert/embeddings/word_embeddings") && checkpoint->find("module/bert/embeddings/word_embeddings")) {
    scope = "module/";
  }
  if (checkpoint->find(scope + "bert/encoder/layer_shared/attention/self/query/kernel") ||
      checkpoint->find(scope + "bert/embeddings/word_embeddings_2")) {
    out.layout = "brightmart";
  } else if (checkpoint->find(scope + "bert/embeddings/word_embeddings")) {
    out.layout = "google";
  } else {
    fail(code::kMissingTensor, out.prefix + ".index: no variable 'bert/embeddings/word_embeddings': is this an ALBERT checkpoint?");
  }
  if (out.layout == "brightmart" && !checkpoint->find(scope + "bert/encoder/layer_shared/attention/self/query/kernel")) {
    fail(code::kUnsupported, out.prefix + ".index: brightmart checkpoint without bert/encoder/layer_shared/: only the "
                                          "fully shared variant (shared_type 'all') is supported");
  }

  const JsonValue tf_config = parse_json(read_text_file(out.config_path, size_t(1) << 20), out.config_path);
  bool pre_ln = false;
  if (const JsonValue* ln = tf_config.find("ln_type"); ln && !ln->is_null()) {
    if (!ln->is_string() || (ln->as_string() != "preln" && ln->as_string() != "postln")) {
      fail(code::kInvalidConfig, out.config_path + ": field 'ln_type' must be \"postln\" or \"preln\"");
    }
    pre_ln = ln->as_string() == "preln";
  }
  out.config_text = make_hf_config(tf_config, out.config_path, out.layout, pre_ln, *checkpoint, scope);

  out.store = std::make_unique<TensorStore>(out.prefix + ".index");
  out.skipped = map_variables(checkpoint, out.layout, scope, *out.store);
  out.store->keep_alive(checkpoint);
  return out;
}

}  // namespace albert
