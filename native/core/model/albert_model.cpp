#include "model/albert_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "error.h"
#include "io/mapped_file.h"
#include "runtime/thread_pool.h"

namespace albert {

// Scratch memory of one forward pass, kept between calls so steady-state forwards do not allocate.
struct Workspace {
  AlignedBuffer<float> embeddings;    // [tokens][E]
  AlignedBuffer<float> hidden;        // [tokens][H]
  AlignedBuffer<float> qkv;           // [tokens][3H]
  AlignedBuffer<float> context;       // [tokens][H]
  AlignedBuffer<float> attention;     // [tokens][H]: LayerNorm(hidden + attention output)
  AlignedBuffer<float> intermediate;  // [tokens][intermediate]
  AlignedBuffer<float> attention_scratch;  // per thread
  AlignedBuffer<float> pooler_input;  // [batch][H]
  std::vector<int32_t> token_index;   // packed token -> b * seq_len + t
  std::vector<int32_t> row_start;     // per row: first packed token
  std::vector<int32_t> row_length;    // per row: packed tokens
  std::vector<int32_t> packed_of;     // b * seq_len + t -> packed token or -1
};

namespace {

std::string element_name(const char* input, int seq_len, size_t flat) {
  return std::string(input) + "[" + std::to_string(flat / size_t(seq_len)) + "][" + std::to_string(flat % size_t(seq_len)) + "]";
}

void layer_norm_rows(Team& team, const KernelSet& k, const float* x, float* y, int rows, int n,
                     const LayerNormWeights& ln, float eps) {
  team.parallel_for(rows, [&](int64_t begin, int64_t end, int) {
    for (int64_t r = begin; r < end; ++r) {
      k.layer_norm(x + size_t(r) * n, y + size_t(r) * n, n, ln.gamma.data(), ln.beta.data(), eps);
    }
  });
}

}  // namespace

std::shared_ptr<AlbertModel> AlbertModel::load_folder(const std::string& folder, const LoadOptions& options) {
  if (!directory_exists(folder)) fail(code::kFileNotFound, "model folder not found: " + folder);
  const std::string config_path = join_path(folder, "config.json");
  JsonValue json = parse_json(read_text_file(config_path, size_t(16) << 20), config_path);
  AlbertConfig config = parse_albert_config(json, config_path);
  const KernelSet& kernels = kernel_set(parse_isa(options.kernel));
  std::unique_ptr<TensorStore> store = TensorStore::open_folder(folder);
  AlbertWeights weights = load_albert_weights(*store, config, kernels);
  int threads = options.threads > 0 ? options.threads : ThreadPool::global().max_threads();
  return std::make_shared<AlbertModel>(std::move(config), std::move(json), std::move(weights), kernels, threads);
}

AlbertModel::AlbertModel(AlbertConfig config, JsonValue config_json, AlbertWeights weights, const KernelSet& kernels,
                         int threads)
    : config_(std::move(config)),
      config_json_(std::move(config_json)),
      weights_(std::move(weights)),
      kernels_(kernels),
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

void AlbertModel::validate(const ForwardInputs& in) const {
  if (in.batch < 0 || in.seq_len < 0) fail(code::kInvalidInput, "inputIds dims must be non-negative");
  if (!in.input_ids.present()) fail(code::kInvalidInput, "inputIds is required");
  const size_t count = size_t(in.batch) * size_t(in.seq_len);
  if (!in.position_ids.present() && in.seq_len > config_.max_position_embeddings) {
    fail(code::kSequenceTooLong, "sequence length " + std::to_string(in.seq_len) +
                                     " exceeds max_position_embeddings " +
                                     std::to_string(config_.max_position_embeddings));
  }
  for (size_t i = 0; i < count; ++i) {
    int64_t id = in.input_ids.at(i);
    if (id < 0 || id >= config_.vocab_size) {
      fail(code::kInputOutOfRange, element_name("inputIds", in.seq_len, i) + " = " + std::to_string(id) +
                                       " is outside the vocabulary [0, " + std::to_string(config_.vocab_size) + ")");
    }
  }
  if (in.attention_mask.present()) {
    for (size_t i = 0; i < count; ++i) {
      int64_t m = in.attention_mask.at(i);
      if (m != 0 && m != 1) {
        fail(code::kInputOutOfRange, element_name("attentionMask", in.seq_len, i) + " = " + std::to_string(m) +
                                         " must be 0 or 1");
      }
    }
  }
  if (in.token_type_ids.present()) {
    for (size_t i = 0; i < count; ++i) {
      int64_t t = in.token_type_ids.at(i);
      if (t < 0 || t >= config_.type_vocab_size) {
        fail(code::kInputOutOfRange, element_name("tokenTypeIds", in.seq_len, i) + " = " + std::to_string(t) +
                                         " is outside [0, " + std::to_string(config_.type_vocab_size) +
                                         ") (type_vocab_size)");
      }
    }
  }
  if (in.position_ids.present()) {
    for (size_t i = 0; i < count; ++i) {
      int64_t p = in.position_ids.at(i);
      if (p < 0 || p >= config_.max_position_embeddings) {
        fail(code::kSequenceTooLong, element_name("positionIds", in.seq_len, i) + " = " + std::to_string(p) +
                                         " is outside [0, " + std::to_string(config_.max_position_embeddings) +
                                         ") (max_position_embeddings)");
      }
    }
  }
}

void AlbertModel::forward(const ForwardInputs& in, const ForwardOutputs& out) const {
  validate(in);
  if (!out.hidden_states.empty() && out.hidden_states.size() != size_t(config_.num_hidden_layers) + 1) {
    fail(code::kInternal, "hidden_states needs num_hidden_layers + 1 buffers");
  }
  const int batch = in.batch;
  const int seq = in.seq_len;
  const int e = config_.embedding_size;
  const int h = config_.hidden_size;
  const int inter = config_.intermediate_size;
  const int heads = config_.num_attention_heads;
  const int head_dim = config_.head_dim();
  const float eps = float(config_.layer_norm_eps);
  const KernelSet& k = kernels_;

  struct WorkspaceReturn {
    const AlbertModel* model;
    std::unique_ptr<Workspace> ws;
    ~WorkspaceReturn() { model->return_workspace(std::move(ws)); }
  } holder{this, take_workspace()};
  Workspace& ws = *holder.ws;

  // Pack the attended tokens of every row contiguously; everything below runs on these only.
  const size_t cells = size_t(batch) * size_t(seq);
  ws.token_index.clear();
  ws.row_start.assign(size_t(batch), 0);
  ws.row_length.assign(size_t(batch), 0);
  ws.packed_of.assign(cells, -1);
  int max_length = 0;
  for (int b = 0; b < batch; ++b) {
    ws.row_start[size_t(b)] = int32_t(ws.token_index.size());
    for (int t = 0; t < seq; ++t) {
      size_t cell = size_t(b) * seq + t;
      if (in.attention_mask.present() && in.attention_mask.at(cell) == 0) continue;
      ws.packed_of[cell] = int32_t(ws.token_index.size());
      ws.token_index.push_back(int32_t(cell));
    }
    ws.row_length[size_t(b)] = int32_t(ws.token_index.size()) - ws.row_start[size_t(b)];
    max_length = std::max(max_length, ws.row_length[size_t(b)]);
  }
  const int tokens = int(ws.token_index.size());

  std::unique_ptr<Team> team = ThreadPool::global().acquire(threads_);

  auto scatter = [&](const float* packed, float* dst) {
    team->parallel_for(int64_t(cells), [&](int64_t begin, int64_t end, int) {
      for (int64_t cell = begin; cell < end; ++cell) {
        int32_t n = ws.packed_of[size_t(cell)];
        float* row = dst + size_t(cell) * h;
        if (n < 0) {
          std::memset(row, 0, sizeof(float) * size_t(h));
        } else {
          std::memcpy(row, packed + size_t(n) * h, sizeof(float) * size_t(h));
        }
      }
    });
  };

  if (tokens > 0) {
    ws.embeddings.ensure(size_t(tokens) * e);
    ws.hidden.ensure(size_t(tokens) * h);
    ws.qkv.ensure(size_t(tokens) * 3 * h);
    ws.context.ensure(size_t(tokens) * h);
    ws.attention.ensure(size_t(tokens) * h);
    ws.intermediate.ensure(size_t(tokens) * inter);
    const int64_t scratch_per_thread = (attention_scratch_floats(max_length, head_dim) + 15) / 16 * 16;
    ws.attention_scratch.ensure(size_t(scratch_per_thread) * team->size());

    // Embeddings: word + token type + position (transformers' order), then LayerNorm, at width E.
    team->parallel_for(tokens, [&](int64_t begin, int64_t end, int) {
      for (int64_t n = begin; n < end; ++n) {
        size_t cell = size_t(ws.token_index[size_t(n)]);
        int t = int(cell % size_t(seq));
        int64_t id = in.input_ids.at(cell);
        int64_t type = in.token_type_ids.present() ? in.token_type_ids.at(cell) : 0;
        int64_t pos = in.position_ids.present() ? in.position_ids.at(cell) : t;
        const float* word = weights_.word_embeddings.data() + size_t(id) * e;
        const float* type_row = weights_.token_type_embeddings.data() + size_t(type) * e;
        const float* pos_row = weights_.position_embeddings.data() + size_t(pos) * e;
        float* dst = ws.embeddings.data() + size_t(n) * e;
        for (int i = 0; i < e; ++i) dst[i] = (word[i] + type_row[i]) + pos_row[i];
        k.layer_norm(dst, dst, e, weights_.embedding_norm.gamma.data(), weights_.embedding_norm.beta.data(), eps);
      }
    });
    gemm(*team, k, tokens, ws.embeddings.data(), e, weights_.embedding_projection, ws.hidden.data(), h,
         {weights_.embedding_projection_bias.data(), nullptr, 0, Activation::Identity});
  }
  if (!out.hidden_states.empty()) scatter(ws.hidden.data(), out.hidden_states[0]);

  // Attention work items: (row, head, query chunk); rows are split when there are few items per thread.
  struct AttentionItem {
    int row, head, query_begin, query_end;
  };
  std::vector<AttentionItem> items;
  {
    int pairs = 0;
    for (int b = 0; b < batch; ++b) pairs += ws.row_length[size_t(b)] > 0 ? heads : 0;
    int chunks = pairs == 0 ? 1 : std::max(1, (2 * team->size() + pairs - 1) / pairs);
    for (int b = 0; b < batch; ++b) {
      int len = ws.row_length[size_t(b)];
      if (len == 0) continue;
      int per_chunk = (len + chunks - 1) / chunks;
      for (int head = 0; head < heads; ++head) {
        for (int q = 0; q < len; q += per_chunk) items.push_back({b, head, q, std::min(len, q + per_chunk)});
      }
    }
  }
  const float scale = 1.0f / std::sqrt(float(head_dim));
  const int64_t scratch_per_thread = tokens > 0 ? int64_t(ws.attention_scratch.size()) / team->size() : 0;

  for (int layer = 0; layer < config_.num_hidden_layers && tokens > 0; ++layer) {
    for (const AlbertLayerWeights& lw : weights_.groups[size_t(config_.group_for_layer(layer))]) {
      gemm(*team, k, tokens, ws.hidden.data(), h, lw.qkv, ws.qkv.data(), 3 * h,
           {lw.qkv_bias.data(), nullptr, 0, Activation::Identity});
      team->parallel_for(int64_t(items.size()), [&](int64_t begin, int64_t end, int thread) {
        float* scratch = ws.attention_scratch.data() + size_t(thread) * size_t(scratch_per_thread);
        for (int64_t i = begin; i < end; ++i) {
          const AttentionItem& item = items[size_t(i)];
          size_t start = size_t(ws.row_start[size_t(item.row)]);
          const float* q = ws.qkv.data() + start * 3 * h + size_t(item.head) * head_dim;
          AttentionArgs args;
          args.q = q;
          args.k = q + h;
          args.v = q + 2 * h;
          args.ld_qkv = 3 * h;
          args.out = ws.context.data() + start * h + size_t(item.head) * head_dim;
          args.ld_out = h;
          args.length = ws.row_length[size_t(item.row)];
          args.query_begin = item.query_begin;
          args.query_end = item.query_end;
          args.head_dim = head_dim;
          args.scale = scale;
          args.scratch = scratch;
          k.attention(args);
        }
      });
      gemm(*team, k, tokens, ws.context.data(), h, lw.attention_output, ws.attention.data(), h,
           {lw.attention_output_bias.data(), ws.hidden.data(), h, Activation::Identity});
      layer_norm_rows(*team, k, ws.attention.data(), ws.attention.data(), tokens, h, lw.attention_norm, eps);
      gemm(*team, k, tokens, ws.attention.data(), h, lw.ffn, ws.intermediate.data(), inter,
           {lw.ffn_bias.data(), nullptr, 0, config_.activation});
      gemm(*team, k, tokens, ws.intermediate.data(), inter, lw.ffn_output, ws.hidden.data(), h,
           {lw.ffn_output_bias.data(), ws.attention.data(), h, Activation::Identity});
      layer_norm_rows(*team, k, ws.hidden.data(), ws.hidden.data(), tokens, h, lw.output_norm, eps);
    }
    if (!out.hidden_states.empty()) scatter(ws.hidden.data(), out.hidden_states[size_t(layer) + 1]);
  }

  scatter(ws.hidden.data(), out.last_hidden_state);

  if (out.pooler_output && weights_.has_pooler && batch > 0) {
    // Pooler: dense + tanh on each row's first position (a zero state when that position is masked).
    ws.pooler_input.ensure(size_t(batch) * h);
    for (int b = 0; b < batch; ++b) {
      int32_t n = seq > 0 ? ws.packed_of[size_t(b) * seq] : -1;
      float* dst = ws.pooler_input.data() + size_t(b) * h;
      if (n >= 0) {
        std::memcpy(dst, ws.hidden.data() + size_t(n) * h, sizeof(float) * size_t(h));
      } else {
        std::memset(dst, 0, sizeof(float) * size_t(h));
      }
    }
    gemm(*team, k, batch, ws.pooler_input.data(), h, weights_.pooler, out.pooler_output, h,
         {weights_.pooler_bias.data(), nullptr, 0, Activation::Tanh});
  }
}

}  // namespace albert
