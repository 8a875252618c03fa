#include "kernels/gemm.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "dtype.h"
#include "error.h"

namespace albert {

namespace {
// Cache blocking (BLIS order): the block's packed A slice (kRowBlock x kDepthBlock floats, about 400 KiB)
// stays in L2 while every weight panel streams past it once; each panel's depth slice (32 KiB for 16
// float32 columns) is fetched once and reused from L1/L2 by every row strip. One chunk of tokens (up to
// 192) is one row block, so the shared layer's weights are read once per chunk and layer pass.
constexpr int kRowBlock = 192;
constexpr int kDepthBlock = 512;
// Depths up to this run in one pass, with no reloads of C.
constexpr int kMaxSingleDepth = 1024;

// A's row block for one depth slice, copied to a thread's scratch: the kernel then reads 6 short streams
// that neither alias in L1 (the padded stride breaks 4 KiB strides like K = 3072's) nor leave L2.
struct PackedRows {
  const float* data;
  int ld;
};

int packed_ld(int kc) { return (kc + 15) / 16 * 16 + 16; }

// dst row r (ld apart) = a's row r, columns [k0, k0 + kc), for r in [row_begin, row_end).
void copy_rows(float* dst, int ld, const float* a, int lda, int64_t row_begin, int64_t row_end, int k0, int kc) {
  for (int64_t r = row_begin; r < row_end; ++r) {
    std::memcpy(dst + size_t(r) * ld, a + size_t(r) * lda + k0, sizeof(float) * size_t(kc));
  }
}

PackedRows pack_rows(const float* a, int lda, int rows, int k0, int kc) {
  thread_local AlignedBuffer<float> buffer;
  const int ld = packed_ld(kc);
  buffer.ensure(size_t(rows) * size_t(ld));
  copy_rows(buffer.data(), ld, a, lda, 0, rows, k0, kc);
  return {buffer.data(), ld};
}

// All of A's depth slices for one row block, packed once and read by every thread: when the columns are split,
// each piece would otherwise copy the same rows again (a 128-token FFN output GEMM: 1.5 MiB per piece).
// Slice d holds rows x ld floats at d * rows * ld.
const float* pack_all_slices(Executor& team, const float* a, int lda, int rows, int k, int depth) {
  thread_local AlignedBuffer<float> buffer;
  const int ld = packed_ld(depth);
  const int slices = (k + depth - 1) / depth;
  buffer.ensure(size_t(slices) * size_t(rows) * size_t(ld));
  float* dst = buffer.data();
  team.parallel_for(rows, [&](int64_t begin, int64_t end, int) {
    for (int d = 0; d < slices; ++d) {
      const int k0 = d * depth;
      copy_rows(dst + size_t(d) * size_t(rows) * ld, ld, a, lda, begin, end, k0, std::min(depth, k - k0));
    }
  });
  return dst;
}

inline void prefetch_rows(const float* p, int ld, int rows, int cols) {
#if defined(__GNUC__) || defined(__clang__)
  for (int r = 0; r < rows; ++r) {
    const float* row = p + size_t(r) * ld;
    __builtin_prefetch(row);
    __builtin_prefetch(row + cols - 1);
  }
#else
  (void)p, (void)ld, (void)rows, (void)cols;
#endif
}
}  // namespace

const char* weight_format_name(WeightFormat format) {
  switch (format) {
    case WeightFormat::F32: return "float32";
    case WeightFormat::F16: return "float16";
    case WeightFormat::BF16: return "bfloat16";
  }
  return "?";
}

WeightFormat parse_weight_format(const std::string& name) {
  for (WeightFormat format : {WeightFormat::F32, WeightFormat::F16, WeightFormat::BF16}) {
    if (name == weight_format_name(format)) return format;
  }
  fail(code::kInvalidInput, "dtype '" + name + "' is not one of float32, float16, bfloat16");
}

PackedWeight::PackedWeight(const KernelSet& kernels, const float* w, int n, int k, WeightFormat format)
    : n_(n), k_(k), nr_(kernels.nr), format_(format) {
  const int panels = (n + nr_ - 1) / nr_;
  const size_t total = size_t(panels) * size_t(k) * size_t(nr_);
  if (format == WeightFormat::F32) {
    f32_.resize(total, /*huge_pages=*/true);
  } else {
    h16_.resize(total, /*huge_pages=*/true);
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
  const int depth_blocks = k <= kMaxSingleDepth ? 1 : (k + kDepthBlock - 1) / kDepthBlock;
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

  const float* prepacked = split_columns && row_blocks == 1 ? pack_all_slices(team, a, lda, m, k, depth) : nullptr;
  const int prepacked_ld = packed_ld(depth);

  // With split columns no piece owns whole rows: the rows are normalized after all pieces finish.
  auto run_block = [&](int row_begin, int row_end, int panel_begin, int panel_end, bool owns_rows) {
    for (int rb = row_begin; rb < row_end; rb += kRowBlock) {
      const int rb_end = std::min(rb + kRowBlock, row_end);
      for (int k0 = 0; k0 < k; k0 += depth) {
        const int kc = std::min(depth, k - k0);
        const bool first = k0 == 0;
        const bool last = k0 + kc == k;
        const PackedRows packed =
            prepacked ? PackedRows{prepacked + size_t(k0 / depth) * size_t(m) * prepacked_ld, prepacked_ld}
                      : pack_rows(a + size_t(rb) * lda, lda, rb_end - rb, k0, kc);
        const size_t depth_offset = size_t(k0) * nr;
        // Rows are spread evenly over the strips (128 rows: 18 x 6 + 4 x 5, not 21 x 6 + 2): a thin tail
        // strip has too few accumulators to hide the FMA latency and would cost nearly a full strip. Full
        // strips come first: the first strip of a panel waits for its weights, so it should use them best.
        const int block_rows = rb_end - rb;
        const int strips = (block_rows + mr - 1) / mr;
        auto strip_begin = [&](int s) { return rb + int((int64_t(block_rows) * s + strips - 1) / strips); };
        for (int p = panel_begin; p < panel_end; ++p) {
          const int col = p * nr;
          const int cols = std::min(nr, n - col);
          for (int s = 0; s < strips; ++s) {
            const int r = strip_begin(s);
            const int rows = strip_begin(s + 1) - r;
            float* ctile = c + size_t(r) * ldc + col;
            // The next tile's partial sums (and residual) come from L2/L3: start loading them now.
            const bool same_panel = s + 1 < strips;
            const int next = same_panel ? strip_begin(s + 1) : rb;
            const int next_rows = same_panel ? strip_begin(s + 2) - next : strip_begin(1) - rb;
            const int next_col = same_panel ? col : col + nr;
            if (!first && next_col < n) prefetch_rows(c + size_t(next) * ldc + next_col, ldc, next_rows, nr);
            if (last && epilogue.residual && next_col < n) {
              prefetch_rows(epilogue.residual + size_t(next) * epilogue.ldr + next_col, epilogue.ldr, next_rows, nr);
            }
            TileEpilogue tile_epilogue{epilogue.bias ? epilogue.bias + col : nullptr,
                                       epilogue.residual ? epilogue.residual + size_t(r) * epilogue.ldr + col : nullptr,
                                       epilogue.ldr, epilogue.activation};
            const float* arows = packed.data + size_t(r - rb) * packed.ld;
            const TileEpilogue* epi = last ? &tile_epilogue : nullptr;
            // The last strip over a panel streams the weights visited next toward the cache, so the next
            // panel's first strip does not wait for memory (a 16-token GEMM chain runs 11-19 % faster; one
            // strip ahead is ample lead, and earlier would let A's stream evict them from L2 before use).
            size_t next_offset = SIZE_MAX;
            if (s + 1 == strips) {
              if (p + 1 < panel_end) {
                next_offset = w.panel_offset(p + 1) + depth_offset;
              } else if (!last) {
                next_offset = w.panel_offset(panel_begin) + depth_offset + size_t(kc) * nr;
              }
            }
            const bool prefetch = next_offset != SIZE_MAX;
            switch (w.format()) {
              case WeightFormat::F32:
                kernels.gemm_tile(kc, arows, packed.ld, w.panel(p) + depth_offset, ctile, ldc, rows, cols, !first, epi,
                                  prefetch ? w.f32_data() + next_offset : nullptr);
                break;
              case WeightFormat::F16:
                kernels.gemm_tile_f16(kc, arows, packed.ld, w.panel16(p) + depth_offset, ctile, ldc, rows, cols, !first,
                                      epi, prefetch ? w.h16_data() + next_offset : nullptr);
                break;
              case WeightFormat::BF16:
                kernels.gemm_tile_bf16(kc, arows, packed.ld, w.panel16(p) + depth_offset, ctile, ldc, rows, cols, !first,
                                       epi, prefetch ? w.h16_data() + next_offset : nullptr);
                break;
            }
          }
        }
      }
      // This block's rows are complete when this call owns every column.
      if (normalize && owns_rows) normalize_rows(rb, rb_end);
    }
  };

  if (split_columns) {
    team.parallel_for(panels, [&](int64_t begin, int64_t end, int) { run_block(0, m, int(begin), int(end), false); });
    if (normalize) team.parallel_for(m, [&](int64_t begin, int64_t end, int) { normalize_rows(int(begin), int(end)); });
  } else {
    team.parallel_for(row_blocks, [&](int64_t begin, int64_t end, int) {
      run_block(int(begin) * kRowBlock, std::min(m, int(end) * kRowBlock), 0, panels, true);
    });
  }
}

}  // namespace albert
