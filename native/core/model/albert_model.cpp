#include "model/albert_model.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "dtype.h"
#include "error.h"
#include "io/mapped_file.h"
#include "kernels/attention.h"
#include "model/token_batch.h"
#include "runtime/executor.h"
#include "runtime/thread_pool.h"

namespace albert {

// Scratch memory of one chunk, kept between calls so steady-state forwards do not allocate.
struct ChunkWorkspace {
  AlignedBuffer<float> embeddings;         // [tokens][E]
  AlignedBuffer<float> hidden;             // [tokens][H]
  AlignedBuffer<float> work;               // [tokens][max(3H, intermediate)]: Q|K|V, later the FFN activations
  AlignedBuffer<float> context;            // [tokens][H]
  AlignedBuffer<float> attention;          // [tokens][H]: LayerNorm(hidden + attention output)
  AlignedBuffer<float> attention_scratch;  // per executor thread
  int64_t scratch_per_thread = 0;
  AlignedBuffer<float> pooler_input;       // [rows][H]
  AlignedBuffer<float> pooled;             // [rows][H]: the pooler output, for the pooled heads
  AlignedBuffer<float> head_input;         // MLM: gathered final states [block][H]
  AlignedBuffer<float> head_mid;           // MLM: dense + activation + LayerNorm [block][E] (brightmart: [block][H])
  AlignedBuffer<float> head_projected;     // MLM, brightmart: head_mid projected back to [block][E]
  AlignedBuffer<float> head_out;           // token heads [tokens][labels]; MLM logits [block][vocab]
};

// Scratch of one forward pass: the flattened batch and one chunk workspace per thread.
struct Workspace {
  TokenBatch batch;
  std::vector<ChunkWorkspace> chunks;
};

namespace {

std::string element_name(const char* input, int seq_len, size_t flat) {
  return std::string(input) + "[" + std::to_string(flat / size_t(seq_len)) + "][" + std::to_string(flat % size_t(seq_len)) + "]";
}

}  // namespace

std::shared_ptr<AlbertModel> AlbertModel::load_folder(const std::string& path, const LoadOptions& options) {
  const KernelSet& kernels = kernel_set(parse_isa(options.kernel));
  const WeightFormat format = parse_weight_format(options.dtype);
  const std::string key = path + '\0' + isa_name(kernels.isa) + '\0' + weight_format_name(format) + '\0' + options.task;
  std::shared_ptr<const ModelData> data = shared_model_data(key, [&] {
    OpenedCheckpoint opened = open_checkpoint(path);
    auto loaded = std::make_shared<ModelData>();
    loaded->config = parse_albert_config(opened.config_json, opened.config_source);
    const Task task = resolve_task(options.task, opened.config_json, opened.config_source);
    loaded->weights = load_albert_weights(*opened.store, loaded->config, kernels, format);
    loaded->heads = load_albert_heads(*opened.store, loaded->config, opened.config_json, opened.config_source, kernels,
                                      format, task, loaded->weights.has_pooler);
    loaded->config_json = std::move(opened.config_json);
    loaded->source = std::move(opened.source);
    loaded->kernels = &kernels;
    loaded->fingerprint = source_fingerprint(loaded->source);
    return std::shared_ptr<const ModelData>(std::move(loaded));
  });
  int threads = options.threads > 0 ? options.threads : ThreadPool::global().max_threads();
  return std::make_shared<AlbertModel>(std::move(data), threads);
}

void AlbertModel::save_weights(const std::string& safetensors_path) const {
  OpenedCheckpoint opened = open_checkpoint(source_.path);
  write_safetensors(*opened.store, safetensors_path);
}

AlbertModel::AlbertModel(std::shared_ptr<const ModelData> data, int threads)
    : data_(std::move(data)),
      config_(data_->config),
      config_json_(data_->config_json),
      weights_(data_->weights),
      heads_(data_->heads),
      kernels_(*data_->kernels),
      source_(data_->source),
      threads_(std::clamp(threads, 1, ThreadPool::global().max_threads())) {}

AlbertModel::~AlbertModel() = default;

std::unique_ptr<Workspace> AlbertModel::take_workspace() const {
  std::lock_guard<std::mutex> lock(workspace_mutex_);
  if (free_workspaces_.empty()) return std::make_unique<Workspace>();
  std::unique_ptr<Workspace> ws = std::move(free_workspaces_.back());
  free_workspaces_.pop_back();
  return ws;
}

void AlbertModel::return_workspace(std::unique_ptr<Workspace> workspace) const {
  std::lock_guard<std::mutex> lock(workspace_mutex_);
  free_workspaces_.push_back(std::move(workspace));
}

size_t ForwardInputs::element_count() const {
  if (!packed()) return size_t(batch) * size_t(seq_len);
  size_t total = 0;
  for (int b = 0; b < batch; ++b) total += size_t(row_lengths[b] > 0 ? row_lengths[b] : 0);
  return total;
}

void AlbertModel::validate(const ForwardInputs& in) const {
  if (in.batch < 0 || in.seq_len < 0) fail(code::kInvalidInput, "inputIds dims must be non-negative");
  if (!in.input_ids.present()) fail(code::kInvalidInput, "inputIds is required");
  const int max_positions = config_.max_position_embeddings;
  // Names the element at flat index i: [row][position] in either layout.
  std::vector<size_t> packed_row_start;
  if (in.packed()) {
    if (in.attention_mask.present()) fail(code::kInvalidInput, "attentionMask cannot be combined with lengths");
    size_t start = 0;
    for (int b = 0; b < in.batch; ++b) {
      int length = in.row_lengths[b];
      if (length < 0) fail(code::kInvalidInput, "lengths[" + std::to_string(b) + "] = " + std::to_string(length) + " is negative");
      if (!in.position_ids.present() && length > max_positions) {
        fail(code::kSequenceTooLong, "sequence " + std::to_string(b) + " has " + std::to_string(length) +
                                         " tokens, more than max_position_embeddings " + std::to_string(max_positions));
      }
      packed_row_start.push_back(start);
      start += size_t(length);
    }
  } else if (!in.position_ids.present() && in.seq_len > max_positions) {
    fail(code::kSequenceTooLong, "sequence length " + std::to_string(in.seq_len) +
                                     " exceeds max_position_embeddings " + std::to_string(max_positions));
  }
  auto name = [&](const char* input, size_t i) {
    if (!in.packed()) return element_name(input, in.seq_len, i);
    size_t row = size_t(std::upper_bound(packed_row_start.begin(), packed_row_start.end(), i) - packed_row_start.begin()) - 1;
    return std::string(input) + "[" + std::to_string(row) + "][" + std::to_string(i - packed_row_start[row]) + "]";
  };
  const size_t count = in.element_count();
  for (size_t i = 0; i < count; ++i) {
    int64_t id = in.input_ids.at(i);
    if (id < 0 || id >= config_.vocab_size) {
      fail(code::kInputOutOfRange, name("inputIds", i) + " = " + std::to_string(id) +
                                       " is outside the vocabulary [0, " + std::to_string(config_.vocab_size) + ")");
    }
  }
  if (in.attention_mask.present()) {
    for (size_t i = 0; i < count; ++i) {
      int64_t m = in.attention_mask.at(i);
      if (m != 0 && m != 1) fail(code::kInputOutOfRange, name("attentionMask", i) + " = " + std::to_string(m) + " must be 0 or 1");
    }
  }
  if (in.token_type_ids.present()) {
    for (size_t i = 0; i < count; ++i) {
      int64_t t = in.token_type_ids.at(i);
      if (t < 0 || t >= config_.type_vocab_size) {
        fail(code::kInputOutOfRange, name("tokenTypeIds", i) + " = " + std::to_string(t) + " is outside [0, " +
                                         std::to_string(config_.type_vocab_size) + ") (type_vocab_size)");
      }
    }
  }
  if (in.position_ids.present()) {
    for (size_t i = 0; i < count; ++i) {
      int64_t p = in.position_ids.at(i);
      if (p < 0 || p >= max_positions) {
        fail(code::kSequenceTooLong, name("positionIds", i) + " = " + std::to_string(p) + " is outside [0, " +
                                         std::to_string(max_positions) + ") (max_position_embeddings)");
      }
    }
  }
}

void AlbertModel::validate(const ForwardInputs& in, const ForwardOutputs& out) const {
  validate(in);
  const size_t count = in.element_count();
  for (size_t i = 0; i < out.prediction_positions.size(); ++i) {
    const int32_t position = out.prediction_positions[i];
    const std::string name = "positions[" + std::to_string(i) + "] = " + std::to_string(position);
    if (position < 0 || size_t(position) >= count) {
      fail(code::kInputOutOfRange, name + " is outside the batch's " + std::to_string(count) + " positions");
    }
    if (in.attention_mask.present() && in.attention_mask.at(size_t(position)) == 0) {
      fail(code::kInputOutOfRange, name + " points at padding (attention mask 0)");
    }
  }
}

namespace {

// Tokens per chunk: small enough that a chunk's activations stay in cache next to the shared layer's
// weights, large enough that each weight panel is reused by many rows. ALBERT_NODE_CHUNK_TOKENS overrides.
int chunk_budget() {
  static const int budget = [] {
    const char* env = std::getenv("ALBERT_NODE_CHUNK_TOKENS");
    int value = env ? std::atoi(env) : 0;
    return value > 0 ? value : 192;
  }();
  return budget;
}

}  // namespace

void AlbertModel::write_states(Executor& exec, const TokenBatch& batch, const Chunk& chunk, const float* hidden,
                               float* dst) const {
  const int h = config_.hidden_size;
  if (batch.packed) {
    std::memcpy(dst + size_t(chunk.token_begin) * h, hidden, sizeof(float) * size_t(chunk.tokens()) * h);
    return;
  }
  // Padded layout: every cell of the chunk's rows, zeros where the mask hides the position.
  const int64_t first_cell = int64_t(chunk.row_begin) * batch.seq_len;
  const int64_t cells = int64_t(chunk.row_end - chunk.row_begin) * batch.seq_len;
  exec.parallel_for(cells, [&](int64_t begin, int64_t end, int) {
    for (int64_t c = first_cell + begin; c < first_cell + end; ++c) {
      int32_t token = batch.token_of_cell[size_t(c)];
      float* row = dst + size_t(c) * h;
      if (token < 0) {
        std::memset(row, 0, sizeof(float) * size_t(h));
      } else {
        std::memcpy(row, hidden + size_t(token - chunk.token_begin) * h, sizeof(float) * size_t(h));
      }
    }
  });
}

void AlbertModel::normalize_rows(Executor& exec, int rows, const float* src, float* dst, const LayerNormWeights& norm) const {
  const int h = config_.hidden_size;
  const float eps = float(config_.layer_norm_eps);
  exec.parallel_for(rows, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) {
      kernels_.layer_norm(src + size_t(i) * h, dst + size_t(i) * h, h, norm.gamma.data(), norm.beta.data(), eps);
    }
  });
}

