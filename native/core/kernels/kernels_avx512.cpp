// AVX-512 (F+BW+DQ+VL) kernels: the AVX2 algorithms with 16-wide vectors and mask registers for tails.
// Compiled for that ISA with a target pragma and chosen at run time only on CPUs that have it.
#include "kernels/kernel_set.h"

#if defined(__x86_64__) || defined(_M_X64)

// GCC 12's own AVX-512 headers trip -Wuninitialized (_mm512_undefined_ps self-initializes); not our code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c"))), \
                             apply_to = function)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c")
#endif

namespace albert {

namespace {

constexpr int kMr = 12;
constexpr int kNr = 32;

inline __mmask16 tail_mask(int count) {  // lanes [0, count) enabled, count in [0, 16]
  return __mmask16((uint32_t(1) << count) - 1);
}

inline __m512 exp_ps(__m512 x) {
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-88.3762626647949f)), _mm512_set1_ps(88.3762626647949f));
  __m512 n = _mm512_roundscale_ps(_mm512_fmadd_ps(x, _mm512_set1_ps(1.44269504088896341f), _mm512_set1_ps(0.5f)),
                                  _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  __m512 r2 = _mm512_mul_ps(r, r);
  __m512 y = _mm512_add_ps(_mm512_fmadd_ps(p, r2, r), _mm512_set1_ps(1.0f));
  __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvttps_epi32(n), _mm512_set1_epi32(127)), 23);
  return _mm512_mul_ps(y, _mm512_castsi512_ps(bits));
}

inline __m512 x_sigmoid_ps(__m512 x, __m512 arg) {
  __m512 e = exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), arg));
  return _mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
}

inline __m512 erfc_ps(__m512 z) {
  __m512 az = _mm512_abs_ps(z);
  __m512 t = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_fmadd_ps(_mm512_set1_ps(0.5f), az, _mm512_set1_ps(1.0f)));
  __m512 p = _mm512_set1_ps(0.17087277f);
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.82215223f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.48851587f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.13520398f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.27886807f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.18628806f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.09678418f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.37409196f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.00002368f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.26551223f));
  __m512 e = _mm512_mul_ps(t, exp_ps(_mm512_fnmadd_ps(az, az, p)));
  __mmask16 negative = _mm512_cmp_ps_mask(z, _mm512_setzero_ps(), _CMP_LT_OQ);
  return _mm512_mask_blend_ps(negative, e, _mm512_sub_ps(_mm512_set1_ps(2.0f), e));
}

inline __m512 tanh_ps(__m512 x) {
  __m512 e = exp_ps(_mm512_mul_ps(x, _mm512_set1_ps(-2.0f)));
  __m512 s = _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(_mm512_set1_ps(1.0f), e));
  return _mm512_sub_ps(s, _mm512_set1_ps(1.0f));
}

inline bool has_vector_activation(Activation a) {
  switch (a) {
    case Activation::Identity: case Activation::GeluErf: case Activation::GeluTanh: case Activation::QuickGelu:
    case Activation::Relu: case Activation::Silu: case Activation::Sigmoid: case Activation::Tanh:
      return true;
    default:
      return false;
  }
}

inline __m512 activate_ps(Activation a, __m512 x) {
  switch (a) {
    case Activation::GeluErf:
      return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), x),
                           erfc_ps(_mm512_mul_ps(x, _mm512_set1_ps(-0.70710678118654752f))));
    case Activation::GeluTanh: {
      __m512 x3 = _mm512_mul_ps(_mm512_mul_ps(x, x), x);
      __m512 u = _mm512_mul_ps(_mm512_set1_ps(0.79788456080286536f), _mm512_fmadd_ps(_mm512_set1_ps(0.044715f), x3, x));
      return x_sigmoid_ps(x, _mm512_add_ps(u, u));
    }
    case Activation::QuickGelu: return x_sigmoid_ps(x, _mm512_mul_ps(x, _mm512_set1_ps(1.702f)));
    case Activation::Relu: return _mm512_max_ps(x, _mm512_setzero_ps());
    case Activation::Silu: return x_sigmoid_ps(x, x);
    case Activation::Sigmoid: return x_sigmoid_ps(_mm512_set1_ps(1.0f), x);
    case Activation::Tanh: return tanh_ps(x);
    default: return x;
  }
}

