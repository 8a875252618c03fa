// Portable kernels: plain C++ the compiler may auto-vectorize for the baseline ISA. They define the
// reference behaviour the SIMD paths must reproduce, and run on any CPU (arm64 included).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "dtype.h"
#include "kernels/kernel_set.h"

namespace albert {

namespace {

constexpr int kMr = 4;
constexpr int kNr = 16;

struct LoadF32 {
  static float at(const float* b, size_t i) { return b[i]; }
};
struct LoadF16 {
  static float at(const uint16_t* b, size_t i) { return half_to_float(b[i]); }
};
struct LoadBF16 {
  static float at(const uint16_t* b, size_t i) { return bfloat16_to_float(b[i]); }
};

template <class Load, class T>
void gemm_tile_t(int kc, const float* a, int lda, const T* b, float* c, int ldc, int rows, int cols, bool accumulate,
                 const TileEpilogue* epilogue) {
  float acc[kMr][kNr] = {};
  for (int k = 0; k < kc; ++k) {
    float bk[kNr];
    for (int j = 0; j < kNr; ++j) bk[j] = Load::at(b, size_t(k) * kNr + size_t(j));
    for (int r = 0; r < rows; ++r) {
      float av = a[size_t(r) * lda + k];
      for (int j = 0; j < kNr; ++j) acc[r][j] += av * bk[j];
    }
  }
  for (int r = 0; r < rows; ++r) {
    float* crow = c + size_t(r) * ldc;
    for (int j = 0; j < cols; ++j) crow[j] = accumulate ? crow[j] + acc[r][j] : acc[r][j];
  }
  if (epilogue) apply_epilogue_scalar(c, ldc, rows, cols, *epilogue);
}

void gemm_tile(int kc, const float* a, int lda, const float* b, float* c, int ldc, int rows, int cols,
               bool accumulate, const TileEpilogue* epilogue, const float* /*next_panel: no prefetch in the portable path*/) {
  gemm_tile_t<LoadF32>(kc, a, lda, b, c, ldc, rows, cols, accumulate, epilogue);
}
void gemm_tile_f16(int kc, const float* a, int lda, const uint16_t* b, float* c, int ldc, int rows, int cols,
                   bool accumulate, const TileEpilogue* epilogue, const uint16_t* /*next_panel: no prefetch in the portable path*/) {
  gemm_tile_t<LoadF16>(kc, a, lda, b, c, ldc, rows, cols, accumulate, epilogue);
}
void gemm_tile_bf16(int kc, const float* a, int lda, const uint16_t* b, float* c, int ldc, int rows, int cols,
                    bool accumulate, const TileEpilogue* epilogue, const uint16_t* /*next_panel: no prefetch in the portable path*/) {
  gemm_tile_t<LoadBF16>(kc, a, lda, b, c, ldc, rows, cols, accumulate, epilogue);
}

void layer_norm(const float* x, float* y, int n, const float* gamma, const float* beta, float eps) {
  float mean = 0;
  for (int i = 0; i < n; ++i) mean += x[i];
  mean /= float(n);
  float var = 0;
  for (int i = 0; i < n; ++i) {
    float d = x[i] - mean;
    var += d * d;
  }
  var /= float(n);
  float inv = 1.0f / std::sqrt(var + eps);
  for (int i = 0; i < n; ++i) y[i] = (x[i] - mean) * inv * gamma[i] + beta[i];
}

void softmax(float* x, int n, float scale) {
  float max_score = -INFINITY;
  for (int j = 0; j < n; ++j) {
    x[j] *= scale;
    max_score = std::max(max_score, x[j]);
  }
  float sum = 0;
  for (int j = 0; j < n; ++j) {
    x[j] = std::exp(x[j] - max_score);
    sum += x[j];
  }
  const float inv = 1.0f / sum;
  for (int j = 0; j < n; ++j) x[j] *= inv;
}

void tanh_inplace(float* x, int n) {
  for (int i = 0; i < n; ++i) x[i] = std::tanh(x[i]);
}

const KernelSet kGeneric = {Isa::Generic, kMr, kNr, gemm_tile, gemm_tile_f16, gemm_tile_bf16, layer_norm, softmax, tanh_inplace};

}  // namespace

void apply_epilogue_scalar(float* c, int ldc, int rows, int cols, const TileEpilogue& e) {
  for (int r = 0; r < rows; ++r) {
    float* crow = c + size_t(r) * ldc;
    const float* rrow = e.residual ? e.residual + size_t(r) * e.ldr : nullptr;
    for (int j = 0; j < cols; ++j) {
      float v = crow[j];
      if (e.bias) v += e.bias[j];
      if (rrow) v += rrow[j];
      crow[j] = apply_activation(e.activation, v);
    }
  }
}

const KernelSet& generic_kernels() { return kGeneric; }

}  // namespace albert
