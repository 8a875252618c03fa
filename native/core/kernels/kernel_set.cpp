#include "kernels/kernel_set.h"

#include "error.h"

namespace albert {

const KernelSet& kernel_set(Isa isa) {
  const KernelSet* set = nullptr;
  switch (isa) {
    case Isa::Generic: set = &generic_kernels(); break;
    case Isa::Avx2: set = avx2_kernels(); break;
    case Isa::Avx512: set = avx512_kernels(); break;
  }
  if (!set || !isa_supported(isa)) {
    fail(code::kUnsupported, std::string("the ") + isa_name(isa) + " kernels are not available in this build/CPU");
  }
  return *set;
}

}  // namespace albert