void AlbertModel::run_layer(Executor& exec, const TokenBatch& batch, const Chunk& chunk, ChunkWorkspace& ws,
                            const AlbertLayerWeights& lw) const {
  const int n = chunk.tokens();
  const int h = config_.hidden_size;
  const int inter = config_.intermediate_size;
  const int heads = config_.num_attention_heads;
  const int head_dim = config_.head_dim();
  const float eps = float(config_.layer_norm_eps);
  const KernelSet& k = kernels_;
  float* qkv = ws.work.data();
  // Pre-LN (brightmart's preln): attention reads LayerNorm(x), kept in ws.attention until Q, K, V exist.
  const bool pre_ln = config_.pre_layer_norm;
  if (pre_ln) normalize_rows(exec, n, ws.hidden.data(), ws.attention.data(), lw.attention_norm);
  gemm(exec, k, n, pre_ln ? ws.attention.data() : ws.hidden.data(), h, lw.qkv, qkv, 3 * h,
       {lw.qkv_bias.data(), nullptr, 0, Activation::Identity});

  // Attention per (sequence, head); query rows are split when there are fewer pairs than threads need.
  const int rows = chunk.row_end - chunk.row_begin;
  const int pairs = rows * heads;
  const int splits = exec.size() > 1 ? std::max(1, (2 * exec.size() + pairs - 1) / std::max(pairs, 1)) : 1;
  const float scale = 1.0f / std::sqrt(float(head_dim));
  exec.parallel_for(int64_t(pairs) * splits, [&](int64_t begin, int64_t end, int thread) {
    float* scratch = ws.attention_scratch.data() + size_t(thread) * size_t(ws.scratch_per_thread);
    for (int64_t item = begin; item < end; ++item) {
      int pair = int(item / splits);
      int split = int(item % splits);
      int row = chunk.row_begin + pair / heads;
      int head = pair % heads;
      int length = batch.row_length[size_t(row)];
      if (length == 0) continue;
      int per_split = (length + splits - 1) / splits;
      int query_begin = std::min(length, split * per_split);
      int query_end = std::min(length, query_begin + per_split);
      if (query_begin >= query_end) continue;
      size_t start = size_t(batch.row_start[size_t(row)] - chunk.token_begin);
      const float* q = qkv + start * 3 * h + size_t(head) * head_dim;
      AttentionArgs args;
      args.q = q;
      args.k = q + h;
      args.v = q + 2 * h;
      args.ld_qkv = 3 * h;
      args.out = ws.context.data() + start * h + size_t(head) * head_dim;
      args.ld_out = h;
      args.length = length;
      args.query_begin = query_begin;
      args.query_end = query_end;
      args.head_dim = head_dim;
      args.scale = scale;
      args.scratch = scratch;
      attention(k, args);
    }
  });
  float* intermediate = ws.work.data();  // Q, K and V are no longer needed
  if (pre_ln) {
    // a = x + Attn(LN_att(x)); y = a + FFN(LN_out(a)); no LayerNorm after the residual adds.
    gemm(exec, k, n, ws.context.data(), h, lw.attention_output, ws.attention.data(), h,
         {lw.attention_output_bias.data(), ws.hidden.data(), h, Activation::Identity});
    normalize_rows(exec, n, ws.attention.data(), ws.context.data(), lw.output_norm);
    gemm(exec, k, n, ws.context.data(), h, lw.ffn, intermediate, inter, {lw.ffn_bias.data(), nullptr, 0, config_.activation});
    gemm(exec, k, n, intermediate, inter, lw.ffn_output, ws.hidden.data(), h,
         {lw.ffn_output_bias.data(), ws.attention.data(), h, Activation::Identity});
    return;
  }
  gemm(exec, k, n, ws.context.data(), h, lw.attention_output, ws.attention.data(), h,
       {lw.attention_output_bias.data(), ws.hidden.data(), h, Activation::Identity, lw.attention_norm.gamma.data(),
        lw.attention_norm.beta.data(), eps});
  gemm(exec, k, n, ws.attention.data(), h, lw.ffn, intermediate, inter, {lw.ffn_bias.data(), nullptr, 0, config_.activation});
  gemm(exec, k, n, intermediate, inter, lw.ffn_output, ws.hidden.data(), h,
       {lw.ffn_output_bias.data(), ws.attention.data(), h, Activation::Identity, lw.output_norm.gamma.data(),
        lw.output_norm.beta.data(), eps});
}

