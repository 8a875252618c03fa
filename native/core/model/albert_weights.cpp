#include "model/albert_weights.h"

#include <set>

#include "error.h"

namespace albert {

namespace {

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// Legacy checkpoints name LayerNorm parameters gamma/beta; transformers renames them on load too.
const TensorRef* find_with_legacy_names(const TensorStore& store, const std::string& name) {
  if (const TensorRef* ref = store.find(name)) return ref;
  auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (name.find("LayerNorm") != std::string::npos || name.find("layer_norm") != std::string::npos) {
    if (ends_with(".weight")) return store.find(name.substr(0, name.size() - 7) + ".gamma");
    if (ends_with(".bias")) return store.find(name.substr(0, name.size() - 5) + ".beta");
  }
  return nullptr;
}

class Reader {
 public:
  Reader(const TensorStore& store, std::string prefix, WeightFormat format)
      : store_(store), prefix_(std::move(prefix)), format_(format) {}

  AlignedBuffer<float> tensor(const std::string& name, const std::vector<int64_t>& shape) const {
    return read_float_tensor(store_, prefix_ + name, shape);
  }
  LayerNormWeights layer_norm(const std::string& name, int64_t n) const { return read_layer_norm(store_, prefix_ + name, n); }
  PackedWeight dense(const KernelSet& kernels, const std::string& name, int64_t out, int64_t in) const {
    return read_packed_weight(store_, prefix_ + name, out, in, kernels, format_);
  }
  WeightFormat format() const { return format_; }
  bool has(const std::string& name) const { return find_with_legacy_names(store_, prefix_ + name) != nullptr; }

