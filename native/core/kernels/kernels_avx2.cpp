// AVX2 + FMA kernels (x86-64 CPUs since Haswell / Zen). Compiled for that ISA with a target pragma,
// not a global -mavx2, so the rest of the addon still runs on any x86-64; chosen at run time.
#include "kernels/kernel_set.h"

#if defined(__x86_64__) || defined(_M_X64)

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

// Everything after this line is compiled for AVX2+FMA (headers above keep the baseline ISA).
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")
#endif

namespace albert {

namespace {

constexpr int kMr = 6;
constexpr int kNr = 16;

inline __m256i tail_mask(int count) {  // lanes [0, count) enabled, count in [0, 8]
  alignas(32) static const int32_t kTable[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kTable + 8 - count));
}

inline float hsum(__m256 v) {
  __m128 lo = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
  return _mm_cvtss_f32(lo);
}

inline float hmax(__m256 v) {
  __m128 lo = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  lo = _mm_max_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_max_ss(lo, _mm_movehdup_ps(lo));
  return _mm_cvtss_f32(lo);
}

// exp(x) for float32, ~1 ulp on [-87, 88] (Cephes-style reduction x = n ln2 + r and a degree-6 polynomial).
inline __m256 exp_ps(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-88.3762626647949f)), _mm256_set1_ps(88.3762626647949f));
  __m256 n = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f)));
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  __m256 r2 = _mm256_mul_ps(r, r);
  __m256 y = _mm256_add_ps(_mm256_fmadd_ps(p, r2, r), _mm256_set1_ps(1.0f));
  __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(bits));
}

// x / (1 + exp(-s x)): the logistic family (silu, quick_gelu, and gelu_new via 1 + tanh(u) = 2 sigmoid(2u)).
inline __m256 x_sigmoid_ps(__m256 x, __m256 arg) {
  __m256 e = exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), arg));
  return _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

// erfc(z) with relative error ~1e-7 (Chebyshev fit t*exp(-z^2 + P(t)), t = 1 / (1 + |z|/2)).
inline __m256 erfc_ps(__m256 z) {
  const __m256 sign_mask = _mm256_set1_ps(-0.0f);
  __m256 az = _mm256_andnot_ps(sign_mask, z);
  __m256 t = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(_mm256_set1_ps(0.5f), az, _mm256_set1_ps(1.0f)));
  __m256 p = _mm256_set1_ps(0.17087277f);
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.82215223f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.48851587f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.13520398f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.27886807f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.18628806f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.09678418f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.37409196f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.00002368f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.26551223f));
  __m256 e = _mm256_mul_ps(t, exp_ps(_mm256_fnmadd_ps(az, az, p)));
  __m256 negative = _mm256_cmp_ps(z, _mm256_setzero_ps(), _CMP_LT_OQ);
  return _mm256_blendv_ps(e, _mm256_sub_ps(_mm256_set1_ps(2.0f), e), negative);
}

inline __m256 tanh_ps(__m256 x) {
  // tanh(x) = 2 / (1 + exp(-2x)) - 1
  __m256 e = exp_ps(_mm256_mul_ps(x, _mm256_set1_ps(-2.0f)));
  __m256 s = _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
  return _mm256_sub_ps(s, _mm256_set1_ps(1.0f));
}

// True when activate_ps implements `a` in SIMD; the rest fall back to the scalar reference.
inline bool has_vector_activation(Activation a) {
  switch (a) {
    case Activation::Identity: case Activation::GeluErf: case Activation::GeluTanh: case Activation::QuickGelu:
    case Activation::Relu: case Activation::Silu: case Activation::Sigmoid: case Activation::Tanh:
      return true;
    default:
      return false;
  }
}

inline __m256 activate_ps(Activation a, __m256 x) {
  switch (a) {
    case Activation::GeluErf:
      // 0.5 x (1 + erf(x / sqrt 2)) = 0.5 x erfc(-x / sqrt 2), accurate for negative x too.
      return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x),
                           erfc_ps(_mm256_mul_ps(x, _mm256_set1_ps(-0.70710678118654752f))));
    case Activation::GeluTanh: {
      __m256 x3 = _mm256_mul_ps(_mm256_mul_ps(x, x), x);
      __m256 u = _mm256_mul_ps(_mm256_set1_ps(0.79788456080286536f), _mm256_fmadd_ps(_mm256_set1_ps(0.044715f), x3, x));
      return x_sigmoid_ps(x, _mm256_add_ps(u, u));
    }
    case Activation::QuickGelu: return x_sigmoid_ps(x, _mm256_mul_ps(x, _mm256_set1_ps(1.702f)));
    case Activation::Relu: return _mm256_max_ps(x, _mm256_setzero_ps());
    case Activation::Silu: return x_sigmoid_ps(x, x);
    case Activation::Sigmoid: return x_sigmoid_ps(_mm256_set1_ps(1.0f), x);
    case Activation::Tanh: return tanh_ps(x);
    default: return x;
  }
}