void AlbertModel::embed(Executor& exec, const TokenBatch& batch, const Chunk& chunk, ChunkWorkspace& ws) const {
  const int n = chunk.tokens();
  const int e = config_.embedding_size;
  const int h = config_.hidden_size;
  const int width = config_.embedding_table_width();
  const float eps = float(config_.layer_norm_eps);
  const KernelSet& k = kernels_;
  // dst = word embedding row of `id` (+ token type + position when those tables are E wide), as float32.
  auto word_row = [&](size_t token, float* dst, bool add_tables) {
    const size_t word_offset = size_t(batch.ids[token]) * e;
    const float* type_row = weights_.token_type_embeddings.data() + size_t(batch.types[token]) * width;
    const float* pos_row = weights_.position_embeddings.data() + size_t(batch.positions[token]) * width;
    switch (weights_.format) {
      case WeightFormat::F32: {
        const float* word = weights_.word_embeddings.data() + word_offset;
        if (add_tables) {
          for (int j = 0; j < e; ++j) dst[j] = (word[j] + type_row[j]) + pos_row[j];  // transformers' order
        } else {
          std::memcpy(dst, word, sizeof(float) * size_t(e));
        }
        break;
      }
      case WeightFormat::F16:
      case WeightFormat::BF16: {
        const uint16_t* word = weights_.word_embeddings16.data() + word_offset;
        const bool half = weights_.format == WeightFormat::F16;
        for (int j = 0; j < e; ++j) {
          const float w = half ? half_to_float(word[j]) : bfloat16_to_float(word[j]);
          dst[j] = add_tables ? (w + type_row[j]) + pos_row[j] : w;
        }
        break;
      }
    }
  };
  if (!config_.project_then_add) {
    // transformers: word + token type + position at width E, LayerNorm, then the E -> H projection.
    exec.parallel_for(n, [&](int64_t begin, int64_t end, int) {
      for (int64_t i = begin; i < end; ++i) {
        float* dst = ws.embeddings.data() + size_t(i) * e;
        word_row(size_t(chunk.token_begin + i), dst, true);
        k.layer_norm(dst, dst, e, weights_.embedding_norm.gamma.data(), weights_.embedding_norm.beta.data(), eps);
      }
    });
    gemm(exec, k, n, ws.embeddings.data(), e, weights_.embedding_projection, ws.hidden.data(), h,
         {weights_.embedding_projection_bias.data(), nullptr, 0, Activation::Identity});
    return;
  }
  // brightmart: project the word embedding to H first, then add the H-wide tables and normalize at H.
  exec.parallel_for(n, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) word_row(size_t(chunk.token_begin + i), ws.embeddings.data() + size_t(i) * e, false);
  });
  gemm(exec, k, n, ws.embeddings.data(), e, weights_.embedding_projection, ws.hidden.data(), h, {});
  exec.parallel_for(n, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) {
      const size_t token = size_t(chunk.token_begin + i);
      const float* type_row = weights_.token_type_embeddings.data() + size_t(batch.types[token]) * h;
      const float* pos_row = weights_.position_embeddings.data() + size_t(batch.positions[token]) * h;
      float* row = ws.hidden.data() + size_t(i) * h;
      for (int j = 0; j < h; ++j) row[j] = (row[j] + type_row[j]) + pos_row[j];
      k.layer_norm(row, row, h, weights_.embedding_norm.gamma.data(), weights_.embedding_norm.beta.data(), eps);
    }
  });
}

