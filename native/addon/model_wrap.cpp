#include "model_wrap.h"

#include <memory>
#include <vector>

#include "addon_data.h"
#include "error.h"
#include "errors.h"
#include "js_values.h"
#include "promise_worker.h"
#include "runtime/cpu_features.h"

namespace albert_addon {

namespace {

// Effective values of every AlbertConfig field, for fields config.json leaves out.
void add_config_defaults(Napi::Object object, const albert::AlbertConfig& c) {
  Napi::Env env = object.Env();
  auto set_default = [&](const char* key, Napi::Value value) {
    if (!object.Has(key) || object.Get(key).IsNull()) object.Set(key, value);
  };
  auto number = [&](double v) { return Napi::Number::New(env, v); };
  set_default("model_type", Napi::String::New(env, "albert"));
  set_default("vocab_size", number(c.vocab_size));
  set_default("embedding_size", number(c.embedding_size));
  set_default("hidden_size", number(c.hidden_size));
  set_default("num_hidden_layers", number(c.num_hidden_layers));
  set_default("num_hidden_groups", number(c.num_hidden_groups));
  set_default("num_attention_heads", number(c.num_attention_heads));
  set_default("intermediate_size", number(c.intermediate_size));
  set_default("inner_group_num", number(c.inner_group_num));
  set_default("hidden_act", Napi::String::New(env, c.hidden_act));
  set_default("hidden_dropout_prob", number(c.hidden_dropout_prob));
  set_default("attention_probs_dropout_prob", number(c.attention_probs_dropout_prob));
  set_default("max_position_embeddings", number(c.max_position_embeddings));
  set_default("type_vocab_size", number(c.type_vocab_size));
  set_default("initializer_range", number(c.initializer_range));
  set_default("layer_norm_eps", number(c.layer_norm_eps));
  set_default("classifier_dropout_prob", number(c.classifier_dropout_prob));
  set_default("position_embedding_type", Napi::String::New(env, c.position_embedding_type));
  set_default("pad_token_id", number(c.pad_token_id));
  set_default("bos_token_id", number(c.bos_token_id));
  set_default("eos_token_id", number(c.eos_token_id));
}

}  // namespace

Napi::Function ModelWrap::define(Napi::Env env) {
  return DefineClass(env, "NativeAlbertModel",
                     {
                         InstanceMethod<&ModelWrap::forward>("forward"),
                         InstanceMethod<&ModelWrap::dispose>("dispose"),
                         InstanceMethod<&ModelWrap::config>("config"),
                         InstanceMethod<&ModelWrap::info>("info"),
                         InstanceMethod<&ModelWrap::save_weights>("saveWeights"),
                     });
}

ModelWrap::ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelWrap>(info) {}

Napi::Value ModelWrap::load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    throw_error(env, albert::code::kInvalidInput, "the model folder must be a string", true);
  }
  std::string folder = info[0].As<Napi::String>().Utf8Value();
  albert::LoadOptions options;
  if (info.Length() > 1 && info[1].IsObject()) {
    Napi::Object opts = info[1].As<Napi::Object>();
    options.threads = read_int(opts, "threads", 0, 4096, 0);
    options.kernel = read_string(opts, "kernel", "auto");
    options.dtype = read_string(opts, "dtype", "float32");
    options.task = read_string(opts, "task", "auto");
  }
  auto loaded = std::make_shared<std::shared_ptr<albert::AlbertModel>>();
  return PromiseWorker::start(
      env, "albert-node:load",
      [folder, options, loaded] { *loaded = albert::AlbertModel::load_folder(folder, options); },
      [loaded](Napi::Env env) -> Napi::Value {
        Napi::Object object = addon_data(env).model_constructor.New({});
        ModelWrap::Unwrap(object)->model_ = std::move(*loaded);
        return object;
      });
}

std::shared_ptr<const albert::AlbertModel> ModelWrap::require_model(Napi::Env env) const {
  if (!model_) throw_error(env, albert::code::kDisposed, "the model has been disposed");
  return model_;
}