// One row of a finished tile: accumulate, epilogue in registers, one store. kFull: all 16 columns valid.
template <bool kFull>
inline void store_row(__m256 v0, __m256 v1, float* crow, __m256i m0, __m256i m1, bool accumulate,
                      const TileEpilogue* epilogue, __m256 bias0, __m256 bias1, const float* residual_row) {
  auto load = [&](const float* p, __m256i m) { return kFull ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, m); };
  if (accumulate) {
    v0 = _mm256_add_ps(v0, load(crow, m0));
    v1 = _mm256_add_ps(v1, load(crow + 8, m1));
  }
  if (epilogue) {
    v0 = _mm256_add_ps(v0, bias0);
    v1 = _mm256_add_ps(v1, bias1);
    if (residual_row) {
      v0 = _mm256_add_ps(v0, load(residual_row, m0));
      v1 = _mm256_add_ps(v1, load(residual_row + 8, m1));
    }
    v0 = activate_ps(epilogue->activation, v0);
    v1 = activate_ps(epilogue->activation, v1);
  }
  if (kFull) {
    _mm256_storeu_ps(crow, v0);
    _mm256_storeu_ps(crow + 8, v1);
  } else {
    _mm256_maskstore_ps(crow, m0, v0);
    _mm256_maskstore_ps(crow + 8, m1, v1);
  }
}

// How a panel row of 16 weights is loaded as two float32 vectors.
struct PanelF32 {
  using T = float;
  static __m256 lo(const float* b) { return _mm256_load_ps(b); }
  static __m256 hi(const float* b) { return _mm256_load_ps(b + 8); }
};
struct PanelF16 {  // F16C widening
  using T = uint16_t;
  static __m256 lo(const uint16_t* b) { return _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(b))); }
  static __m256 hi(const uint16_t* b) { return _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(b + 8))); }
};
struct PanelBF16 {  // bfloat16 is the top half of a float32
  using T = uint16_t;
  static __m256 widen(const uint16_t* b) {
    __m256i v = _mm256_cvtepu16_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(b)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
  }
  static __m256 lo(const uint16_t* b) { return widen(b); }
  static __m256 hi(const uint16_t* b) { return widen(b + 8); }
};

