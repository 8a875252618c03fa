// Dense layers: C = act(A * W^T + bias + residual), with W packed once at load time into the panel
// layout of the chosen kernel set. ALBERT's shared layer is packed once and reused by every layer pass.
#pragma once

#include <string>

#include "kernels/kernel_set.h"
#include "runtime/aligned_buffer.h"
#include "runtime/executor.h"

namespace albert {

// How packed weights are stored. 16-bit formats halve the memory (and the cache footprint of the shared
// layer); the kernels widen them to float32 as they load them, and compute in float32.
enum class WeightFormat { F32, F16, BF16 };

const char* weight_format_name(WeightFormat format);
// "float32", "float16" or "bfloat16"; anything else throws ERR_ALBERT_INVALID_INPUT naming the value.
WeightFormat parse_weight_format(const std::string& name);

class PackedWeight {
 public:
  PackedWeight() = default;
  // `w` is a torch Linear weight: [n][k] row-major (out_features x in_features).
  PackedWeight(const KernelSet& kernels, const float* w, int n, int k, WeightFormat format = WeightFormat::F32);

  int n() const { return n_; }
  int k() const { return k_; }
  int nr() const { return nr_; }
  WeightFormat format() const { return format_; }
  // Panel p holds columns [p*nr, p*nr+nr) as [k][nr], zero-padded past n.
  const float* panel(int p) const { return f32_.data() + panel_offset(p); }
  const uint16_t* panel16(int p) const { return h16_.data() + panel_offset(p); }
  // Element offset of panel p in the storage, and the storage itself (for prefetch addresses).
  size_t panel_offset(int p) const { return size_t(p) * size_t(k_) * size_t(nr_); }
  const float* f32_data() const { return f32_.data(); }
  const uint16_t* h16_data() const { return h16_.data(); }
  size_t bytes() const { return f32_.size() * sizeof(float) + h16_.size() * sizeof(uint16_t); }

 private:

  int n_ = 0;
  int k_ = 0;
  int nr_ = 0;
  WeightFormat format_ = WeightFormat::F32;
  AlignedBuffer<float> f32_;
  AlignedBuffer<uint16_t> h16_;
};

struct GemmEpilogue {
  const float* bias = nullptr;      // [n]
  const float* residual = nullptr;  // [m][ldr], added after the bias
  int ldr = 0;
  Activation activation = Activation::Identity;
  // Optional LayerNorm over each finished output row (after bias, residual and activation). It runs on a row
  // block as soon as all its columns are done, while the block is still in cache.
  const float* norm_gamma = nullptr;
  const float* norm_beta = nullptr;
  float norm_eps = 0;
};

// C[m][n] = act(A[m][k] * W^T + bias + residual). A rows are lda apart, C rows ldc apart. C must not alias
// A; it may alias the residual only when ldc == ldr.
void gemm(Executor& team, const KernelSet& kernels, int m, const float* a, int lda, const PackedWeight& w, float* c,
          int ldc, const GemmEpilogue& epilogue);

}  // namespace albert
