// The per-ISA compute kernels behind one table. Each ISA (generic C++, AVX2+FMA, AVX-512) fills a
// KernelSet; the drivers (gemm.cpp, the forward pass) only call through it, so every path runs the same
// algorithm and is tested on the same goldens.
#pragma once

#include <cstdint>

#include "model/activation.h"
#include "runtime/cpu_features.h"

namespace albert {

// Applied to a finished GEMM tile in registers, before its only store: c = act(c + bias + residual).
struct TileEpilogue {
  const float* bias = nullptr;      // at the tile's first column, or null
  const float* residual = nullptr;  // at the tile's first row and column, or null
  int ldr = 0;
  Activation activation = Activation::Identity;
};

struct KernelSet {
  Isa isa;
  int mr;  // micro-tile rows (tokens)
  int nr;  // micro-tile columns (output features): the packed weight panel width

  // C[rows][cols] (+)= A[rows][0..kc) * B where B is one packed panel [kc][nr]. rows <= mr, cols <= nr.
  // A rows are lda apart. With accumulate=false the tile is overwritten. A non-null epilogue is applied
  // (after accumulation) before the store: pass it with the last depth block only.
  void (*gemm_tile)(int kc, const float* a, int lda, const float* b, float* c, int ldc, int rows, int cols,
                    bool accumulate, const TileEpilogue* epilogue, const float* next_panel);
  // The same with the panel stored as IEEE half floats / bfloat16, widened to float32 as it is loaded.
  void (*gemm_tile_f16)(int kc, const float* a, int lda, const uint16_t* b, float* c, int ldc, int rows, int cols,
                        bool accumulate, const TileEpilogue* epilogue, const uint16_t* next_panel);
  void (*gemm_tile_bf16)(int kc, const float* a, int lda, const uint16_t* b, float* c, int ldc, int rows, int cols,
                         bool accumulate, const TileEpilogue* epilogue, const uint16_t* next_panel);

  // y = LayerNorm(x) over n features (y may alias x).
  void (*layer_norm)(const float* x, float* y, int n, const float* gamma, const float* beta, float eps);

  // x[0, n) = softmax(scale * x[0, n)) for n >= 1 (the attention probabilities of one query row).
  void (*softmax)(float* x, int n, float scale);

  // x[i] = tanh(x[i]).
  void (*tanh_inplace)(float* x, int n);
};

const KernelSet& kernel_set(Isa isa);

// Defined by each ISA's translation unit.
const KernelSet& generic_kernels();
// The scalar epilogue, for activations a SIMD path does not vectorize: applied in place to a stored tile.
void apply_epilogue_scalar(float* c, int ldc, int rows, int cols, const TileEpilogue& epilogue);
const KernelSet* avx2_kernels();    // null where not compiled in (non-x86 builds)
const KernelSet* avx512_kernels();

}  // namespace albert