Napi::Value ModelWrap::forward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<const albert::AlbertModel> model = require_model(env);
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsObject()) {
    throw_error(env, albert::code::kInvalidInput, "forward(inputs, outputs) takes two objects", true);
  }
  Napi::Object inputs = info[0].As<Napi::Object>();
  Napi::Object outputs = info[1].As<Napi::Object>();
  const albert::AlbertConfig& config = model->config();

  albert::ForwardInputs in;
  auto row_lengths = std::make_shared<std::vector<int32_t>>();
  in.batch = read_int(inputs, "batch", 0, 1 << 24, -1);
  Napi::Value lengths = inputs.Get("lengths");
  size_t cells = 0;
  if (lengths.IsUndefined() || lengths.IsNull()) {
    // Padded layout: [batch][seqLen].
    in.seq_len = read_int(inputs, "seqLen", 0, 1 << 24, -1);
    if (in.batch < 0 || in.seq_len < 0) throw_error(env, albert::code::kInvalidInput, "batch and seqLen are required", true);
    cells = size_t(in.batch) * size_t(in.seq_len);
  } else {
    // Packed layout: rows back to back, row b with lengths[b] tokens.
    if (in.batch < 0) throw_error(env, albert::code::kInvalidInput, "batch is required", true);
    if (!lengths.IsTypedArray() || lengths.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
        lengths.As<Napi::Int32Array>().ElementLength() != size_t(in.batch)) {
      throw_error(env, albert::code::kInvalidInput, "lengths must be an Int32Array with one entry per row", true);
    }
    // Copied: the element count derived from it must not change while the job runs.
    Napi::Int32Array array = lengths.As<Napi::Int32Array>();
    row_lengths->assign(array.Data(), array.Data() + array.ElementLength());
    row_lengths->push_back(0);  // keeps data() non-null for an empty batch
    in.row_lengths = row_lengths->data();
    for (size_t b = 0; b < array.ElementLength(); ++b) {
      if (array[b] < 0) throw_error(env, albert::code::kInvalidInput, "lengths[" + std::to_string(b) + "] is negative");
      cells += size_t(array[b]);
    }
  }
  if (cells > (size_t(1) << 31)) throw_error(env, albert::code::kInvalidInput, "the batch holds too many tokens");
  in.input_ids = read_index_array(inputs, "inputIds", cells, true);
  in.attention_mask = read_index_array(inputs, "attentionMask", cells, false);
  in.token_type_ids = read_index_array(inputs, "tokenTypeIds", cells, false);
  in.position_ids = read_index_array(inputs, "positionIds", cells, false);

  const size_t state_size = cells * size_t(config.hidden_size);
  albert::ForwardOutputs out;
  out.last_hidden_state = float_array(env, outputs.Get("lastHiddenState"), "lastHiddenState", state_size, false);
  if (model->has_pooler()) {
    out.pooler_output = float_array(env, outputs.Get("poolerOutput"), "poolerOutput",
                                    size_t(in.batch) * size_t(config.hidden_size), false);
  }
  // Head outputs: per-token ones follow the input layout (cells or packed tokens).
  const albert::AlbertHeads& heads = model->heads();
  const size_t labels = size_t(heads.num_labels);
  Napi::Value positions = outputs.Get("positions");
  if (heads.has_mlm()) {
    if (!positions.IsUndefined() && !positions.IsNull()) {
      if (!positions.IsTypedArray() || positions.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
        throw_error(env, albert::code::kInvalidInput, "positions must be an Int32Array", true);
      }
      Napi::Int32Array array = positions.As<Napi::Int32Array>();
      out.prediction_positions.assign(array.Data(), array.Data() + array.ElementLength());
    }
    const size_t prediction_rows = out.prediction_positions.empty() ? cells : out.prediction_positions.size();
    out.prediction_logits = float_array(env, outputs.Get("predictionLogits"), "predictionLogits",
                                        prediction_rows * size_t(config.vocab_size), false);
  }
  switch (heads.task) {
    case albert::Task::PreTraining:
      out.sop_logits = float_array(env, outputs.Get("sopLogits"), "sopLogits", size_t(in.batch) * labels, false);
      break;
    case albert::Task::SequenceClassification:
    case albert::Task::MultipleChoice:
      out.logits = float_array(env, outputs.Get("logits"), "logits", size_t(in.batch) * labels, false);
      break;
    case albert::Task::TokenClassification:
      out.logits = float_array(env, outputs.Get("logits"), "logits", cells * labels, false);
      break;
    case albert::Task::QuestionAnswering:
      out.start_logits = float_array(env, outputs.Get("startLogits"), "startLogits", cells, false);
      out.end_logits = float_array(env, outputs.Get("endLogits"), "endLogits", cells, false);
      break;
    default:
      break;
  }
  Napi::Value hidden = outputs.Get("hiddenStates");
  if (!hidden.IsUndefined() && !hidden.IsNull()) {
    if (!hidden.IsArray()) throw_error(env, albert::code::kInvalidInput, "hiddenStates must be an array", true);
    Napi::Array array = hidden.As<Napi::Array>();
    if (array.Length() != uint32_t(config.num_hidden_layers) + 1) {
      throw_error(env, albert::code::kInvalidInput,
                  "hiddenStates must hold num_hidden_layers + 1 = " + std::to_string(config.num_hidden_layers + 1) +
                      " Float32Arrays");
    }
    for (uint32_t i = 0; i < array.Length(); ++i) {
      out.hidden_states.push_back(
          float_array(env, array.Get(i), "hiddenStates[" + std::to_string(i) + "]", state_size, true));
    }
  }
  // Fail fast on the JS thread for bad ids, masks and lengths: the caller gets a rejected Promise.
  CapturedError error;
  if (!capture_errors([&] { model->validate(in, out); }, error)) {
    auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Reject(make_error(env, error).Value());
    return deferred.Promise();
  }
  return PromiseWorker::start(
      env, "albert-node:forward", [model, in, out, row_lengths] { model->forward(in, out); }, nullptr,
      {info.This(), inputs, outputs, hidden, lengths});
}

