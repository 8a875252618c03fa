// Element types the engine reads from checkpoints, and conversions to float32.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace albert {

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, Bool, F8E4M3, F8E5M2 };

size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);

inline float half_to_float(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1F;
  uint32_t mantissa = h & 0x3FF;
  uint32_t bits;
  if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else {  // subnormal: renormalize
      int shift = 0;
      while ((mantissa & 0x400) == 0) {
        mantissa <<= 1;
        ++shift;
      }
      mantissa &= 0x3FF;
      bits = sign | (uint32_t(127 - 15 - shift + 1) << 23) | (mantissa << 13);
    }
  } else if (exponent == 31) {
    bits = sign | 0x7F800000u | (mantissa << 13);
  } else {
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline float bfloat16_to_float(uint16_t b) {
  uint32_t bits = uint32_t(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// Round-to-nearest-even float -> half / bfloat16 (for storing weights in 16 bits).
uint16_t float_to_half(float f);
uint16_t float_to_bfloat16(float f);

// Converts `count` little-endian elements of a floating dtype (F32, F16, BF16, F64) at `src` (any alignment)
// to float32. Returns false for other dtypes.
bool convert_to_float(DType dtype, const uint8_t* src, size_t count, float* dst);

}  // namespace albert