void AlbertModel::run_chunk(Executor& exec, const TokenBatch& batch, const Chunk& chunk, ChunkWorkspace& ws,
                            const ForwardOutputs& out) const {
  const int n = chunk.tokens();
  const int e = config_.embedding_size;
  const int h = config_.hidden_size;

  ws.embeddings.ensure(size_t(n) * e);
  ws.hidden.ensure(size_t(n) * h);
  ws.work.ensure(size_t(n) * size_t(std::max(3 * h, config_.intermediate_size)));
  ws.context.ensure(size_t(n) * h);
  ws.attention.ensure(size_t(n) * h);
  ws.scratch_per_thread = (attention_scratch_floats(kernels_, chunk.max_length, config_.head_dim()) + 15) / 16 * 16;
  ws.attention_scratch.ensure(size_t(ws.scratch_per_thread) * size_t(exec.size()));

  if (n > 0) embed(exec, batch, chunk, ws);
  if (!out.hidden_states.empty()) write_states(exec, batch, chunk, ws.hidden.data(), out.hidden_states[0]);
  for (int layer = 0; layer < config_.num_hidden_layers; ++layer) {
    if (n > 0) {
      for (const AlbertLayerWeights& lw : weights_.groups[size_t(config_.group_for_layer(layer))]) {
        run_layer(exec, batch, chunk, ws, lw);
      }
    }
    if (!out.hidden_states.empty()) write_states(exec, batch, chunk, ws.hidden.data(), out.hidden_states[size_t(layer) + 1]);
  }
  if (out.last_hidden_state) write_states(exec, batch, chunk, ws.hidden.data(), out.last_hidden_state);

  run_heads(exec, batch, chunk, ws, out);
}

