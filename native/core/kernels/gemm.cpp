#include "kernels/gemm.h"

#include <algorithm>

#include "dtype.h"

namespace albert {

namespace {
// Rows of A kept in L2 while the weight panels stream past them.
constexpr int kRowBlock = 96;
// Depth of one pass; deeper K is split so a row block and a weight panel slice stay cache-resident.
constexpr int kMaxDepth = 1024;
constexpr int kDepthBlock = 512;
}  // namespace

const char* weight_format_name(WeightFormat format) {
  switch (format) {
    case WeightFormat::F32: return "float32";
    case WeightFormat::F16: return "float16";
    case WeightFormat::BF16: return "bfloat16";
  }
  return "?";
}

PackedWeight::PackedWeight(const KernelSet& kernels, const float* w, int n, int k, WeightFormat format)
    : n_(n), k_(k), nr_(kernels.nr), format_(format) {
  const int panels = (n + nr_ - 1) / nr_;
  const size_t total = size_t(panels) * size_t(k) * size_t(nr_);
  if (format == WeightFormat::F32) {
    f32_.resize(total);
  } else {
    h16_.resize(total);
  }
  for (int p = 0; p < panels; ++p) {
    for (int kk = 0; kk < k; ++kk) {
      for (int j = 0; j < nr_; ++j) {
        int col = p * nr_ + j;
        float value = col < n ? w[size_t(col) * k + kk] : 0.0f;
        size_t at = panel_offset(p) + size_t(kk) * nr_ + j;
        switch (format) {
          case WeightFormat::F32: f32_[at] = value; break;
          case WeightFormat::F16: h16_[at] = float_to_half(value); break;
          case WeightFormat::BF16: h16_[at] = float_to_bfloat16(value); break;
        }
      }
    }
  }
}

void gemm(Executor& team, const KernelSet& kernels, int m, const float* a, int lda, const PackedWeight& w, float* c,
          int ldc, const GemmEpilogue& epilogue) {
  if (m <= 0) return;
  const int n = w.n();
  const int k = w.k();
  const int nr = kernels.nr;
  const int mr = kernels.mr;
  const int panels = (n + nr - 1) / nr;
  const int depth_blocks = k <= kMaxDepth ? 1 : (k + kDepthBlock - 1) / kDepthBlock;
  const int depth = (k + depth_blocks - 1) / depth_blocks;
  const int row_blocks = (m + kRowBlock - 1) / kRowBlock;

  // Split the output columns across threads when there are enough panels (each thread then touches only
  // its share of the weights); otherwise split the rows.
  const int threads = team.size();
  const bool split_columns = threads > 1 && (panels >= 2 * threads || row_blocks < threads);
  const bool normalize = epilogue.norm_gamma != nullptr;
  auto normalize_rows = [&](int row_begin, int row_end) {
    for (int r = row_begin; r < row_end; ++r) {
      float* row = c + size_t(r) * ldc;
      kernels.layer_norm(row, row, n, epilogue.norm_gamma, epilogue.norm_beta, epilogue.norm_eps);
    }
  };

  auto run_block = [&](int row_begin, int row_end, int panel_begin, int panel_end) {
    for (int rb = row_begin; rb < row_end; rb += kRowBlock) {
      int rb_end = std::min(rb + kRowBlock, row_end);
      for (int p = panel_begin; p < panel_end; ++p) {
        int col = p * nr;
        int cols = std::min(nr, n - col);
        // The panel's depth slice stays in L1 while every row strip of the block passes over it; the
        // block's tiles of this panel stay in L1/L2 between slices.
        for (int k0 = 0; k0 < k; k0 += depth) {
          int kc = std::min(depth, k - k0);
          bool first = k0 == 0;
          bool last = k0 + kc == k;
          const size_t depth_offset = size_t(k0) * nr;
          for (int r = rb; r < rb_end; r += mr) {
            int rows = std::min(mr, rb_end - r);
            float* ctile = c + size_t(r) * ldc + col;
            TileEpilogue tile_epilogue{epilogue.bias ? epilogue.bias + col : nullptr,
                                       epilogue.residual ? epilogue.residual + size_t(r) * epilogue.ldr + col : nullptr,
                                       epilogue.ldr, epilogue.activation};
            const float* arows = a + size_t(r) * lda + k0;
            const TileEpilogue* epi = last ? &tile_epilogue : nullptr;
            switch (w.format()) {
              case WeightFormat::F32:
                kernels.gemm_tile(kc, arows, lda, w.panel(p) + depth_offset, ctile, ldc, rows, cols, !first, epi);
                break;
              case WeightFormat::F16:
                kernels.gemm_tile_f16(kc, arows, lda, w.panel16(p) + depth_offset, ctile, ldc, rows, cols, !first, epi);
                break;
              case WeightFormat::BF16:
                kernels.gemm_tile_bf16(kc, arows, lda, w.panel16(p) + depth_offset, ctile, ldc, rows, cols, !first, epi);
                break;
            }
          }
        }
      }
      // This block's rows are complete when this call owns every column.
      if (normalize && panel_begin == 0 && panel_end == panels) normalize_rows(rb, rb_end);
    }
  };

  if (split_columns) {
    team.parallel_for(panels, [&](int64_t begin, int64_t end, int) { run_block(0, m, int(begin), int(end)); });
    if (normalize) team.parallel_for(m, [&](int64_t begin, int64_t end, int) { normalize_rows(int(begin), int(end)); });
  } else {
    team.parallel_for(row_blocks, [&](int64_t begin, int64_t end, int) {
      run_block(int(begin) * kRowBlock, std::min(m, int(end) * kRowBlock), 0, panels);
    });
  }
}

}  // namespace albert