 private:
  const TensorStore& store_;
  std::string prefix_;
  WeightFormat format_;
};

AlbertLayerWeights load_layer(const Reader& r, const KernelSet& kernels, const AlbertConfig& c, const std::string& base) {
  const int64_t h = c.hidden_size;
  const int64_t inter = c.intermediate_size;
  AlbertLayerWeights layer;
  {
    AlignedBuffer<float> qkv(size_t(3 * h * h));
    layer.qkv_bias.resize(size_t(3 * h));
    const char* parts[3] = {"query", "key", "value"};
    for (int p = 0; p < 3; ++p) {
      AlignedBuffer<float> w = r.tensor(base + "attention." + parts[p] + ".weight", {h, h});
      AlignedBuffer<float> b = r.tensor(base + "attention." + parts[p] + ".bias", {h});
      std::copy(w.data(), w.data() + h * h, qkv.data() + p * h * h);
      std::copy(b.data(), b.data() + h, layer.qkv_bias.data() + p * h);
    }
    layer.qkv = PackedWeight(kernels, qkv.data(), int(3 * h), int(h), r.format());
  }
  layer.attention_output = r.dense(kernels, base + "attention.dense", h, h);
  layer.attention_output_bias = r.tensor(base + "attention.dense.bias", {h});
  layer.attention_norm = r.layer_norm(base + "attention.LayerNorm", h);
  layer.ffn = r.dense(kernels, base + "ffn", inter, h);
  layer.ffn_bias = r.tensor(base + "ffn.bias", {inter});
  layer.ffn_output = r.dense(kernels, base + "ffn_output", h, inter);
  layer.ffn_output_bias = r.tensor(base + "ffn_output.bias", {h});
  layer.output_norm = r.layer_norm(base + "full_layer_layer_norm", h);
  return layer;
}

}  // namespace

size_t AlbertWeights::bytes() const {
  size_t total = (word_embeddings.size() + position_embeddings.size() + token_type_embeddings.size()) * 4 +
                 word_embeddings16.size() * 2;
  total += embedding_projection.bytes() + pooler.bytes();
  for (const auto& group : groups) {
    for (const auto& layer : group) {
      total += layer.qkv.bytes() + layer.attention_output.bytes() + layer.ffn.bytes() + layer.ffn_output.bytes();
    }
  }
  return total;
}

AlignedBuffer<float> read_float_tensor(const TensorStore& store, const std::string& name,
                                       const std::vector<int64_t>& shape) {
  const TensorRef* ref = find_with_legacy_names(store, name);
  if (!ref) fail(code::kMissingTensor, store.description() + ": required tensor '" + store.missing_name(name) + "' is missing");
  if (ref->shape != shape) {
    fail(code::kTensorShape, *ref->file + ": tensor '" + ref->name + "' has shape " + ref->shape_string() +
                                 ", expected " + shape_string(shape) + " from the config");
  }
  AlignedBuffer<float> out(size_t(ref->element_count()));
  if (!convert_to_float(ref->dtype, ref->data, out.size(), out.data())) {
    fail(code::kTensorDtype, *ref->file + ": tensor '" + ref->name + "' has dtype " + dtype_name(ref->dtype) +
                                 "; weights must be F32, F16, BF16 or F64");
  }
  return out;
}

PackedWeight read_packed_weight(const TensorStore& store, const std::string& name, int64_t out, int64_t in,
                                const KernelSet& kernels, WeightFormat format) {
  AlignedBuffer<float> w = read_float_tensor(store, name + ".weight", {out, in});
  return PackedWeight(kernels, w.data(), int(out), int(in), format);
}

LayerNormWeights read_layer_norm(const TensorStore& store, const std::string& name, int64_t n) {
  return {read_float_tensor(store, name + ".weight", {n}), read_float_tensor(store, name + ".bias", {n})};
}

std::string detect_base_prefix(const TensorStore& store) {
  const std::string probe = "embeddings.word_embeddings.weight";
  if (store.find("albert." + probe)) return "albert.";
  if (store.find(probe)) return "";
  fail(code::kMissingTensor, store.description() + ": required tensor '" + probe + "' (or 'albert." + probe +
                                 "') is missing: is this an ALBERT checkpoint?");
}

AlbertWeights load_albert_weights(const TensorStore& store, const AlbertConfig& c, const KernelSet& kernels,
                                  WeightFormat format) {
  Reader r(store, detect_base_prefix(store), format);
  const int64_t e = c.embedding_size;
  const int64_t h = c.hidden_size;
  AlbertWeights w;
  w.format = format;
  w.word_embeddings = r.tensor("embeddings.word_embeddings.weight", {c.vocab_size, e});
  if (format != WeightFormat::F32) {
    w.word_embeddings16.resize(w.word_embeddings.size());
    for (size_t i = 0; i < w.word_embeddings.size(); ++i) {
      w.word_embeddings16[i] = format == WeightFormat::F16 ? float_to_half(w.word_embeddings[i])
                                                            : float_to_bfloat16(w.word_embeddings[i]);
    }
    w.word_embeddings.resize(0);
  }
  const int64_t table_width = c.embedding_table_width();
  w.position_embeddings = r.tensor("embeddings.position_embeddings.weight", {c.max_position_embeddings, table_width});
  w.token_type_embeddings = r.tensor("embeddings.token_type_embeddings.weight", {c.type_vocab_size, table_width});
  w.embedding_norm = r.layer_norm("embeddings.LayerNorm", table_width);
  if (c.project_then_add) {
    w.embedding_projection = r.dense(kernels, "embeddings.projection", h, e);  // no bias
  } else {
    w.embedding_projection = r.dense(kernels, "encoder.embedding_hidden_mapping_in", h, e);
    w.embedding_projection_bias = r.tensor("encoder.embedding_hidden_mapping_in.bias", {h});
  }

  std::set<int> used_groups;
  for (int layer = 0; layer < c.num_hidden_layers; ++layer) used_groups.insert(c.group_for_layer(layer));
  w.groups.resize(size_t(c.num_hidden_groups));
  for (int g : used_groups) {
    for (int i = 0; i < c.inner_group_num; ++i) {
      std::string base = "encoder.albert_layer_groups." + std::to_string(g) + ".albert_layers." + std::to_string(i) + ".";
      w.groups[size_t(g)].push_back(load_layer(r, kernels, c, base));
    }
  }

  bool pooler_weight = r.has("pooler.weight");
  bool pooler_bias = r.has("pooler.bias");
  if (pooler_weight || pooler_bias) {
    w.has_pooler = true;
    w.pooler = r.dense(kernels, "pooler", h, h);
    w.pooler_bias = r.tensor("pooler.bias", {h});
  }
  return w;
}

}  // namespace albert