struct PanelF32 {
  using T = float;
  static __m512 lo(const float* b) { return _mm512_load_ps(b); }
  static __m512 hi(const float* b) { return _mm512_load_ps(b + 16); }
};
struct PanelF16 {
  using T = uint16_t;
  static __m512 lo(const uint16_t* b) { return _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(b))); }
  static __m512 hi(const uint16_t* b) { return _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(b + 16))); }
};
struct PanelBF16 {
  using T = uint16_t;
  static __m512 widen(const uint16_t* b) {
    __m512i v = _mm512_cvtepu16_epi32(_mm256_load_si256(reinterpret_cast<const __m256i*>(b)));
    return _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));
  }
  static __m512 lo(const uint16_t* b) { return widen(b); }
  static __m512 hi(const uint16_t* b) { return widen(b + 16); }
};

template <int kRows, class Panel>
void gemm_tile_rows(int kc, const float* a, int lda, const typename Panel::T* b, float* c, int ldc, int cols,
                    bool accumulate, const TileEpilogue* epilogue, const typename Panel::T* next_panel) {
  // Without a next panel the stream stays on b's first row (already cached): no branch in the loop.
  const char* next = next_panel ? reinterpret_cast<const char*>(next_panel) : reinterpret_cast<const char*>(b);
  const size_t next_step = next_panel ? sizeof(typename Panel::T) * kNr : 0;
  __m512 acc[kRows][2];
  const float* arow[kRows];
#pragma GCC unroll 12
  for (int r = 0; r < kRows; ++r) {
    acc[r][0] = _mm512_setzero_ps();
    acc[r][1] = _mm512_setzero_ps();
    arow[r] = a + size_t(r) * lda;
  }
  for (int k = 0; k < kc; ++k) {
    // Later strips over a panel read it from L2: ask for the weights 32 panel rows (4 KiB of float32) ahead,
    // as the hardware prefetchers stop at each 4 KiB page. A float32 panel row is two cache lines.
    const char* ahead = reinterpret_cast<const char*>(b + 32 * kNr);
    _mm_prefetch(ahead, _MM_HINT_T0);
    _mm_prefetch(ahead + 64, _MM_HINT_T0);
    _mm_prefetch(next, _MM_HINT_T1);
    _mm_prefetch(next + 64, _MM_HINT_T1);  // a float32 row is two lines (for 16-bit rows: the next row)
    next += next_step;
    __m512 b0 = Panel::lo(b);
    __m512 b1 = Panel::hi(b);
    b += kNr;
#pragma GCC unroll 12
    for (int r = 0; r < kRows; ++r) {
      __m512 av = _mm512_set1_ps(arow[r][k]);
      acc[r][0] = _mm512_fmadd_ps(av, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(av, b1, acc[r][1]);
    }
  }
  const TileEpilogue* in_register = epilogue && has_vector_activation(epilogue->activation) ? epilogue : nullptr;
  const __mmask16 m0 = tail_mask(std::min(cols, 16));
  const __mmask16 m1 = tail_mask(std::max(cols - 16, 0));
  __m512 bias0 = _mm512_setzero_ps(), bias1 = _mm512_setzero_ps();
  if (in_register && in_register->bias) {
    bias0 = _mm512_maskz_loadu_ps(m0, in_register->bias);
    bias1 = _mm512_maskz_loadu_ps(m1, in_register->bias + 16);
  }
#pragma GCC unroll 12
  for (int r = 0; r < kRows; ++r) {
    float* crow = c + size_t(r) * ldc;
    __m512 v0 = acc[r][0], v1 = acc[r][1];
    if (accumulate) {
      v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, crow));
      v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, crow + 16));
    }
    if (in_register) {
      v0 = _mm512_add_ps(v0, bias0);
      v1 = _mm512_add_ps(v1, bias1);
      if (in_register->residual) {
        const float* rrow = in_register->residual + size_t(r) * in_register->ldr;
        v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, rrow));
        v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, rrow + 16));
      }
      v0 = activate_ps(in_register->activation, v0);
      v1 = activate_ps(in_register->activation, v1);
    }
    _mm512_mask_storeu_ps(crow, m0, v0);
    _mm512_mask_storeu_ps(crow + 16, m1, v1);
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
    case 6: gemm_tile_rows<6, Panel>(kc, a, lda, b, c, ldc, cols, accumulate, epilogue, next_panel); break;
    case 7: gemm_tile_rows<7, Panel>(kc, a, lda, b, c, ldc, cols, accumulate, epilogue, next_panel); break;
    case 8: gemm_tile_rows<8, Panel>(kc, a, lda, b, c, ldc, cols, accumulate, epilogue, next_panel); break;
    case 9: gemm_tile_rows<9, Panel>(kc, a, lda, b, c, ldc, cols, accumulate, epilogue, next_panel); break;
    case 10: gemm_tile_rows<10, Panel>(kc, a, lda, b, c, ldc, cols, accumulate, epilogue, next_panel); break;
    case 11: gemm_tile_rows<11, Panel>(kc, a, lda, b, c, ldc, cols, accumulate, epilogue, next_panel); break;
    default: gemm_tile_rows<12, Panel>(kc, a, lda, b, c, ldc, cols, accumulate, epilogue, next_panel); break;
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
  __m512 s = _mm512_setzero_ps();
  for (int i = 0; i < n; i += 16) s = _mm512_add_ps(s, _mm512_maskz_loadu_ps(tail_mask(std::min(16, n - i)), x + i));
  float mean = _mm512_reduce_add_ps(s) / float(n);
  __m512 vmean = _mm512_set1_ps(mean);
  __m512 v = _mm512_setzero_ps();
  for (int i = 0; i < n; i += 16) {
    __mmask16 m = tail_mask(std::min(16, n - i));
    __m512 d = _mm512_maskz_sub_ps(m, _mm512_maskz_loadu_ps(m, x + i), vmean);
    v = _mm512_fmadd_ps(d, d, v);
  }
  float var = _mm512_reduce_add_ps(v) / float(n);
  __m512 inv = _mm512_set1_ps(1.0f / std::sqrt(var + eps));
  for (int i = 0; i < n; i += 16) {
    __mmask16 m = tail_mask(std::min(16, n - i));
    __m512 d = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), vmean), inv);
    __m512 out = _mm512_fmadd_ps(d, _mm512_maskz_loadu_ps(m, gamma + i), _mm512_maskz_loadu_ps(m, beta + i));
    _mm512_mask_storeu_ps(y + i, m, out);
  }
}

