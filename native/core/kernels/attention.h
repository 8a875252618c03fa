// Softmax attention of one (sequence, head) on the real tokens only, as small matrix products on the
// kernel set's GEMM micro-tiles: Q K^T for a strip of query rows, softmax per row, then P V.
#pragma once

#include <cstdint>

#include "kernels/kernel_set.h"

namespace albert {

struct AttentionArgs {
  const float* q;      // row i of the sequence at q + i * ld_qkv (head's columns already offset)
  const float* k;
  const float* v;
  int ld_qkv;          // row stride of q, k and v
  float* out;          // row i at out + i * ld_out
  int ld_out;
  int length;          // tokens in the sequence (all of them are valid keys)
  int query_begin;     // rows [query_begin, query_end) of the sequence are computed
  int query_end;
  int head_dim;
  float scale;         // 1 / sqrt(head_dim)
  float* scratch;      // attention_scratch_floats(kernels, length, head_dim) floats, 64-byte aligned
};

// Floats of scratch one attention call needs (per thread).
int64_t attention_scratch_floats(const KernelSet& kernels, int length, int head_dim);

void attention(const KernelSet& kernels, const AttentionArgs& args);

}  // namespace albert
