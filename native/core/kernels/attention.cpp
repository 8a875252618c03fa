#include "kernels/attention.h"

#include <algorithm>
#include <cstring>

namespace albert {

namespace {

int64_t round_up(int64_t value, int64_t multiple) { return (value + multiple - 1) / multiple * multiple; }

// Where the pieces of one call live in its scratch (offsets in floats, each 64-byte aligned; the keys first).
struct ScratchLayout {
  int key_panels;    // ceil(length / nr): K^T as weight panels [head_dim][nr]
  int value_panels;  // ceil(head_dim / nr): V as weight panels [length][nr]
  int scores_ld;     // key_panels * nr
  int64_t values;
  int64_t scores;    // mr rows of scores_ld
  int64_t total;
};

ScratchLayout layout_for(const KernelSet& kernels, int length, int head_dim) {
  ScratchLayout s;
  s.key_panels = int((length + kernels.nr - 1) / kernels.nr);
  s.value_panels = int((head_dim + kernels.nr - 1) / kernels.nr);
  s.scores_ld = s.key_panels * kernels.nr;
  s.values = round_up(int64_t(s.key_panels) * head_dim * kernels.nr, 16);
  s.scores = s.values + round_up(int64_t(s.value_panels) * length * kernels.nr, 16);
  s.total = s.scores + round_up(int64_t(kernels.mr) * s.scores_ld, 16);
  return s;
}

}  // namespace

int64_t attention_scratch_floats(const KernelSet& kernels, int length, int head_dim) {
  return layout_for(kernels, std::max(length, 1), head_dim).total;
}

void attention(const KernelSet& kernels, const AttentionArgs& p) {
  const int length = p.length;
  const int nr = kernels.nr;
  const int mr = kernels.mr;
  const ScratchLayout s = layout_for(kernels, length, p.head_dim);
  float* keys = p.scratch;
  float* values = p.scratch + s.values;
  float* scores = p.scratch + s.scores;

  // Pack K^T and V once per call into the panel layout the micro-tiles read (zeros past the sequence or
  // the head): every strip of query rows then reuses them from L1/L2, instead of re-reading each key and
  // value row of the QKV buffer (2304 floats apart, so they alias in L1) once per query row.
  for (int panel = 0; panel < s.key_panels; ++panel) {
    float* dst = keys + size_t(panel) * p.head_dim * nr;
    const int first = panel * nr;
    const int count = std::min(nr, length - first);
    if (count < nr) std::memset(dst, 0, sizeof(float) * size_t(p.head_dim) * nr);
    for (int j = 0; j < count; ++j) {
      const float* krow = p.k + size_t(first + j) * p.ld_qkv;
      for (int d = 0; d < p.head_dim; ++d) dst[size_t(d) * nr + j] = krow[d];
    }
  }
  for (int panel = 0; panel < s.value_panels; ++panel) {
    float* dst = values + size_t(panel) * length * nr;
    const int first = panel * nr;
    const int count = std::min(nr, p.head_dim - first);
    for (int j = 0; j < length; ++j) {
      float* row = dst + size_t(j) * nr;
      std::memcpy(row, p.v + size_t(j) * p.ld_qkv + first, sizeof(float) * size_t(count));
      if (count < nr) std::memset(row + count, 0, sizeof(float) * size_t(nr - count));
    }
  }

  for (int i = p.query_begin; i < p.query_end; i += mr) {
    const int rows = std::min(mr, p.query_end - i);
    const float* q = p.q + size_t(i) * p.ld_qkv;
    for (int panel = 0; panel < s.key_panels; ++panel) {
      kernels.gemm_tile(p.head_dim, q, p.ld_qkv, keys + size_t(panel) * p.head_dim * nr, scores + size_t(panel) * nr,
                        s.scores_ld, rows, std::min(nr, length - panel * nr), false, nullptr, nullptr);
    }
    for (int r = 0; r < rows; ++r) kernels.softmax(scores + size_t(r) * s.scores_ld, length, p.scale);
    float* out = p.out + size_t(i) * p.ld_out;
    for (int panel = 0; panel < s.value_panels; ++panel) {
      kernels.gemm_tile(length, scores, s.scores_ld, values + size_t(panel) * length * nr, out + size_t(panel) * nr,
                        p.ld_out, rows, std::min(nr, p.head_dim - panel * nr), false, nullptr, nullptr);
    }
  }
}

}  // namespace albert
