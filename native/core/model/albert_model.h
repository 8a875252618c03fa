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
#include "model/albert_heads.h"
#include "model/albert_weights.h"
#include "model/model_cache.h"
#include "model/model_source.h"

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

// Two layouts. Padded: [batch][seq_len] arrays, padding marked by attention_mask. Packed (ragged): row
// b has row_lengths[b] tokens and the arrays hold all rows back to back (sum of row_lengths elements).
struct ForwardInputs {
  int batch = 0;
  int seq_len = 0;                       // padded layout only
  const int32_t* row_lengths = nullptr;  // set: packed layout (points at a copy the caller keeps stable)
  IndexView input_ids;       // required
  IndexView attention_mask;  // padded layout only; optional: all ones; values must be 0 or 1
  IndexView token_type_ids;  // optional: all zeros
  IndexView position_ids;    // optional: 0..length-1 in every row

  bool packed() const { return row_lengths != nullptr; }
  // Elements of each input array.
  size_t element_count() const;
};

struct ForwardOutputs {
  // Padded layout: [batch][seq][H], masked positions written as zeros. Packed: [tokens][H]. May be null
  // when only the pooler output is wanted.
  float* last_hidden_state = nullptr;
  float* pooler_output = nullptr;      // [batch][H]; only for models with a pooler (may be null)
  std::vector<float*> hidden_states;   // empty, or num_hidden_layers + 1 buffers shaped like last_hidden_state

  // Head outputs, each only for a model loaded with a task that has it (null: not computed). "Per token"
  // means [batch][seq] cells in the padded layout (masked cells hold zeros) and [tokens] when packed.
  float* prediction_logits = nullptr;  // MLM: per token (or per prediction_positions entry) x vocab_size
  // Where the MLM head runs: flat cell (padded) or token (packed) indices of real tokens; empty: everywhere.
  std::vector<int32_t> prediction_positions;
  float* sop_logits = nullptr;    // [batch][num_labels]
  float* logits = nullptr;        // sequence classification / multiple choice: [batch][num_labels];
                                  // token classification: per token x num_labels
  float* start_logits = nullptr;  // question answering: per token
  float* end_logits = nullptr;
};

struct LoadOptions {
  int threads = 0;              // 0: all cores
  std::string kernel = "auto";  // "auto" | "generic" | "avx2" | "avx512"
  std::string dtype = "float32";  // weight storage: "float32" | "float16" | "bfloat16"
  std::string task = "auto";      // "auto" (config.json architectures) or a task_name()
};

struct Workspace;
struct ChunkWorkspace;
struct TokenBatch;
struct Chunk;
class Executor;

class AlbertModel {
 public:
  // Loads a Hugging Face model folder (config.json + safetensors) or a TensorFlow checkpoint (folder,
  // prefix or .index file; Google's and brightmart's layouts).
  static std::shared_ptr<AlbertModel> load_folder(const std::string& path, const LoadOptions& options);
  // Loading the same files with the same dtype, kernel set and task again shares the weights already loaded
  // in this process (see model_cache.h); each model keeps its own thread count and scratch memory.
  AlbertModel(std::shared_ptr<const ModelData> data, int threads);
  ~AlbertModel();

  const AlbertConfig& config() const { return config_; }
  const JsonValue& config_json() const { return config_json_; }
  bool has_pooler() const { return weights_.has_pooler; }
  int threads() const { return threads_; }
  Isa isa() const { return kernels_.isa; }
  size_t weight_bytes() const { return weights_.bytes() + heads_.bytes(); }
  const AlbertHeads& heads() const { return heads_; }
  WeightFormat weight_format() const { return weights_.format; }
  const ModelSource& source() const { return source_; }
  // How many loaded models share these weights (this one included).
  long shared_by() const { return data_.use_count(); }
  // Writes the checkpoint's tensors under Hugging Face names (re-read from the source) as one safetensors file.
  void save_weights(const std::string& safetensors_path) const;

  // Checks every input (ids, types and positions in range, mask values 0/1, sequence length) and throws a
  // coded Error naming the first bad element. Called by forward; exposed so callers can fail fast.
  void validate(const ForwardInputs& inputs) const;
  // validate(inputs), then the request's prediction_positions (in range, on real tokens).
  void validate(const ForwardInputs& inputs, const ForwardOutputs& outputs) const;

  // Thread-safe: concurrent calls share the weights and each use their own workspace.
  void forward(const ForwardInputs& inputs, const ForwardOutputs& outputs) const;

 private:
  // The embedding output of one chunk into ws.hidden ([tokens][H]).
  void embed(Executor& exec, const TokenBatch& batch, const Chunk& chunk, ChunkWorkspace& ws) const;
  // dst = LayerNorm(src) row by row over H features (pre-LN layers).
  void normalize_rows(Executor& exec, int rows, const float* src, float* dst, const LayerNormWeights& norm) const;
  // Runs every layer over one chunk of whole sequences and writes its outputs.
  void run_chunk(Executor& exec, const TokenBatch& batch, const Chunk& chunk, ChunkWorkspace& ws,
                 const ForwardOutputs& out) const;
  void run_layer(Executor& exec, const TokenBatch& batch, const Chunk& chunk, ChunkWorkspace& ws,
                 const AlbertLayerWeights& lw) const;
  void write_states(Executor& exec, const TokenBatch& batch, const Chunk& chunk, const float* hidden,
                    float* dst) const;
  // The task head on a finished chunk: `ws.hidden` holds its final states.
  void run_heads(Executor& exec, const TokenBatch& batch, const Chunk& chunk, ChunkWorkspace& ws,
                 const ForwardOutputs& out) const;
  void run_mlm_head(Executor& exec, const TokenBatch& batch, const Chunk& chunk, ChunkWorkspace& ws,
                    const ForwardOutputs& out) const;
  std::unique_ptr<Workspace> take_workspace() const;
  void return_workspace(std::unique_ptr<Workspace> workspace) const;

  std::shared_ptr<const ModelData> data_;
  const AlbertConfig& config_;
  const JsonValue& config_json_;
  const AlbertWeights& weights_;
  const AlbertHeads& heads_;
  const KernelSet& kernels_;
  const ModelSource& source_;
  int threads_;
  mutable std::mutex workspace_mutex_;
  mutable std::vector<std::unique_ptr<Workspace>> free_workspaces_;
};

}  // namespace albert
