// A forward request flattened to its real tokens: padded rows lose their padding, ragged rows are taken as
// they are. Everything downstream runs on these tokens only, in chunks of whole sequences.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "model/albert_model.h"

namespace albert {

struct TokenBatch {
  int rows = 0;
  int seq_len = 0;        // padded layout only
  bool packed = false;
  std::vector<int32_t> row_start;   // per row: its first token
  std::vector<int32_t> row_length;  // per row: its tokens
  std::vector<int32_t> ids;         // per token
  std::vector<int32_t> types;
  std::vector<int32_t> positions;
  std::vector<int32_t> token_of_cell;  // padded layout: b * seq_len + t -> token, or -1 for padding
  std::vector<int32_t> output_row;     // per token: its row in per-token outputs (padded: its cell; packed: itself)
  std::vector<uint8_t> pooled_row;     // per row: 1 when the pooler reads a real first token
  // Where the MLM head runs: (token, row of prediction_logits), sorted by token.
  std::vector<std::pair<int32_t, int32_t>> prediction_targets;

  int tokens() const { return int(ids.size()); }
};

// Whole sequences [row_begin, row_end), tokens [token_begin, token_end).
struct Chunk {
  int row_begin = 0;
  int row_end = 0;
  int token_begin = 0;
  int token_end = 0;
  int max_length = 0;

  int tokens() const { return token_end - token_begin; }
};

// Builds the batch from validated inputs.
void build_token_batch(const ForwardInputs& in, TokenBatch& batch);

// Groups consecutive rows into chunks of at most `budget` tokens (a longer row is a chunk of its own).
std::vector<Chunk> plan_chunks(const TokenBatch& batch, int budget);

}  // namespace albert
