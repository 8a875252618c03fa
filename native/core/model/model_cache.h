// One copy of a model's weights per process: loading the same files with the same storage options again (from
// another worker_thread, or another fromPretrained call) shares the packed weights already in memory. Entries
// are weak: the weights are freed when the last model using them is disposed.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "io/json.h"
#include "kernels/kernel_set.h"
#include "model/albert_config.h"
#include "model/albert_heads.h"
#include "model/albert_weights.h"
#include "model/model_source.h"

namespace albert {

// Everything a loaded model reads and never changes: shared by every AlbertModel made from it.
struct ModelData {
  AlbertConfig config;
  JsonValue config_json;
  AlbertWeights weights;
  AlbertHeads heads;
  ModelSource source;
  const KernelSet* kernels = nullptr;
  std::string fingerprint;  // sizes and modification times of the files it was read from
};

// Sizes and modification times of the files behind `source`: a changed file means a stale cache entry.
std::string source_fingerprint(const ModelSource& source);

// The cached data for `key` when still alive and its files are unchanged; otherwise runs `load` (once, even when
// several threads ask at the same time: the others wait for it and share its result or its error).
std::shared_ptr<const ModelData> shared_model_data(const std::string& key,
                                                   const std::function<std::shared_ptr<const ModelData>()>& load);

}  // namespace albert
