// GEMM microbenchmark (development tool, not shipped): GFLOP/s of the packed SGEMM on ALBERT-base's
// shapes, against this machine's FMA peak measured by a register-only FMA loop.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/kernel_set.h"
#include "runtime/thread_pool.h"

#if defined(__x86_64__)
#include <immintrin.h>
__attribute__((target("avx2,fma"))) static double fma_peak_gflops_one_core() {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(float(i));
  const __m256 a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(0.001f);
  const long iterations = 50'000'000;
  auto t0 = std::chrono::steady_clock::now();
  for (long it = 0; it < iterations; ++it) {
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  float sink = 0;
  for (int i = 0; i < 12; ++i) sink += _mm256_cvtss_f32(acc[i]);
  if (sink == 12345.0f) std::puts("");
  return double(iterations) * 12 * 16 / seconds / 1e9;
}
#endif

int main(int argc, char** argv) {
  using namespace albert;
  int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  Isa isa = argc > 2 ? parse_isa(argv[2]) : default_isa();
  const KernelSet& kernels = kernel_set(isa);
#if defined(__x86_64__)
  if (isa_supported(Isa::Avx2)) std::printf("FMA peak (AVX2, one core): %.1f GFLOP/s\n", fma_peak_gflops_one_core());
#endif
  struct Shape { int m, n, k; const char* what; };
  const Shape shapes[] = {{4096, 2304, 768, "QKV 32x128"}, {4096, 768, 768, "attn out"}, {4096, 3072, 768, "FFN in"},
                          {4096, 768, 3072, "FFN out"},    {16, 2304, 768, "QKV 1x16"},  {16, 3072, 768, "FFN in 1x16"},
                          {16, 768, 3072, "FFN out 1x16"}, {1, 768, 768, "M=1"},
                          {128, 2304, 768, "QKV 128"},     {128, 3072, 768, "FFN in 128"}, {128, 768, 3072, "FFN out 128"},
                          {256, 2304, 768, "QKV 256"},     {256, 3072, 768, "FFN in 256"}, {256, 768, 3072, "FFN out 256"}};
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1, 1);
  auto team = ThreadPool::global().acquire(threads);
  std::printf("kernels %s, threads %d\n", isa_name(isa), team->size());
  for (const Shape& s : shapes) {
    std::vector<float> a(size_t(s.m) * s.k), w(size_t(s.n) * s.k), c(size_t(s.m) * s.n), bias(size_t(s.n));
    for (float& x : a) x = dist(rng);
    for (float& x : w) x = dist(rng);
    PackedWeight packed(kernels, w.data(), s.n, s.k);
    GemmEpilogue epi{bias.data(), nullptr, 0, Activation::Identity};
    double best = 1e30;
    for (int rep = 0; rep < 25; ++rep) {
      auto t0 = std::chrono::steady_clock::now();
      int inner = s.m < 64 ? 50 : s.m <= 256 ? 4 : 1;
      for (int i = 0; i < inner; ++i) gemm(*team, kernels, s.m, a.data(), s.k, packed, c.data(), s.n, epi);
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / inner);
    }
    double gflops = 2.0 * s.m * s.n * s.k / best / 1e9;
    std::printf("%-14s M=%5d N=%5d K=%5d  %8.3f ms  %6.1f GFLOP/s\n", s.what, s.m, s.n, s.k, best * 1e3, gflops);
  }
  return 0;
}
