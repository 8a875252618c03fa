#include "model/token_batch.h"

#include <algorithm>

namespace albert {

void build_token_batch(const ForwardInputs& in, TokenBatch& batch) {
  batch.rows = in.batch;
  batch.packed = in.packed();
  batch.seq_len = in.packed() ? 0 : in.seq_len;
  batch.row_start.assign(size_t(in.batch), 0);
  batch.row_length.assign(size_t(in.batch), 0);
  batch.pooled_row.assign(size_t(in.batch), 0);
  batch.ids.clear();
  batch.types.clear();
  batch.positions.clear();
  batch.token_of_cell.clear();
  batch.output_row.clear();
  auto add_token = [&](size_t element, int position_in_row) {
    batch.output_row.push_back(int32_t(element));
    batch.ids.push_back(int32_t(in.input_ids.at(element)));
    batch.types.push_back(in.token_type_ids.present() ? int32_t(in.token_type_ids.at(element)) : 0);
    batch.positions.push_back(in.position_ids.present() ? int32_t(in.position_ids.at(element)) : position_in_row);
  };
  if (in.packed()) {
    size_t element = 0;
    for (int b = 0; b < in.batch; ++b) {
      batch.row_start[size_t(b)] = int32_t(element);
      int length = in.row_lengths[b];
      batch.row_length[size_t(b)] = length;
      batch.pooled_row[size_t(b)] = length > 0;
      for (int t = 0; t < length; ++t) add_token(element++, t);
    }
    return;
  }
  const size_t cells = size_t(in.batch) * size_t(in.seq_len);
  batch.token_of_cell.assign(cells, -1);
  for (int b = 0; b < in.batch; ++b) {
    batch.row_start[size_t(b)] = batch.tokens();
    for (int t = 0; t < in.seq_len; ++t) {
      size_t cell = size_t(b) * size_t(in.seq_len) + size_t(t);
      if (in.attention_mask.present() && in.attention_mask.at(cell) == 0) continue;  // any other value counts as 1
      if (t == 0) batch.pooled_row[size_t(b)] = 1;
      batch.token_of_cell[cell] = batch.tokens();
      add_token(cell, t);
    }
    batch.row_length[size_t(b)] = batch.tokens() - batch.row_start[size_t(b)];
  }
}

std::vector<Chunk> plan_chunks(const TokenBatch& batch, int budget) {
  std::vector<Chunk> chunks;
  Chunk current;
  for (int b = 0; b < batch.rows; ++b) {
    int length = batch.row_length[size_t(b)];
    if (current.row_end > current.row_begin && current.tokens() > 0 && current.tokens() + length > budget) {
      chunks.push_back(current);
      current = Chunk{b, b, current.token_end, current.token_end, 0};
    }
    current.row_end = b + 1;
    current.token_end += length;
    current.max_length = std::max(current.max_length, length);
  }
  if (current.row_end > current.row_begin) chunks.push_back(current);
  return chunks;
}

}  // namespace albert
