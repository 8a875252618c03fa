// ALBERT's weights in the engine's layout: embeddings as float tables, every dense layer packed once for
// the kernels (Q, K and V fused into one matrix), one entry per layer group and inner layer.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "io/safetensors.h"
#include "kernels/gemm.h"
#include "model/albert_config.h"

namespace albert {

struct LayerNormWeights {
  AlignedBuffer<float> gamma;
  AlignedBuffer<float> beta;
};

struct AlbertLayerWeights {
  PackedWeight qkv;  // [3H][H]: query, key, value stacked
  AlignedBuffer<float> qkv_bias;
  PackedWeight attention_output;
  AlignedBuffer<float> attention_output_bias;
  LayerNormWeights attention_norm;
  PackedWeight ffn;
  AlignedBuffer<float> ffn_bias;
  PackedWeight ffn_output;
  AlignedBuffer<float> ffn_output_bias;
  LayerNormWeights output_norm;
};

struct AlbertWeights {
  WeightFormat format = WeightFormat::F32;     // of the dense layers and the word embeddings
  AlignedBuffer<float> word_embeddings;        // [vocab][E] when format is F32
  AlignedBuffer<uint16_t> word_embeddings16;   // [vocab][E] in a 16-bit format otherwise
  AlignedBuffer<float> position_embeddings;    // [max_positions][embedding_table_width()]
  AlignedBuffer<float> token_type_embeddings;  // [type_vocab][embedding_table_width()]
  LayerNormWeights embedding_norm;
  PackedWeight embedding_projection;  // E -> H
  AlignedBuffer<float> embedding_projection_bias;  // empty for project_then_add (no bias)
  // groups[g][i]: inner layer i of group g; groups no layer step uses stay empty.
  std::vector<std::vector<AlbertLayerWeights>> groups;
  bool has_pooler = false;
  PackedWeight pooler;
  AlignedBuffer<float> pooler_bias;

  size_t bytes() const;
};

// Reads and packs every tensor the base model needs. Key prefix "albert." is detected; LayerNorm
// gamma/beta names are accepted for weight/bias. Errors name the tensor (ERR_ALBERT_MISSING_TENSOR,
// ERR_ALBERT_TENSOR_SHAPE, ERR_ALBERT_TENSOR_DTYPE).
// `format` chooses how dense layers and word embeddings are stored (biases and LayerNorms stay float32).
AlbertWeights load_albert_weights(const TensorStore& store, const AlbertConfig& config, const KernelSet& kernels,
                                  WeightFormat format = WeightFormat::F32);

// The reader the loader uses, exposed for heads: a float32 copy of `name` checked against `shape`.
AlignedBuffer<float> read_float_tensor(const TensorStore& store, const std::string& name,
                                       const std::vector<int64_t>& shape);
// `name`.weight as a packed dense layer ([out][in], a torch Linear weight) in `format`.
PackedWeight read_packed_weight(const TensorStore& store, const std::string& name, int64_t out, int64_t in,
                                const KernelSet& kernels, WeightFormat format);
// `name`.weight and `name`.bias of a LayerNorm over n features (legacy gamma/beta names accepted).
LayerNormWeights read_layer_norm(const TensorStore& store, const std::string& name, int64_t n);
// "albert." when the checkpoint stores the base model under that prefix, else "".
std::string detect_base_prefix(const TensorStore& store);

}  // namespace albert
