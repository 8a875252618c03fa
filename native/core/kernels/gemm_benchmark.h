// Measurements for the benchmarks: this machine's FMA peak and the GEMM's achieved rate on a given shape.
#pragma once

#include "runtime/cpu_features.h"

namespace albert {

// GFLOP/s of one core running only independent FMAs in registers, with the widest vectors `isa` has.
double fma_peak_gflops(Isa isa);

// Best GFLOP/s of gemm() on [m x k] * [k x n] with `threads` threads over about `seconds` of runs.
double gemm_gflops(Isa isa, int m, int n, int k, int threads, double seconds);

}  // namespace albert