void AlbertModel::run_heads(Executor& exec, const TokenBatch& batch, const Chunk& chunk, ChunkWorkspace& ws,
                            const ForwardOutputs& out) const {
  const int n = chunk.tokens();
  const int h = config_.hidden_size;
  const KernelSet& k = kernels_;
  const int rows = chunk.row_end - chunk.row_begin;
  const int labels = heads_.num_labels;
  float* pooled_logits = heads_.task == Task::PreTraining ? out.sop_logits : heads_.pooled_classifier() ? out.logits : nullptr;
  if ((out.pooler_output || pooled_logits) && weights_.has_pooler && rows > 0) {
    // Pooler: dense + tanh on each row's first position (a zero state when that position is padding).
    ws.pooler_input.ensure(size_t(rows) * h);
    for (int r = 0; r < rows; ++r) {
      int row = chunk.row_begin + r;
      float* dst = ws.pooler_input.data() + size_t(r) * h;
      if (batch.pooled_row[size_t(row)]) {
        std::memcpy(dst, ws.hidden.data() + size_t(batch.row_start[size_t(row)] - chunk.token_begin) * h, sizeof(float) * size_t(h));
      } else {
        std::memset(dst, 0, sizeof(float) * size_t(h));
      }
    }
    ws.pooled.ensure(size_t(rows) * h);
    gemm(exec, k, rows, ws.pooler_input.data(), h, weights_.pooler, ws.pooled.data(), h,
         {weights_.pooler_bias.data(), nullptr, 0, Activation::Tanh});
    if (out.pooler_output) {
      std::memcpy(out.pooler_output + size_t(chunk.row_begin) * h, ws.pooled.data(), sizeof(float) * size_t(rows) * h);
    }
    if (pooled_logits) {
      gemm(exec, k, rows, ws.pooled.data(), h, heads_.classifier.weight, pooled_logits + size_t(chunk.row_begin) * labels,
           labels, {heads_.classifier.bias.data(), nullptr, 0, Activation::Identity});
    }
  }
  if (heads_.token_classifier() && (out.logits || out.start_logits || out.end_logits)) {
    ws.head_out.ensure(size_t(std::max(n, 1)) * labels);
    gemm(exec, k, n, ws.hidden.data(), h, heads_.classifier.weight, ws.head_out.data(), labels,
         {heads_.classifier.bias.data(), nullptr, 0, Activation::Identity});
    // Scatter to each token's output row; masked cells of the padded layout get zeros.
    if (!batch.packed) {
      for (int64_t c = int64_t(chunk.row_begin) * batch.seq_len; c < int64_t(chunk.row_end) * batch.seq_len; ++c) {
        if (batch.token_of_cell[size_t(c)] >= 0) continue;
        if (out.logits) std::memset(out.logits + size_t(c) * labels, 0, sizeof(float) * size_t(labels));
        if (out.start_logits) out.start_logits[c] = 0;
        if (out.end_logits) out.end_logits[c] = 0;
      }
    }
    for (int i = 0; i < n; ++i) {
      const size_t row = size_t(batch.output_row[size_t(chunk.token_begin + i)]);
      const float* src = ws.head_out.data() + size_t(i) * labels;
      if (heads_.task == Task::QuestionAnswering) {
        if (out.start_logits) out.start_logits[row] = src[0];
        if (out.end_logits) out.end_logits[row] = src[1];
      } else if (out.logits) {
        std::memcpy(out.logits + row * labels, src, sizeof(float) * size_t(labels));
      }
    }
  }
  if (heads_.has_mlm() && out.prediction_logits) run_mlm_head(exec, batch, chunk, ws, out);
}