void softmax(float* x, int n, float scale) {
  const __m512 vscale = _mm512_set1_ps(scale);
  __m512 vmax = _mm512_set1_ps(-INFINITY);
  for (int j = 0; j < n; j += 16) {
    const __mmask16 m = tail_mask(std::min(16, n - j));
    vmax = _mm512_mask_max_ps(vmax, m, vmax, _mm512_maskz_loadu_ps(m, x + j));
  }
  // max(scale * x) = scale * max(x), as scale > 0.
  const __m512 max_score = _mm512_set1_ps(_mm512_reduce_max_ps(vmax) * scale);
  __m512 vsum = _mm512_setzero_ps();
  for (int j = 0; j < n; j += 16) {
    const __mmask16 m = tail_mask(std::min(16, n - j));
    const __m512 e = _mm512_maskz_mov_ps(m, exp_ps(_mm512_fmsub_ps(_mm512_maskz_loadu_ps(m, x + j), vscale, max_score)));
    _mm512_mask_storeu_ps(x + j, m, e);
    vsum = _mm512_add_ps(vsum, e);
  }
  const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(vsum));
  for (int j = 0; j < n; j += 16) {
    const __mmask16 m = tail_mask(std::min(16, n - j));
    _mm512_mask_storeu_ps(x + j, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + j), inv));
  }
}

void tanh_inplace(float* x, int n) {
  for (int i = 0; i < n; i += 16) {
    __mmask16 m = tail_mask(std::min(16, n - i));
    _mm512_mask_storeu_ps(x + i, m, tanh_ps(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

const KernelSet kAvx512 = {Isa::Avx512, kMr, kNr, gemm_tile, gemm_tile_f16, gemm_tile_bf16, layer_norm, softmax, tanh_inplace};

}  // namespace

const KernelSet* avx512_kernels() { return &kAvx512; }

}  // namespace albert

#if defined(__clang__)
#pragma clang attribute pop
#elif defined(__GNUC__)
#pragma GCC pop_options
#endif
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#else

namespace albert {
const KernelSet* avx512_kernels() { return nullptr; }
}  // namespace albert

#endif
