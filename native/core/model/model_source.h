// Opens whatever checkpoint a path names (a Hugging Face folder, or a TensorFlow checkpoint folder or
// prefix) as one TensorStore under Hugging Face names plus a Hugging Face style config, and records where it
// came from so the user can be told (and the model saved again as a Hugging Face folder).
#pragma once

#include <memory>
#include <string>

#include "io/json.h"
#include "io/safetensors.h"

namespace albert {

struct ModelSource {
  std::string format;      // "safetensors", "pytorch" (pytorch_model.bin) or "tensorflow"
  std::string layout;      // "huggingface", "google" or "brightmart"
  std::string path;        // the folder, prefix or .index file that was opened
  std::string checkpoint;  // model.safetensors / pytorch_model.bin (or its index.json), or the TensorFlow checkpoint prefix
  std::string config;      // the config file that was read
  size_t skipped_tensors = 0;  // TensorFlow: optimizer slots, global_step and other variables the model does not use
};

struct OpenedCheckpoint {
  std::unique_ptr<TensorStore> store;
  JsonValue config_json;
  std::string config_source;  // names the config in errors
  ModelSource source;
};

// A folder with config.json is read as Hugging Face's layout; otherwise a TensorFlow checkpoint is looked
// for. Errors: ERR_ALBERT_FILE_NOT_FOUND naming the path, and the readers' own errors.
OpenedCheckpoint open_checkpoint(const std::string& path);

}  // namespace albert