void AlbertModel::run_mlm_head(Executor& exec, const TokenBatch& batch, const Chunk& chunk, ChunkWorkspace& ws,
                               const ForwardOutputs& out) const {
  const int h = config_.hidden_size;
  const int e = config_.embedding_size;
  const int mid = heads_.mlm_dense.weight.n();  // E (transformers) or H (brightmart)
  const int vocab = config_.vocab_size;
  const KernelSet& k = kernels_;
  const auto& targets = batch.prediction_targets;
  auto by_token = [](const std::pair<int32_t, int32_t>& t, int32_t token) { return t.first < token; };
  size_t begin = size_t(std::lower_bound(targets.begin(), targets.end(), chunk.token_begin, by_token) - targets.begin());
  const size_t end = size_t(std::lower_bound(targets.begin(), targets.end(), chunk.token_end, by_token) - targets.begin());
  // Blocks of targets bound the logits scratch (64 x vocab floats) when rows must be scattered.
  constexpr size_t kBlock = 64;
  for (; begin < end; begin += kBlock) {
    const int count = int(std::min(kBlock, end - begin));
    ws.head_input.ensure(size_t(count) * h);
    ws.head_mid.ensure(size_t(count) * mid);
    for (int i = 0; i < count; ++i) {
      const size_t token = size_t(targets[begin + size_t(i)].first - chunk.token_begin);
      std::memcpy(ws.head_input.data() + size_t(i) * h, ws.hidden.data() + token * h, sizeof(float) * size_t(h));
    }
    // dense -> activation -> LayerNorm, as transformers' AlbertMLMHead.
    gemm(exec, k, count, ws.head_input.data(), h, heads_.mlm_dense.weight, ws.head_mid.data(), mid,
         {heads_.mlm_dense.bias.data(), nullptr, 0, config_.activation, heads_.mlm_norm.gamma.data(),
          heads_.mlm_norm.beta.data(), float(config_.layer_norm_eps)});
    const float* decoder_input = ws.head_mid.data();
    if (config_.project_then_add) {  // brightmart: back from H to E through the transposed embedding projection
      ws.head_projected.ensure(size_t(count) * e);
      gemm(exec, k, count, ws.head_mid.data(), mid, heads_.mlm_projection, ws.head_projected.data(), e, {});
      decoder_input = ws.head_projected.data();
    }
    bool consecutive = true;
    const int32_t first_row = targets[begin].second;
    for (int i = 1; i < count && consecutive; ++i) consecutive = targets[begin + size_t(i)].second == first_row + i;
    const GemmEpilogue decoder_epilogue{heads_.mlm_decoder.bias.data(), nullptr, 0, Activation::Identity};
    if (consecutive) {  // the usual case: write straight into the caller's rows
      gemm(exec, k, count, decoder_input, e, heads_.mlm_decoder.weight, out.prediction_logits + size_t(first_row) * vocab,
           vocab, decoder_epilogue);
      continue;
    }
    ws.head_out.ensure(size_t(count) * vocab);
    gemm(exec, k, count, decoder_input, e, heads_.mlm_decoder.weight, ws.head_out.data(), vocab, decoder_epilogue);
    for (int i = 0; i < count; ++i) {
      std::memcpy(out.prediction_logits + size_t(targets[begin + size_t(i)].second) * vocab,
                  ws.head_out.data() + size_t(i) * vocab, sizeof(float) * size_t(vocab));
    }
  }
}