// A kRows x 16 tile: 2 * kRows accumulators, one broadcast of A per row and two loads of B per step.
template <int kRows, class Panel>
void gemm_tile_rows(int kc, const float* a, int lda, const typename Panel::T* b, float* c, int ldc, int cols,
                    bool accumulate, const TileEpilogue* epilogue, const typename Panel::T* next_panel) {
  // Without a next panel the stream stays on b's first row (already cached): no branch in the loop.
  const char* next = next_panel ? reinterpret_cast<const char*>(next_panel) : reinterpret_cast<const char*>(b);
  const size_t next_step = next_panel ? sizeof(typename Panel::T) * kNr : 0;
  __m256 acc[kRows][2];
  const float* arow[kRows];
#pragma GCC unroll 6
  for (int r = 0; r < kRows; ++r) {
    acc[r][0] = _mm256_setzero_ps();
    acc[r][1] = _mm256_setzero_ps();
    arow[r] = a + size_t(r) * lda;
  }
  for (int k = 0; k < kc; ++k) {
    // Later strips over a panel read it from L2 (a 768-deep panel is larger than L1): ask for the weights
    // 64 panel rows (4 KiB of float32) ahead, as the hardware prefetchers stop at each 4 KiB page.
    _mm_prefetch(reinterpret_cast<const char*>(b + 64 * kNr), _MM_HINT_T0);
    _mm_prefetch(next, _MM_HINT_T1);
    next += next_step;
    __m256 b0 = Panel::lo(b);
    __m256 b1 = Panel::hi(b);
    b += kNr;
#pragma GCC unroll 6
    for (int r = 0; r < kRows; ++r) {
      __m256 av = _mm256_broadcast_ss(arow[r] + k);
      acc[r][0] = _mm256_fmadd_ps(av, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(av, b1, acc[r][1]);
    }
  }
  // Activations without a SIMD form: store with bias/residual/activation left to the scalar epilogue.
  const TileEpilogue* in_register = epilogue && has_vector_activation(epilogue->activation) ? epilogue : nullptr;
  __m256i m0 = tail_mask(std::min(cols, 8));
  __m256i m1 = tail_mask(std::max(cols - 8, 0));
  __m256 bias0 = _mm256_setzero_ps(), bias1 = _mm256_setzero_ps();
  if (in_register && in_register->bias) {
    bias0 = _mm256_maskload_ps(in_register->bias, m0);
    bias1 = _mm256_maskload_ps(in_register->bias + 8, m1);
  }
  const bool full = cols == kNr;
#pragma GCC unroll 6
  for (int r = 0; r < kRows; ++r) {
    const float* residual_row =
        in_register && in_register->residual ? in_register->residual + size_t(r) * in_register->ldr : nullptr;
    float* crow = c + size_t(r) * ldc;
    if (full) {
      store_row<true>(acc[r][0], acc[r][1], crow, m0, m1, accumulate, in_register, bias0, bias1, residual_row);
    } else {
      store_row<false>(acc[r][0], acc[r][1], crow, m0, m1, accumulate, in_register, bias0, bias1, residual_row);
    }
  }
  if (epilogue && !in_register) apply_epilogue_scalar(c, ldc, kRows, cols, *epilogue);
}

template <class Panel>
void gemm_tile_any(int kc, const float* a, int lda, const typename Panel::T* b, float* c, int ldc, int rows, int cols,
                   bool accumulate, const TileEpilogue* epilogue, const typename Panel::T* next_panel) {
  switch (rows) {
    case 1: gemm_tile_rows<1, Panel>(kc, a, lda, b, c, ldc, cols, accumulate, epilogue, next_panel); break;
    case 2: gemm_tile_rows<2, Panel>(kc, a, lda, b, c, ldc, cols, accumulate, epilogue, next_panel); break;
    case 3: gemm_tile_rows<3, Panel>(kc, a, lda, b, c, ldc, cols, accumulate, epilogue, next_panel); break;
    case 4: gemm_tile_rows<4, Panel>(kc, a, lda, b, c, ldc, cols, accumulate, epilogue, next_panel); break;
    case 5: gemm_tile_rows<5, Panel>(kc, a, lda, b, c, ldc, cols, accumulate, epilogue, next_panel); break;
    default: gemm_tile_rows<6, Panel>(kc, a, lda, b, c, ldc, cols, accumulate, epilogue, next_panel); break;
  }
}

void gemm_tile(int kc, const float* a, int lda, const float* b, float* c, int ldc, int rows, int cols,
               bool accumulate, const TileEpilogue* epilogue, const float* next_panel) {
  gemm_tile_any<PanelF32>(kc, a, lda, b, c, ldc, rows, cols, accumulate, epilogue, next_panel);
}
void gemm_tile_f16(int kc, const float* a, int lda, const uint16_t* b, float* c, int ldc, int rows, int cols,
                   bool accumulate, const TileEpilogue* epilogue, const uint16_t* next_panel) {
  gemm_tile_any<PanelF16>(kc, a, lda, b, c, ldc, rows, cols, accumulate, epilogue, next_panel);
}
void gemm_tile_bf16(int kc, const float* a, int lda, const uint16_t* b, float* c, int ldc, int rows, int cols,
                    bool accumulate, const TileEpilogue* epilogue, const uint16_t* next_panel) {
  gemm_tile_any<PanelBF16>(kc, a, lda, b, c, ldc, rows, cols, accumulate, epilogue, next_panel);
}

void layer_norm(const float* x, float* y, int n, const float* gamma, const float* beta, float eps) {
  const int full = n & ~7;
  const __m256i tail = tail_mask(n - full);
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  int i = 0;
  for (; i + 16 <= full; i += 16) {
    s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + i));
    s1 = _mm256_add_ps(s1, _mm256_loadu_ps(x + i + 8));
  }
  for (; i < full; i += 8) s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + i));
  if (full < n) s1 = _mm256_add_ps(s1, _mm256_maskload_ps(x + full, tail));
  const float mean = hsum(_mm256_add_ps(s0, s1)) / float(n);
  const __m256 vmean = _mm256_set1_ps(mean);
  __m256 v0 = _mm256_setzero_ps(), v1 = _mm256_setzero_ps();
  for (i = 0; i < full; i += 8) {
    __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + i), vmean);
    v0 = _mm256_fmadd_ps(d, d, v0);
  }
  if (full < n) {
    __m256 d = _mm256_and_ps(_mm256_sub_ps(_mm256_maskload_ps(x + full, tail), vmean), _mm256_castsi256_ps(tail));
    v1 = _mm256_fmadd_ps(d, d, v1);
  }
  const float var = hsum(_mm256_add_ps(v0, v1)) / float(n);
  const __m256 inv = _mm256_set1_ps(1.0f / std::sqrt(var + eps));
  for (i = 0; i < full; i += 8) {
    __m256 d = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vmean), inv);
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(d, _mm256_loadu_ps(gamma + i), _mm256_loadu_ps(beta + i)));
  }
  if (full < n) {
    __m256 d = _mm256_mul_ps(_mm256_sub_ps(_mm256_maskload_ps(x + full, tail), vmean), inv);
    __m256 out = _mm256_fmadd_ps(d, _mm256_maskload_ps(gamma + full, tail), _mm256_maskload_ps(beta + full, tail));
    _mm256_maskstore_ps(y + full, tail, out);
  }
}

