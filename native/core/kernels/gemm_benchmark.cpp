#include "kernels/gemm_benchmark.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "kernels/gemm.h"
#include "runtime/thread_pool.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

namespace albert {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Short runs, best of several: a loaded machine lowers some runs, never raises one.
constexpr long kPeakIterations = 3'000'000;
constexpr int kPeakRuns = 9;

#if (defined(__x86_64__) || defined(_M_X64)) && defined(__GNUC__)
__attribute__((target("avx2,fma"))) double peak_avx2() {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(float(i));
  const __m256 a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(0.001f);
  auto start = Clock::now();
  for (long it = 0; it < kPeakIterations; ++it) {
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  }
  double elapsed = seconds_since(start);
  volatile float sink = 0;
  for (int i = 0; i < 12; ++i) sink = sink + _mm256_cvtss_f32(acc[i]);
  return double(kPeakIterations) * 12 * 16 / elapsed / 1e9;
}

__attribute__((target("avx512f"))) double peak_avx512() {
  __m512 acc[24];
  for (int i = 0; i < 24; ++i) acc[i] = _mm512_set1_ps(float(i));
  const __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(0.001f);
  auto start = Clock::now();
  for (long it = 0; it < kPeakIterations; ++it) {
    for (int i = 0; i < 24; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  }
  double elapsed = seconds_since(start);
  volatile float sink = 0;
  for (int i = 0; i < 24; ++i) sink = sink + _mm512_cvtss_f32(acc[i]);
  return double(kPeakIterations) * 24 * 32 / elapsed / 1e9;
}
#endif

double peak_scalar() {
  float acc[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  auto start = Clock::now();
  for (long it = 0; it < kPeakIterations; ++it) {
    for (float& x : acc) x = x * 0.999f + 0.001f;
  }
  double elapsed = seconds_since(start);
  volatile float sink = 0;
  for (float x : acc) sink = sink + x;
  return double(kPeakIterations) * 8 * 2 / elapsed / 1e9;
}

}  // namespace

double fma_peak_gflops(Isa isa) {
  (void)isa;  // unused where only the scalar loop exists
  double best = 0;
  for (int run = 0; run < kPeakRuns; ++run) {
#if (defined(__x86_64__) || defined(_M_X64)) && defined(__GNUC__)
    if (isa == Isa::Avx512 && isa_supported(Isa::Avx512)) {
      best = std::max(best, peak_avx512());
      continue;
    }
    if (isa != Isa::Generic && isa_supported(Isa::Avx2)) {
      best = std::max(best, peak_avx2());
      continue;
    }
#endif
    best = std::max(best, peak_scalar());
  }
  return best;
}

double gemm_gflops(Isa isa, int m, int n, int k, int threads, double seconds) {
  const KernelSet& kernels = kernel_set(isa);
  std::vector<float> a(size_t(m) * size_t(k)), w(size_t(n) * size_t(k)), c(size_t(m) * size_t(n)), bias(size_t(n), 0.0f);
  for (size_t i = 0; i < a.size(); ++i) a[i] = float((i * 7919) % 1000) / 1000.0f - 0.5f;
  for (size_t i = 0; i < w.size(); ++i) w[i] = float((i * 104729) % 1000) / 1000.0f - 0.5f;
  PackedWeight packed(kernels, w.data(), n, k);
  std::unique_ptr<Team> team = ThreadPool::global().acquire(threads);
  const GemmEpilogue epilogue{bias.data(), nullptr, 0, Activation::Identity};
  gemm(*team, kernels, m, a.data(), k, packed, c.data(), n, epilogue);  // warm-up
  double best = 1e30;
  auto start = Clock::now();
  do {
    auto t0 = Clock::now();
    gemm(*team, kernels, m, a.data(), k, packed, c.data(), n, epilogue);
    best = std::min(best, seconds_since(t0));
  } while (seconds_since(start) < seconds);
  return 2.0 * m * n * k / best / 1e9;
}

}  // namespace albert
