// Which instruction sets this CPU and OS support, detected once at run time.
#pragma once

#include <string>

namespace albert {

enum class Isa { Generic, Avx2, Avx512 };

struct CpuFeatures {
  bool avx2 = false;     // with FMA and the OS saving YMM state
  bool f16c = false;
  bool avx512 = false;   // AVX-512 F+BW+DQ+VL with the OS saving ZMM state
};

const CpuFeatures& cpu_features();
// The best ISA the CPU supports, lowered by the ALBERT_NODE_ISA environment variable
// ("generic", "avx2", "avx512") when set.
Isa default_isa();
bool isa_supported(Isa isa);
const char* isa_name(Isa isa);
// Parses "auto" | "generic" | "avx2" | "avx512"; throws ERR_ALBERT_INVALID_INPUT otherwise and
// ERR_ALBERT_UNSUPPORTED when the CPU lacks it.
Isa parse_isa(const std::string& name);

}  // namespace albert