void softmax(float* x, int n, float scale) {
  const int full = n & ~7;
  const __m256i tail = tail_mask(n - full);
  const __m256 vscale = _mm256_set1_ps(scale);
  const __m256 lowest = _mm256_set1_ps(-INFINITY);
  __m256 vmax = lowest;
  for (int j = 0; j < full; j += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(x + j));
  // Masked-off lanes load as 0: blend them to -inf so they never win the max.
  if (full < n) vmax = _mm256_max_ps(vmax, _mm256_blendv_ps(lowest, _mm256_maskload_ps(x + full, tail), _mm256_castsi256_ps(tail)));
  // max(scale * x) = scale * max(x), as scale > 0.
  const __m256 max_score = _mm256_set1_ps(hmax(vmax) * scale);
  __m256 vsum = _mm256_setzero_ps();
  for (int j = 0; j < full; j += 8) {
    __m256 e = exp_ps(_mm256_fmsub_ps(_mm256_loadu_ps(x + j), vscale, max_score));
    _mm256_storeu_ps(x + j, e);
    vsum = _mm256_add_ps(vsum, e);
  }
  if (full < n) {
    __m256 e = exp_ps(_mm256_fmsub_ps(_mm256_maskload_ps(x + full, tail), vscale, max_score));
    e = _mm256_and_ps(e, _mm256_castsi256_ps(tail));
    _mm256_maskstore_ps(x + full, tail, e);
    vsum = _mm256_add_ps(vsum, e);
  }
  const __m256 inv = _mm256_set1_ps(1.0f / hsum(vsum));
  for (int j = 0; j < full; j += 8) _mm256_storeu_ps(x + j, _mm256_mul_ps(_mm256_loadu_ps(x + j), inv));
  if (full < n) _mm256_maskstore_ps(x + full, tail, _mm256_mul_ps(_mm256_maskload_ps(x + full, tail), inv));
}

void tanh_inplace(float* x, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, tanh_ps(_mm256_loadu_ps(x + i)));
  if (i < n) {
    __m256i m = tail_mask(n - i);
    _mm256_maskstore_ps(x + i, m, tanh_ps(_mm256_maskload_ps(x + i, m)));
  }
}

const KernelSet kAvx2 = {Isa::Avx2, kMr, kNr, gemm_tile, gemm_tile_f16, gemm_tile_bf16, layer_norm, softmax, tanh_inplace};

}  // namespace

const KernelSet* avx2_kernels() { return &kAvx2; }

}  // namespace albert

#if defined(__clang__)
#pragma clang attribute pop
#elif defined(__GNUC__)
#pragma GCC pop_options
#endif

#else  // not x86-64

namespace albert {
const KernelSet* avx2_kernels() { return nullptr; }
}  // namespace albert

#endif