Napi::Value ModelWrap::dispose(const Napi::CallbackInfo& info) {
  model_.reset();
  return info.Env().Undefined();
}

Napi::Value ModelWrap::config(const Napi::CallbackInfo& info) {
  std::shared_ptr<const albert::AlbertModel> model = require_model(info.Env());
  Napi::Value value = json_to_js(info.Env(), model->config_json());
  add_config_defaults(value.As<Napi::Object>(), model->config());
  return value;
}

Napi::Value ModelWrap::info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<const albert::AlbertModel> model = require_model(env);
  Napi::Object result = Napi::Object::New(env);
  result.Set("kernel", Napi::String::New(env, albert::isa_name(model->isa())));
  result.Set("threads", Napi::Number::New(env, model->threads()));
  result.Set("hasPooler", Napi::Boolean::New(env, model->has_pooler()));
  result.Set("weightBytes", Napi::Number::New(env, double(model->weight_bytes())));
  result.Set("dtype", Napi::String::New(env, albert::weight_format_name(model->weight_format())));
  result.Set("task", Napi::String::New(env, albert::task_name(model->heads().task)));
  result.Set("numLabels", Napi::Number::New(env, model->heads().num_labels));
  const albert::ModelSource& source = model->source();
  Napi::Object from = Napi::Object::New(env);
  from.Set("format", Napi::String::New(env, source.format));
  from.Set("layout", Napi::String::New(env, source.layout));
  from.Set("path", Napi::String::New(env, source.path));
  from.Set("checkpoint", Napi::String::New(env, source.checkpoint));
  from.Set("config", Napi::String::New(env, source.config));
  from.Set("skippedTensors", Napi::Number::New(env, double(source.skipped_tensors)));
  result.Set("source", from);
  return result;
}

Napi::Value ModelWrap::save_weights(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<const albert::AlbertModel> model = require_model(env);
  if (info.Length() < 1 || !info[0].IsString()) throw_error(env, albert::code::kInvalidInput, "saveWeights(path) takes a path string", true);
  std::string path = info[0].As<Napi::String>().Utf8Value();
  return PromiseWorker::start(env, "albert-node:save", [model, path] { model->save_weights(path); }, nullptr, {info.This()});
}

}  // namespace albert_addon
