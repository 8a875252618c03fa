// The ALBERT encoder (Hugging Face AlbertModel semantics) over packed tokens: padded positions are never
// computed, the shared layer weights are packed once, and work runs on a Team from the global pool.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "io/json.h"
#include "kernels/kernel_set.h"
#include "model/albert_config.h"
#include "model/albert_weights.h"

namespace albert {

// A [batch][seq] integer input read in place from the caller's int32 or int64 buffer.
struct IndexView {
  const void* data = nullptr;
  bool is_int64 = false;

  bool present() const { return data != nullptr; }
  int64_t at(size_t i) const {
    return is_int64 ? static_cast<const int64_t*>(data)[i] : static_cast<const int32_t*>(data)[i];
  }
};

struct ForwardInputs {
  int batch = 0;
  int seq_len = 0;
  IndexView input_ids;       // required
  IndexView attention_mask;  // optional: all ones; values must be 0 or 1
  IndexView token_type_ids;  // optional: all zeros
  IndexView position_ids;    // optional: 0..seq_len-1 in every row
};

struct ForwardOutputs {
  float* last_hidden_state = nullptr;  // [batch][seq][H]; masked positions are written as zeros
  float* pooler_output = nullptr;      // [batch][H]; only for models with a pooler (may be null)
  std::vector<float*> hidden_states;   // empty, or num_hidden_layers + 1 buffers of [batch][seq][H]
};

struct LoadOptions {
  int threads = 0;             // 0: all cores
  std::string kernel = "auto"; // "auto" | "generic" | "avx2" | "avx512"
};

struct Workspace;

class AlbertModel {
 public:
  // Loads config.json and the safetensors weights of a Hugging Face model folder.
  static std::shared_ptr<AlbertModel> load_folder(const std::string& folder, const LoadOptions& options);
  AlbertModel(AlbertConfig config, JsonValue config_json, AlbertWeights weights, const KernelSet& kernels,
              int threads);
  ~AlbertModel();

  const AlbertConfig& config() const { return config_; }
  const JsonValue& config_json() const { return config_json_; }
  bool has_pooler() const { return weights_.has_pooler; }
  int threads() const { return threads_; }
  Isa isa() const { return kernels_.isa; }
  size_t weight_bytes() const { return weights_.bytes(); }

  // Checks every input (ids, types and positions in range, mask values 0/1, sequence length) and throws a
  // coded Error naming the first bad element. Called by forward; exposed so callers can fail fast.
  void validate(const ForwardInputs& inputs) const;

  // Thread-safe: concurrent calls share the weights and each use their own workspace.
  void forward(const ForwardInputs& inputs, const ForwardOutputs& outputs) const;

 private:
  std::unique_ptr<Workspace> take_workspace() const;
  void return_workspace(std::unique_ptr<Workspace> workspace) const;

  AlbertConfig config_;
  JsonValue config_json_;
  AlbertWeights weights_;
  const KernelSet& kernels_;
  int threads_;
  mutable std::mutex workspace_mutex_;
  mutable std::vector<std::unique_ptr<Workspace>> free_workspaces_;
};

}  // namespace albert
