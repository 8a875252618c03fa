// Shared-layer GEMM chain benchmark (development tool, not shipped): the four GEMMs of ALBERT-base's layer
// (QKV, attention output + LayerNorm, FFN in + gelu_new, FFN out + LayerNorm) on a chunk of M tokens for 12
// layer passes, with the 27 MiB of packed weights the model has (not one hot matrix, as bench_gemm uses).
// It is the ceiling of the forward pass: everything else (attention, embeddings) only adds time.
//   bench_layer [M=192] [seconds=3] [threads=1] [float32|float16|bfloat16]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/kernel_set.h"
#include "runtime/thread_pool.h"

int main(int argc, char** argv) {
  using namespace albert;
  using Clock = std::chrono::steady_clock;
  const int m = argc > 1 ? std::max(1, std::atoi(argv[1])) : 192;
  const double seconds = argc > 2 ? std::atof(argv[2]) : 3;
  const int threads = argc > 3 ? std::max(1, std::atoi(argv[3])) : 1;
  const WeightFormat format = argc > 4 ? parse_weight_format(argv[4]) : WeightFormat::F32;
  const KernelSet& kernels = kernel_set(default_isa());
  const int h = 768, inter = 3072;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-0.05f, 0.05f);
  auto weight = [&](int n, int k) {
    std::vector<float> w(size_t(n) * k);
    for (float& x : w) x = dist(rng);
    return PackedWeight(kernels, w.data(), n, k, format);
  };
  const PackedWeight qkv = weight(3 * h, h), out = weight(h, h), ffn = weight(inter, h), ffn_out = weight(h, inter);
  std::vector<float> x(size_t(m) * h), big(size_t(m) * inter), ctx(size_t(m) * h), att(size_t(m) * h), bias(inter, 0.01f);
  const std::vector<float> gamma(h, 1.0f), beta(h, 0.0f);
  for (float& v : x) v = dist(rng);
  for (float& v : ctx) v = dist(rng);
  auto team = ThreadPool::global().acquire(threads);
  auto forward = [&] {
    for (int layer = 0; layer < 12; ++layer) {
      gemm(*team, kernels, m, x.data(), h, qkv, big.data(), 3 * h, {bias.data(), nullptr, 0, Activation::Identity});
      gemm(*team, kernels, m, ctx.data(), h, out, att.data(), h,
           {bias.data(), x.data(), h, Activation::Identity, gamma.data(), beta.data(), 1e-12f});
      gemm(*team, kernels, m, att.data(), h, ffn, big.data(), inter, {bias.data(), nullptr, 0, Activation::GeluTanh});
      gemm(*team, kernels, m, big.data(), inter, ffn_out, x.data(), h,
           {bias.data(), att.data(), h, Activation::Identity, gamma.data(), beta.data(), 1e-12f});
    }
  };
  forward();  // warm-up
  double best = 1e30, total = 0;
  int runs = 0;
  const auto start = Clock::now();
  do {
    const auto t0 = Clock::now();
    forward();
    const double t = std::chrono::duration<double>(Clock::now() - t0).count();
    best = std::min(best, t);
    total += t;
    ++runs;
  } while (std::chrono::duration<double>(Clock::now() - start).count() < seconds);
  const double flops = 2.0 * m * (3.0 * h * h + double(h) * h + 2.0 * h * inter) * 12;
  std::printf("M=%d threads=%d %s %s: best %.2f ms (%.1f GFLOP/s), mean %.1f GFLOP/s over %d runs\n", m, team->size(),
              isa_name(kernels.isa), weight_format_name(format), best * 1e3, flops / best / 1e9, flops * runs / total / 1e9,
              runs);
  return 0;
}
