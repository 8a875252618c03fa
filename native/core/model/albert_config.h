// AlbertConfig as Hugging Face defines it (configuration_albert.py), read from config.json.
#pragma once

#include <string>
#include <vector>

#include "io/json.h"
#include "model/activation.h"

namespace albert {

struct AlbertConfig {
  // Defaults are Hugging Face's AlbertConfig defaults (the xxlarge shape), used for absent fields.
  int vocab_size = 30000;
  int embedding_size = 128;
  int hidden_size = 4096;
  int num_hidden_layers = 12;
  int num_hidden_groups = 1;
  int num_attention_heads = 64;
  int intermediate_size = 16384;
  int inner_group_num = 1;
  std::string hidden_act = "gelu_new";
  Activation activation = Activation::GeluTanh;
  int max_position_embeddings = 512;
  int type_vocab_size = 2;
  double layer_norm_eps = 1e-12;
  double initializer_range = 0.02;
  double hidden_dropout_prob = 0.0;
  double attention_probs_dropout_prob = 0.0;
  double classifier_dropout_prob = 0.1;
  std::string position_embedding_type = "absolute";
  // Extensions for ALBERT variants transformers has no class for (albert_zh by brightmart), written into
  // config.json by this engine when it converts them:
  // "embedding_layout": "add_then_project" (transformers) adds word, position and token-type embeddings at
  // width E, normalizes, then projects to H; "project_then_add" projects the word embedding to H (no bias)
  // first, then adds H-wide position and token-type embeddings and normalizes at H. Its MLM head decodes
  // through the transposed projection.
  std::string embedding_layout = "add_then_project";
  bool project_then_add = false;
  // "ln_type": "postln" (transformers: LayerNorm after each residual add) or "preln" (LayerNorm before
  // attention and before the FFN, none after the last layer).
  std::string ln_type = "postln";
  bool pre_layer_norm = false;
  int pad_token_id = 0;
  int bos_token_id = 2;
  int eos_token_id = 3;

  int head_dim() const { return hidden_size / num_attention_heads; }
  // Width of the position / token-type tables and the embedding LayerNorm.
  int embedding_table_width() const { return project_then_add ? hidden_size : embedding_size; }
  // Which layer group runs at step `layer` (0-based), exactly as transformers' AlbertTransformer computes it:
  // int(layer / (num_hidden_layers / num_hidden_groups)) with Python float division.
  int group_for_layer(int layer) const;
};

// Validates types and ranges; errors name `source` and the field (ERR_ALBERT_INVALID_CONFIG,
// ERR_ALBERT_UNSUPPORTED for valid but unsupported values).
AlbertConfig parse_albert_config(const JsonValue& json, const std::string& source);

}  // namespace albert
