#include "model/albert_config.h"

#include <cmath>
#include <cstdio>

#include "error.h"

namespace albert {

namespace {

class FieldReader {
 public:
  FieldReader(const JsonValue& json, const std::string& source) : json_(json), source_(source) {}

  void integer(const char* name, int& out, int min_value, int max_value) {
    const JsonValue* v = json_.find(name);
    if (!v || v->is_null()) return;
    if (!v->is_number() || !(v->is_integer() || (std::floor(v->as_double()) == v->as_double()))) {
      bad(name, "must be an integer", *v);
    }
    double d = v->as_double();
    if (d < min_value || d > max_value) {
      bad(name, "must be in [" + std::to_string(min_value) + ", " + std::to_string(max_value) + "]", *v);
    }
    out = int(d);
  }

  void number(const char* name, double& out, double min_value, double max_value, bool min_exclusive) {
    const JsonValue* v = json_.find(name);
    if (!v || v->is_null()) return;
    if (!v->is_number()) bad(name, "must be a number", *v);
    double d = v->as_double();
    if (!std::isfinite(d) || d < min_value || d > max_value || (min_exclusive && d == min_value)) {
      bad(name, std::string("must be in ") + (min_exclusive ? "(" : "[") + format(min_value) + ", " +
                    format(max_value) + "]",
          *v);
    }
    out = d;
  }

  void string(const char* name, std::string& out) {
    const JsonValue* v = json_.find(name);
    if (!v || v->is_null()) return;
    if (!v->is_string()) bad(name, "must be a string", *v);
    out = v->as_string();
  }

  [[noreturn]] void bad(const std::string& name, const std::string& rule, const JsonValue& v) const {
    fail(code::kInvalidConfig, source_ + ": field '" + name + "' " + rule + " (got " + describe(v) + ")");
  }

 private:
  static std::string format(double d) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%g", d);
    return buffer;
  }

  static std::string describe(const JsonValue& v) {
    switch (v.type()) {
      case JsonValue::Type::Number: return format(v.as_double());
      case JsonValue::Type::String: return "\"" + v.as_string().substr(0, 64) + "\"";
      case JsonValue::Type::Bool: return v.as_bool() ? "true" : "false";
      default: return JsonValue::type_name(v.type());
    }
  }

  const JsonValue& json_;
  const std::string& source_;
};

constexpr int kMaxDim = 1 << 20;

}  // namespace

int AlbertConfig::group_for_layer(int layer) const {
  double layers_per_group = double(num_hidden_layers) / double(num_hidden_groups);
  return int(double(layer) / layers_per_group);
}

AlbertConfig parse_albert_config(const JsonValue& json, const std::string& source) {
  if (!json.is_object()) fail(code::kInvalidConfig, source + ": config is not a JSON object");
  AlbertConfig c;
  FieldReader r(json, source);
  if (const JsonValue* type = json.find("model_type"); type && type->is_string() && type->as_string() != "albert") {
    fail(code::kUnsupported, source + ": model_type is '" + type->as_string() + "', expected 'albert'");
  }
  r.integer("vocab_size", c.vocab_size, 1, 1 << 24);
  r.integer("embedding_size", c.embedding_size, 1, kMaxDim);
  r.integer("hidden_size", c.hidden_size, 1, kMaxDim);
  r.integer("num_hidden_layers", c.num_hidden_layers, 1, 1024);
  r.integer("num_hidden_groups", c.num_hidden_groups, 1, 1024);
  r.integer("num_attention_heads", c.num_attention_heads, 1, 4096);
  r.integer("intermediate_size", c.intermediate_size, 1, kMaxDim);
  r.integer("inner_group_num", c.inner_group_num, 1, 1024);
  r.integer("max_position_embeddings", c.max_position_embeddings, 1, 1 << 20);
  r.integer("type_vocab_size", c.type_vocab_size, 1, 1 << 16);
  r.integer("pad_token_id", c.pad_token_id, -1, 1 << 24);
  r.integer("bos_token_id", c.bos_token_id, -1, 1 << 24);
  r.integer("eos_token_id", c.eos_token_id, -1, 1 << 24);
  r.number("layer_norm_eps", c.layer_norm_eps, 0.0, 1.0, true);
  r.number("initializer_range", c.initializer_range, 0.0, 1e6, false);
  r.number("hidden_dropout_prob", c.hidden_dropout_prob, 0.0, 1.0, false);
  r.number("attention_probs_dropout_prob", c.attention_probs_dropout_prob, 0.0, 1.0, false);
  r.number("classifier_dropout_prob", c.classifier_dropout_prob, 0.0, 1.0, false);
  r.string("hidden_act", c.hidden_act);
  r.string("position_embedding_type", c.position_embedding_type);
  r.string("embedding_layout", c.embedding_layout);
  r.string("ln_type", c.ln_type);
  if (c.embedding_layout != "add_then_project" && c.embedding_layout != "project_then_add") {
    fail(code::kInvalidConfig, source + ": field 'embedding_layout' must be \"add_then_project\" or \"project_then_add\" (got \"" +
                                   c.embedding_layout.substr(0, 64) + "\")");
  }
  if (c.ln_type != "postln" && c.ln_type != "preln") {
    fail(code::kInvalidConfig, source + ": field 'ln_type' must be \"postln\" or \"preln\" (got \"" + c.ln_type.substr(0, 64) + "\")");
  }
  c.project_then_add = c.embedding_layout == "project_then_add";
  c.pre_layer_norm = c.ln_type == "preln";

  c.activation = parse_activation(c.hidden_act, source);
  if (c.position_embedding_type != "absolute") {
    fail(code::kUnsupported, source + ": position_embedding_type '" + c.position_embedding_type +
                                 "' is not supported (only 'absolute')");
  }
  if (c.hidden_size % c.num_attention_heads != 0) {
    fail(code::kInvalidConfig, source + ": hidden_size " + std::to_string(c.hidden_size) +
                                   " is not a multiple of num_attention_heads " +
                                   std::to_string(c.num_attention_heads));
  }
  if (c.pad_token_id >= c.vocab_size) {
    fail(code::kInvalidConfig, source + ": pad_token_id " + std::to_string(c.pad_token_id) +
                                   " is outside the vocabulary (vocab_size " + std::to_string(c.vocab_size) + ")");
  }
  return c;
}

}  // namespace albert
