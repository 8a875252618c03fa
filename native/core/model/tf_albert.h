// ALBERT's original TensorFlow 1 releases, loaded directly: finds the checkpoint and its config in a folder
// or from a prefix, maps Google's layout (bert/encoder/transformer/group_G/inner_group_I/..., TF-Hub's
// module/ prefix included) and brightmart's albert_zh layout (bert/encoder/layer_shared/...,
// word_embeddings_2) onto the Hugging Face names the engine reads, and converts the config.
#pragma once

#include <memory>
#include <string>

#include "io/safetensors.h"

namespace albert {

struct TfAlbertCheckpoint {
  std::unique_ptr<TensorStore> store;  // model tensors under Hugging Face names, kernels transposed to [out, in]
  std::string config_text;             // the config as a Hugging Face config.json (plus this engine's layout fields)
  std::string config_path;             // the TensorFlow config it was made from
  std::string prefix;                  // the checkpoint prefix (PREFIX.index)
  std::string layout;                  // "google" or "brightmart"
  size_t skipped = 0;                  // variables not used: optimizer slots, global_step, anything else
};

// True when `path` is a TensorFlow checkpoint prefix, its .index file, or a folder that holds one (a
// `checkpoint` state file or a *.index file) and no Hugging Face config.json.
bool is_tf_checkpoint(const std::string& path);

// Opens the checkpoint at `path` (folder, prefix or .index file). Errors name the file, the variable or the
// config field: ERR_ALBERT_FILE_NOT_FOUND, ERR_ALBERT_INVALID_CHECKPOINT, ERR_ALBERT_MISSING_TENSOR (later, by
// the weight loader, naming the TensorFlow variable), ERR_ALBERT_UNSUPPORTED, ERR_ALBERT_INVALID_CONFIG.
TfAlbertCheckpoint open_tf_albert(const std::string& path);

}  // namespace albert