namespace {

// The MLM head's (token, output row) pairs; without positions every token, and the logits rows of masked
// cells are zeroed here (the head never visits them).
void plan_predictions(const ForwardOutputs& out, TokenBatch& batch, int vocab) {
  auto& targets = batch.prediction_targets;
  targets.clear();
  if (!out.prediction_logits) return;
  if (out.prediction_positions.empty()) {
    for (int t = 0; t < batch.tokens(); ++t) targets.emplace_back(t, batch.output_row[size_t(t)]);
    for (size_t c = 0; c < batch.token_of_cell.size(); ++c) {
      if (batch.token_of_cell[c] < 0) std::memset(out.prediction_logits + c * size_t(vocab), 0, sizeof(float) * size_t(vocab));
    }
    return;
  }
  for (size_t i = 0; i < out.prediction_positions.size(); ++i) {
    const size_t position = size_t(out.prediction_positions[i]);
    const int32_t token = batch.packed ? int32_t(position) : batch.token_of_cell[position];
    if (token < 0) fail(code::kInputOutOfRange, "an input changed while forward() was running");
    targets.emplace_back(token, int32_t(i));
  }
  std::stable_sort(targets.begin(), targets.end());
}

}  // namespace

void AlbertModel::forward(const ForwardInputs& in, const ForwardOutputs& out) const {
  validate(in, out);
  if (!out.hidden_states.empty() && out.hidden_states.size() != size_t(config_.num_hidden_layers) + 1) {
    fail(code::kInternal, "hidden_states needs num_hidden_layers + 1 buffers");
  }
  struct WorkspaceReturn {
    const AlbertModel* model;
    std::unique_ptr<Workspace> ws;
    ~WorkspaceReturn() { model->return_workspace(std::move(ws)); }
  } holder{this, take_workspace()};
  Workspace& ws = *holder.ws;
  build_token_batch(in, ws.batch);
  const TokenBatch& batch = ws.batch;
  // The batch holds copies of the inputs. validate() named any bad element already; this recheck of the
  // copies only matters if the caller changed its arrays after validation, and keeps every table lookup in range.
  for (int i = 0; i < batch.tokens(); ++i) {
    if (uint32_t(batch.ids[size_t(i)]) >= uint32_t(config_.vocab_size) ||
        uint32_t(batch.types[size_t(i)]) >= uint32_t(config_.type_vocab_size) ||
        uint32_t(batch.positions[size_t(i)]) >= uint32_t(config_.max_position_embeddings)) {
      fail(code::kInputOutOfRange, "an input changed while forward() was running");
    }
  }
  plan_predictions(out, ws.batch, config_.vocab_size);
  std::vector<Chunk> chunks = plan_chunks(batch, chunk_budget());
  if (chunks.empty()) return;

  std::unique_ptr<Team> team = ThreadPool::global().acquire(threads_);
  const int threads = team->size();
  ws.chunks.resize(size_t(threads));

  // With at least one chunk per thread, each thread runs whole chunks through all layers on its own (no
  // synchronisation; its activations stay in its caches). Largest chunks go first to balance the threads;
  // the few left over run on all threads together.
  std::vector<int> order(chunks.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = int(i);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return chunks[size_t(a)].tokens() > chunks[size_t(b)].tokens(); });
  const size_t solo_chunks = threads > 1 ? order.size() / size_t(threads) * size_t(threads) : 0;
  team->for_each(int64_t(solo_chunks), [&](int64_t i, int thread) {
    SerialExecutor solo;
    run_chunk(solo, batch, chunks[size_t(order[size_t(i)])], ws.chunks[size_t(thread)], out);
  });
  for (size_t i = solo_chunks; i < order.size(); ++i) run_chunk(*team, batch, chunks[size_t(order[i])], ws.chunks[0], out);
}

}  // namespace albert
