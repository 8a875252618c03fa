#include "runtime/cpu_features.h"

#include <cstdint>
#include <cstdlib>

#include "error.h"

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)
#define ALBERT_X86 1
#if defined(_MSC_VER)
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#endif

namespace albert {

namespace {

#ifdef ALBERT_X86
void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]) {
#if defined(_MSC_VER)
  int r[4];
  __cpuidex(r, int(leaf), int(subleaf));
  for (int i = 0; i < 4; ++i) regs[i] = uint32_t(r[i]);
#else
  __cpuid_count(leaf, subleaf, regs[0], regs[1], regs[2], regs[3]);
#endif
}

uint64_t xgetbv0() {
#if defined(_MSC_VER)
  return _xgetbv(0);
#else
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (uint64_t(edx) << 32) | eax;
#endif
}
#endif

CpuFeatures detect() {
  CpuFeatures f;
#ifdef ALBERT_X86
  uint32_t r[4];
  cpuid(0, 0, r);
  uint32_t max_leaf = r[0];
  if (max_leaf < 7) return f;
  cpuid(1, 0, r);
  bool fma = (r[2] >> 12) & 1;
  bool osxsave = (r[2] >> 27) & 1;
  bool avx = (r[2] >> 28) & 1;
  bool f16c = (r[2] >> 29) & 1;
  if (!osxsave || !avx) return f;
  uint64_t xcr0 = xgetbv0();
  bool ymm_state = (xcr0 & 0x6) == 0x6;
  bool zmm_state = (xcr0 & 0xE6) == 0xE6;
  cpuid(7, 0, r);
  bool avx2 = (r[1] >> 5) & 1;
  bool avx512f = (r[1] >> 16) & 1;
  bool avx512dq = (r[1] >> 17) & 1;
  bool avx512bw = (r[1] >> 30) & 1;
  bool avx512vl = (r[1] >> 31) & 1;
  f.avx2 = ymm_state && avx2 && fma;
  f.f16c = ymm_state && f16c;
  f.avx512 = f.avx2 && f.f16c && zmm_state && avx512f && avx512dq && avx512bw && avx512vl;
#endif
  return f;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

bool isa_supported(Isa isa) {
  switch (isa) {
    case Isa::Generic: return true;
    case Isa::Avx2: return cpu_features().avx2 && cpu_features().f16c;
    case Isa::Avx512: return cpu_features().avx512;
  }
  return false;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Generic: return "generic";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
  }
  return "?";
}

Isa default_isa() {
  Isa best = isa_supported(Isa::Avx512) ? Isa::Avx512 : isa_supported(Isa::Avx2) ? Isa::Avx2 : Isa::Generic;
  const char* env = std::getenv("ALBERT_NODE_ISA");
  if (env && *env) {
    std::string requested(env);
    Isa wanted = requested == "generic" ? Isa::Generic : requested == "avx2" ? Isa::Avx2 : best;
    if (int(wanted) < int(best)) return wanted;
  }
  return best;
}

Isa parse_isa(const std::string& name) {
  Isa isa;
  if (name == "auto") return default_isa();
  if (name == "generic") isa = Isa::Generic;
  else if (name == "avx2") isa = Isa::Avx2;
  else if (name == "avx512") isa = Isa::Avx512;
  else fail(code::kInvalidInput, "kernel '" + name + "' is not one of auto, generic, avx2, avx512");
  if (!isa_supported(isa)) fail(code::kUnsupported, std::string("this CPU does not support the ") + name + " kernels");
  return isa;
}

}  // namespace albert
